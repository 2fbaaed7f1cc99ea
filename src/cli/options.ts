/** node:util parseArgs with tsbuild's usage errors, and the flags every store command takes. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

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

/** Parse `argv`; a mistake is a UsageError that ends with the command's help. */
export function parseOptions<O extends Options>(
  argv: string[],
  options: O,
  help: string,
): Parsed<O> {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${help}`);
  }
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
