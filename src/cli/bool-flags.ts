/**
 * Docker's boolean flags take a value too: `--rm=false`, `--no-cache=true`,
 * `--pull=0` (pflag parses it with strconv.ParseBool). node:util parseArgs
 * refuses a value for a boolean, so argv is rewritten before it: a true value
 * becomes the bare flag, a false one removes the flag, and any earlier
 * occurrence of it (the last one given wins, as in pflag).
 *
 *   ['--rm=false', '--pull=true', '-t', '--x=1', '.']  →  ['--pull', '-t', '--x=1', '.']
 *   (`--x=1` is -t's value, left alone)
 */
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

const TRUE = ['1', 't', 'T', 'TRUE', 'true', 'True'];
const FALSE = ['0', 'f', 'F', 'FALSE', 'false', 'False'];

/** argv as parseArgs can read it, and the booleans last given as false. */
export function normalizeBools(
  argv: string[],
  options: Options,
): { argv: string[]; explicitFalse: Set<string> } {
  const out: string[] = [];
  const explicitFalse = new Set<string>();
  const short = new Map(
    Object.entries(options).flatMap(([name, o]) => (o.short ? [[o.short, name] as const] : [])),
  );
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const type = options[name]?.type;
      if (type === 'boolean' && eq >= 0) {
        const value = a.slice(eq + 1);
        if (TRUE.includes(value)) {
          explicitFalse.delete(name);
          out.push(`--${name}`);
        } else if (FALSE.includes(value)) {
          explicitFalse.add(name);
          for (let j = out.length - 1; j >= 0; j--) if (out[j] === `--${name}`) out.splice(j, 1);
        } else
          throw new UsageError(
            `invalid argument "${value}" for "--${name}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`,
          );
        continue;
      }
      if (type === 'boolean') explicitFalse.delete(name);
      out.push(a);
      if (type === 'string' && eq < 0 && i + 1 < argv.length) out.push(argv[++i]!);
      continue;
    }
    // -q=false: pflag reads `=value` after a lone boolean shorthand as its value.
    const short1 = /^-([^-])=(.*)$/s.exec(a);
    if (short1 && options[short.get(short1[1]!) ?? '']?.type === 'boolean') {
      const name = short.get(short1[1]!)!;
      const value = short1[2]!;
      if (TRUE.includes(value)) {
        explicitFalse.delete(name);
        out.push(`--${name}`);
      } else if (FALSE.includes(value)) {
        explicitFalse.add(name);
        for (let j = out.length - 1; j >= 0; j--)
          if (out[j] === `--${name}` || out[j] === `-${short1[1]}`) out.splice(j, 1);
      } else
        throw new UsageError(
          `invalid argument "${value}" for "-${short1[1]}, --${name}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`,
        );
      continue;
    }
    out.push(a);
    // -qt NAME: a short option taking a value takes the rest, or else the next word.
    if (a.startsWith('-') && a.length > 1)
      for (let j = 1; j < a.length; j++) {
        if (options[short.get(a[j]!) ?? '']?.type !== 'string') continue;
        if (j === a.length - 1 && i + 1 < argv.length) out.push(argv[++i]!);
        break;
      }
  }
  return { argv: out, explicitFalse };
}
