/**
 * `tsbuild run`'s arguments, read as the docker CLI reads `docker run`'s
 * (pflag with interspersed flags off): options stop at the image name, and
 * everything after it is the command; `-it` combines short switches; a value
 * comes as `--name x`, `--name=x`, `-e K=V`, `-eK=V` or `-e=K=V`; `--` ends
 * the options. Mistakes are UsageErrors (the command exits 125, as docker run).
 */
import { UsageError } from '../errors.js';
import { didYouMean } from './suggest.js';

interface Flag {
  long: string;
  short?: string;
  kind: 'bool' | 'string' | 'list';
}

export const RUN_FLAGS: readonly Flag[] = [
  { long: 'interactive', short: 'i', kind: 'bool' },
  { long: 'tty', short: 't', kind: 'bool' },
  { long: 'detach', short: 'd', kind: 'bool' },
  { long: 'rm', kind: 'bool' },
  { long: 'read-only', kind: 'bool' },
  { long: 'init', kind: 'bool' },
  { long: 'help', kind: 'bool' },
  { long: 'name', kind: 'string' },
  { long: 'env', short: 'e', kind: 'list' },
  { long: 'env-file', kind: 'list' },
  { long: 'entrypoint', kind: 'string' },
  { long: 'workdir', short: 'w', kind: 'string' },
  { long: 'user', short: 'u', kind: 'string' },
  { long: 'volume', short: 'v', kind: 'list' },
  { long: 'mount', kind: 'list' },
  { long: 'network', kind: 'string' },
  { long: 'net', kind: 'string' },
  { long: 'hostname', short: 'h', kind: 'string' },
  { long: 'add-host', kind: 'list' },
  { long: 'runtime', kind: 'string' },
  { long: 'root', kind: 'string' },
];

export interface RunArgs {
  bools: Set<string>;
  strings: Map<string, string>;
  lists: Map<string, string[]>;
  /** IMAGE, then COMMAND [ARG…]; empty when there is no image. */
  rest: string[];
}

export function parseRunArgs(argv: string[]): RunArgs {
  const out: RunArgs = { bools: new Set(), strings: new Map(), lists: new Map(), rest: [] };
  const set = (flag: Flag, value: string | undefined, shown: string) => {
    if (flag.kind === 'bool') {
      if (value === undefined || value === 'true') out.bools.add(flag.long);
      else if (value === 'false') out.bools.delete(flag.long);
      else throw new UsageError(`invalid argument "${value}" for "${shown}" flag: parse error`);
      return;
    }
    if (value === undefined) throw new UsageError(`flag needs an argument: ${shown}`);
    if (flag.kind === 'string') out.strings.set(flag.long, value);
    else out.lists.set(flag.long, [...(out.lists.get(flag.long) ?? []), value]);
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const flag = RUN_FLAGS.find((f) => f.long === name);
      if (!flag)
        throw new UsageError(
          `unknown flag: --${name}${didYouMean(
            name,
            RUN_FLAGS.map((f) => f.long),
            '--',
          )}`,
        );
      let value = eq < 0 ? undefined : a.slice(eq + 1);
      if (value === undefined && flag.kind !== 'bool') value = argv[++i];
      set(flag, value, `--${name}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      // -it, -eK=V, -e K=V, -e=K=V
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        const flag = RUN_FLAGS.find((f) => f.short === c);
        if (!flag) throw new UsageError(`unknown shorthand flag: '${c}' in ${a}`);
        if (flag.kind === 'bool') {
          set(flag, undefined, `-${c}`);
          continue;
        }
        let value = a.slice(j + 1);
        if (value.startsWith('=')) value = value.slice(1);
        else if (value === '') value = argv[++i] as string;
        if (value === undefined) throw new UsageError(`flag needs an argument: '${c}' in ${a}`);
        set(flag, value, `-${c}, --${flag.long}`);
        break;
      }
      continue;
    }
    break;
  }
  out.rest = argv.slice(i);
  return out;
}
