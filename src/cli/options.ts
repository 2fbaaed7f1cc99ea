/** node:util parseArgs with docker's usage errors, and the flags every store command takes. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';
import { normalizeBools } from './bool-flags.js';
import { didYouMean } from './suggest.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; allowPositionals: true; options: O; strict: true }>
>;

export const STORE_OPTIONS = {
  root: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export const STORE_HELP = `      --root string        The store's directory (default: $TSBUILD_ROOT, else $XDG_DATA_HOME/tsbuild)
  -h, --help               Print this help
`;

/**
 * Parse `argv` as pflag (the docker CLI's flag parser) reads it: a boolean takes
 * `=true|false` too, a flag taking a value takes the next word whatever it is
 * (`-t --x` tags "--x"). A mistake is one line, as docker words it, plus the
 * nearest known flag when one is close:
 *
 *   unknown flag: --tga (did you mean --tag?)
 *   unknown shorthand flag: 'z' in -qz
 *   flag needs an argument: --tag        flag needs an argument: 't' in -t
 */
export function parseOptions<O extends Options>(argv: string[], options: O): Parsed<O> {
  const args = normalizeBools(argv, options).argv;
  // Not strict: parseArgs's own errors are Node's wording, and strict mode refuses
  // a value that starts with a dash; each token is checked here instead.
  const { values, positionals, tokens } = parseArgs({
    args,
    allowPositionals: true,
    options,
    strict: false,
    tokens: true,
  });
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const long = t.rawName.startsWith('--');
    const known = Object.hasOwn(options, t.name) ? options[t.name] : undefined;
    if (known === undefined)
      throw new UsageError(
        long
          ? `unknown flag: ${t.rawName}${didYouMean(t.name, Object.keys(options), '--')}`
          : `unknown shorthand flag: '${t.name}' in ${args[t.index]}`,
      );
    if (known.type === 'string' && t.value === undefined)
      throw new UsageError(
        `flag needs an argument: ${long ? t.rawName : `'${t.rawName.slice(1)}' in ${args[t.index]}`}`,
      );
  }
  return { values, positionals } as unknown as Parsed<O>;
}

export function requireArgs(positionals: string[], min: number, max: number, help: string): void {
  if (positionals.length < min || positionals.length > max) {
    const want =
      min === max ? `exactly ${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new UsageError(
      `"${help.split('\n')[0]!.replace(/^Usage:\s+/, '')}" requires ${want} argument${max === 1 ? '' : 's'}.\n\n${help}`,
    );
  }
}

/** `--insecure-registry` hosts and $TSBUILD_INSECURE_REGISTRIES (comma-separated); undefined when none. */
export function insecureRegistries(
  flag: string[] | undefined,
  env: NodeJS.ProcessEnv,
): string[] | undefined {
  const fromEnv = (env.TSBUILD_INSECURE_REGISTRIES ?? '').split(',').map((s) => s.trim());
  const all = [...(flag ?? []), ...fromEnv].filter((s) => s !== '');
  return all.length > 0 ? all : undefined;
}
