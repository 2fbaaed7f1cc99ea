/**
 * Which check findings count, as BuildKit's linter reads its options
 * (linter.ParseLintOptions): from the `# check=` directive, or — replacing
 * it whole — the BUILDKIT_DOCKERFILE_CHECK build arg; and, for one
 * instruction, a `# check=` comment right above it (skip and experimental
 * only: error= there is ignored, as BuildKit does).
 *
 *   # check=skip=JSONArgsRecommended,StageNameCasing
 *   # check=skip=all
 *   # check=error=true            any finding fails the build, once all are found
 *   # check=skip=LegacyKeyValueFormat;error=true
 *   # check=experimental=InvalidDefinitionDescription
 */
import { DockerfileError, TsbuildError, type Span } from '../../errors.js';
import type { Directive } from '../ast.js';
import { ruleOf } from './rules.js';

export interface LintConfig {
  skipAll: boolean;
  skip: ReadonlySet<string>;
  experimentalAll: boolean;
  experimental: ReadonlySet<string>;
  /** `error=true`: the build fails after the checks when any finding is left. */
  error: boolean;
}

export const DEFAULT_CONFIG: LintConfig = {
  skipAll: false,
  skip: new Set(),
  experimentalAll: false,
  experimental: new Set(),
  error: false,
};

/** BuildKit's option syntax; an Error whose message is BuildKit's, for the caller to place. */
export function parseLintOptions(text: string): LintConfig {
  const trimmed = text.trim();
  if (trimmed === '') return DEFAULT_CONFIG;
  const config = { ...DEFAULT_CONFIG, skip: new Set<string>(), experimental: new Set<string>() };
  // Go's strings.SplitN(s, ";", 3): a third ';' stays in the last part.
  const parts = trimmed.split(';');
  if (parts.length > 3) parts.splice(2, parts.length, parts.slice(2).join(';'));
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new Error(`invalid check option "${part}"`);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 'skip' || key === 'experimental') {
      const all = value === 'all';
      const names = all ? [] : value.split(',').map((r) => r.trim());
      if (key === 'skip') {
        config.skipAll = all;
        config.skip = new Set(names);
      } else {
        config.experimentalAll = all;
        config.experimental = new Set(names);
      }
    } else if (key === 'error') {
      const bool = parseBool(value);
      if (bool === undefined)
        throw new Error(
          `failed to parse check option "${part}": strconv.ParseBool: parsing "${value}": invalid syntax`,
        );
      config.error = bool;
    } else {
      throw new Error(`invalid check option "${key}"`);
    }
  }
  return config;
}

/**
 * The build's configuration: BUILDKIT_DOCKERFILE_CHECK when given (the
 * directive is then not read at all), else the `# check=` directive.
 */
export function lintConfig(
  directives: readonly Directive[],
  buildArgs: Readonly<Record<string, string>> = {},
): LintConfig {
  const arg = buildArgs.BUILDKIT_DOCKERFILE_CHECK;
  if (arg !== undefined) {
    try {
      return parseLintOptions(arg);
    } catch (e) {
      throw new TsbuildError(
        'BAD_CHECK_OPTIONS',
        `failed to parse build-arg:BUILDKIT_DOCKERFILE_CHECK: ${(e as Error).message}`,
      );
    }
  }
  const directive = directives.find((d) => d.name === 'check');
  if (!directive) return DEFAULT_CONFIG;
  try {
    return parseLintOptions(directive.value);
  } catch (e) {
    throw new DockerfileError(
      'BAD_CHECK_OPTIONS',
      `failed to parse check options: ${(e as Error).message}`,
      directive.span,
    );
  }
}

/**
 * The configuration for one instruction: its first `check=` comment's skip
 * and experimental rules added (an unreadable one is ignored, as BuildKit does).
 */
export function withComments(config: LintConfig, comments: readonly string[]): LintConfig {
  for (const comment of comments) {
    const m = /^\s*check\s*=\s*(.+?)\s*$/i.exec(comment);
    if (!m) continue;
    let extra: LintConfig;
    try {
      extra = parseLintOptions(m[1]!.split(' ')[0]!);
    } catch {
      return config;
    }
    return {
      skipAll: config.skipAll || extra.skipAll,
      skip: new Set([...config.skip, ...extra.skip]),
      experimentalAll: config.experimentalAll || extra.experimentalAll,
      experimental: new Set([...config.experimental, ...extra.experimental]),
      error: config.error,
    };
  }
  return config;
}

/** Whether a finding of `rule` is reported under `config` (BuildKit's Linter.Run). */
export function enabled(config: LintConfig, rule: string): boolean {
  if (ruleOf(rule)?.experimental) return config.experimentalAll || config.experimental.has(rule);
  return !config.skipAll && !config.skip.has(rule);
}

/** With `error=true` and findings left: BuildKit's error, at the first finding. */
export function lintError(
  config: LintConfig,
  found: readonly { rule: string; span: Span }[],
): DockerfileError | undefined {
  if (!config.error || found.length === 0) return undefined;
  const rules = [...new Set(found.map((w) => w.rule))].join(', ');
  const first = found[0]!;
  return new DockerfileError(
    'LINT_VIOLATION',
    `lint violation found for rules: ${rules}`,
    first.span,
    {
      hint: `"check=error=true" makes every check finding an error; fix them, or skip a rule with "# check=skip=${first.rule}"`,
      data: { rules: [...new Set(found.map((w) => w.rule))] },
    },
  );
}

/** Go's strconv.ParseBool. */
function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  return undefined;
}
