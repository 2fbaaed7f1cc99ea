/**
 * Every instruction's `--flags`, declared once (BuildKit's bflag.go idea),
 * and the one place that reads them: "unknown flag", "requires a value",
 * "given twice" and "expects true or false" all come from `parseFlags`.
 *
 *   COPY --from=build --link /src /dst   → { from: 'build', link: true, … }
 *   COPY --link=false a b                → { link: false, … }
 *   COPY --chwon=1 a b                   → unknown flag --chwon (did you mean --chown?)
 *
 * As in BuildKit, flags are checked only when the instruction's parser asks,
 * and after whatever it checks first: `COPY --bogus onlyone` fails for its
 * argument count, not its flag. Values BuildKit checks while parsing (RUN
 * --network and --security) are checked here too, once every flag was read;
 * values it checks later, after variable expansion (--chmod, --platform,
 * --checksum), are left as written.
 */
import { DockerfileError, type Span } from '../errors.js';
import type { Node, RawFlag } from './ast.js';
import { suggest } from './instructions/suggest.js';

export type FlagType = 'bool' | 'string' | 'strings';

/** Each instruction's flags; one not listed takes none. `strings` may repeat. */
export const FLAGS = {
  FROM: { platform: 'string' },
  RUN: { mount: 'strings', network: 'string', security: 'string' },
  COPY: {
    from: 'string',
    chown: 'string',
    chmod: 'string',
    link: 'bool',
    parents: 'bool',
    exclude: 'strings',
  },
  ADD: {
    chown: 'string',
    chmod: 'string',
    link: 'bool',
    checksum: 'string',
    'keep-git-dir': 'bool',
    exclude: 'strings',
  },
  HEALTHCHECK: {
    interval: 'string',
    timeout: 'string',
    'start-period': 'string',
    'start-interval': 'string',
    retries: 'string',
  },
} as const satisfies Record<string, Record<string, FlagType>>;

type Table = typeof FLAGS;
type Decl<C> = C extends keyof Table ? Table[C] : Record<never, FlagType>;
type ValueOf<T> = T extends 'bool' ? boolean : T extends 'string' ? string | undefined : string[];

export interface ParsedFlags<C extends string> {
  /** bool: false unless given; string: undefined unless given; strings: every value in order. */
  values: { -readonly [K in keyof Decl<C>]: ValueOf<Decl<C>[K]> };
  /** Where each flag given was written (the last one, for a repeatable flag). */
  spans: { [K in keyof Decl<C>]?: Span };
}

/**
 * Read `node.flags` against the table entry for `command` (BuildKit's
 * BFlags.Parse), stopping at the first mistake as BuildKit does.
 * @example
 *   parseFlags(node, 'COPY').values.from // 'build' for `COPY --from=build a b`
 */
export function parseFlags<C extends string>(node: Node, command: C): ParsedFlags<C> {
  const decl: Record<string, FlagType> =
    (FLAGS as Record<string, Record<string, FlagType>>)[command] ?? {};
  const values: Record<string, boolean | string | string[] | undefined> = {};
  for (const [name, type] of Object.entries(decl))
    values[name] = type === 'bool' ? false : type === 'strings' ? [] : undefined;
  const spans: Record<string, Span> = {};
  for (const flag of node.flags) {
    // Own keys only: `--constructor` is no flag, whatever Object.prototype says.
    const type = Object.hasOwn(decl, flag.name) ? decl[flag.name] : undefined;
    if (type === undefined) throw unknownFlag(flag, command, Object.keys(decl));
    if (spans[flag.name] && type !== 'strings') {
      throw flagError(
        'DUPLICATE_FLAG',
        `${command} --${flag.name} can only be given once`,
        flag,
        'duplicate flag specified',
      );
    }
    spans[flag.name] = flag.span;
    values[flag.name] = readValue(flag, type, command, values[flag.name]);
  }
  return { values, spans } as unknown as ParsedFlags<C>;
}

function readValue(
  flag: RawFlag,
  type: FlagType,
  command: string,
  prev: unknown,
): boolean | string | string[] {
  const { value } = flag;
  if (type === 'bool') {
    // A bare `--link` is true; `--link=` is a mistake, not an empty value.
    if (value === undefined) return true;
    if (value === '') {
      throw flagError(
        'FLAG_VALUE_REQUIRED',
        `${command} --${flag.name}= requires true or false`,
        flag,
        'missing a value on flag',
      );
    }
    const lower = value.toLowerCase();
    if (lower === 'true' || lower === 'false') return lower === 'true';
    throw new DockerfileError(
      'BAD_FLAG_VALUE',
      `${command} --${flag.name} expects true or false, not "${value}"`,
      flag.span,
      {
        data: {
          flag: flag.name,
          docker: `expecting boolean value for flag ${flag.name}, not: ${value}`,
        },
      },
    );
  }
  if (value === undefined) {
    throw flagError(
      'FLAG_VALUE_REQUIRED',
      `${command} --${flag.name} requires a value`,
      flag,
      'missing a value on flag',
      {
        hint: `write --${flag.name}=<value>`,
      },
    );
  }
  return type === 'strings' ? [...(prev as string[]), value] : value;
}

function unknownFlag(flag: RawFlag, command: string, known: string[]): DockerfileError {
  // BuildKit suggests among the flags this instruction declares, case-sensitively.
  const match = suggest(flag.name, [...known].sort(), true);
  const tail = match === undefined ? '' : ` (did you mean --${match}?)`;
  const reason =
    known.length === 0
      ? `${command} takes no flags, got --${flag.name}`
      : `unknown flag --${flag.name} for ${command}${tail}`;
  const docker =
    `unknown flag: ${flag.name}` + (match === undefined ? '' : ` (did you mean ${match}?)`);
  return new DockerfileError('UNKNOWN_FLAG', reason, flag.span, {
    data: { flag: flag.name, suggestion: match, docker },
  });
}

function flagError(
  code: string,
  reason: string,
  flag: RawFlag,
  dockerPrefix: string,
  opts: { hint?: string } = {},
): DockerfileError {
  return new DockerfileError(code, reason, flag.span, {
    ...opts,
    data: { flag: flag.name, docker: `${dockerPrefix}: ${flag.name}` },
  });
}

/**
 * A string flag whose value must be one of `allowed`, checked after every
 * flag was read, as BuildKit's RUN post-hooks do. Undefined when not given.
 *   RUN --network=bridge …  → `RUN --network must be one of default, none, host, not "bridge"`
 */
export function oneOf<T extends string>(
  command: string,
  name: string,
  flags: { values: Record<string, unknown>; spans: Record<string, Span | undefined> },
  allowed: readonly T[],
  docker: (value: string) => string,
): T | undefined {
  const value = flags.values[name] as string | undefined;
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  // A value was given, so its flag was written and has a span.
  throw new DockerfileError(
    'BAD_FLAG_VALUE',
    `${command} --${name} must be one of ${allowed.join(', ')}, not "${value}"`,
    flags.spans[name]!,
    {
      data: { flag: name, docker: docker(value) },
    },
  );
}
