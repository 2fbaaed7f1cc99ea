/**
 * Dockerfile checks, as BuildKit runs them: every rule of its linter
 * (rules.ts), in the order BuildKit finds them, then the configuration
 * (`# check=`, BUILDKIT_DOCKERFILE_CHECK, a `# check=` comment above an
 * instruction) decides which are kept and whether they fail the build.
 *
 *   file         NoEmptyContinuation (parse.ts)
 *   parse-rules  per instruction: MaintainerDeprecated, StageNameCasing, FromAsCasing,
 *                InvalidDefinitionDescription
 *   file-rules   ReservedStageName, DuplicateStageName, ConsistentInstructionCasing
 *   from-rules   InvalidDefaultArgInFrom; per FROM: UndefinedArgInFrom (stages.ts),
 *                RedundantTargetPlatform, FromPlatformFlagConstDisallowed
 *   dispatch     per stage built (every stage for `--check`): UndefinedVar (stages.ts),
 *                and dispatch-rules.ts
 *
 * InvalidBaseImagePlatform needs the base image's config: the build finds it
 * (api/build-bases.ts) and passes it in `extra`.
 */
import type { DockerfileError } from '../../errors.js';
import type { Span, Warning } from '../ast.js';
import type { ParsedDockerfile } from '../parse.js';
import { hostPlatform, type Platform } from '../scope.js';
import type { StageGraph } from '../stage.js';
import { enabled, lintConfig, lintError, withComments, type LintConfig } from './config.js';
import { dispatchRules } from './dispatch-rules.js';
import { casingRule, stageNameRules } from './file-rules.js';
import type { Finding, Report } from './finding.js';
import { fromRules } from './from-rules.js';
import { ownRules } from './own-rules.js';
import { parseRules } from './parse-rules.js';
import { ruleOf } from './rules.js';

export type { LintConfig } from './config.js';
export { RULES, ruleOf } from './rules.js';

/** A kept finding, with what BuildKit prints beside it. */
export interface CheckWarning extends Warning {
  /** The rule's one-line description. */
  description: string;
  /** Its documentation page; undefined for InvalidBaseImagePlatform and tsbuild's own rule. */
  url: string | undefined;
}

export interface LintOptions {
  /** Check the dispatch of every stage (`--check`), not only of those the target needs. */
  allStages?: boolean;
  buildArgs?: Readonly<Record<string, string>>;
  platform?: Platform;
  /** Whether a COPY/ADD source is excluded by the context's .dockerignore (a build knows). */
  ignored?: (src: string) => boolean;
  /** Add tsbuild's own InvalidJSONArgs (`tsbuild parse`). */
  ownRules?: boolean;
  /** Findings the caller made (InvalidBaseImagePlatform), for the stages checked. */
  extra?: readonly Finding[];
}

export interface LintResult {
  warnings: CheckWarning[];
  config: LintConfig;
  /** With `error=true` and findings kept: the error to fail with (once the findings are shown). */
  error: DockerfileError | undefined;
}

/**
 * @example
 *   const df = parseDockerfile('FROM alpine\nCMD app\n');
 *   lintDockerfile(df, buildStageGraph(df)).warnings[0].rule; // 'JSONArgsRecommended'
 */
export function lintDockerfile(
  df: ParsedDockerfile,
  graph: StageGraph,
  opts: LintOptions = {},
): LintResult {
  const found: Finding[] = [];
  const report: Report = (rule, message, at) => found.push({ rule, message, ...at });
  const nodeAt = lineIndex(df);
  for (const w of df.warnings) found.push(w);
  parseRules(df.instructions, df.nodes, report);
  if (opts.ownRules) ownRules(df.instructions, report);
  stageNameRules(df.instructions, report);
  casingRule(df.instructions, report);
  const fromOpts = {
    escape: df.escape,
    platform: opts.platform ?? hostPlatform(),
    buildArgs: opts.buildArgs ?? {},
  };
  const fromStart = found.length;
  fromRules(df.instructions, fromOpts, report);
  for (const w of graph.warnings)
    if (w.stage === undefined) found.push({ ...w, node: nodeAt(w.span) });
  sortFrom(found, fromStart);

  const checked = new Set(opts.allStages ? graph.stages.map((s) => s.index) : graph.order);
  const dispatched: Finding[] = [];
  for (const w of graph.warnings)
    if (w.stage !== undefined && checked.has(w.stage))
      dispatched.push({ ...w, node: nodeAt(w.span) });
  dispatchRules(graph.stages, checked, { ignored: opts.ignored }, nodeAt, (rule, message, at) =>
    dispatched.push({ rule, message, ...at }),
  );
  // Stage by stage, instruction by instruction, as BuildKit dispatches (a stable sort).
  dispatched.sort((a, b) => a.stage! - b.stage! || a.span.line - b.span.line);
  // The caller's findings (InvalidBaseImagePlatform) come as BuildKit resolves the
  // bases: after the FROM rules, before any stage is dispatched.
  for (const f of opts.extra ?? [])
    if (f.stage === undefined || checked.has(f.stage)) found.push(f);
  found.push(...dispatched);

  const config = lintConfig(df.directives, opts.buildArgs);
  const perNode = new Map<number, LintConfig>();
  const configAt = (node: number | undefined) => {
    if (node === undefined) return config;
    let c = perNode.get(node);
    if (!c) perNode.set(node, (c = withComments(config, df.nodes[node]?.comments ?? [])));
    return c;
  };
  const warnings = found
    .filter((f) => enabled(configAt(f.node), f.rule))
    .map(({ node: _node, ...w }) => {
      const rule = ruleOf(w.rule);
      return { ...w, description: rule?.description ?? '', url: rule?.url };
    });
  const error = lintError(config, warnings);
  return { warnings, config, error };
}

/** The FROM rules, FROM by FROM (InvalidDefaultArgInFrom, BuildKit's first pass, before). */
function sortFrom(found: Finding[], start: number): void {
  const part = found.splice(start);
  const first = part.filter((f) => f.rule === 'InvalidDefaultArgInFrom');
  const rest = part.filter((f) => f.rule !== 'InvalidDefaultArgInFrom');
  rest.sort((a, b) => a.span.line - b.span.line);
  found.push(...first, ...rest);
}

/** The instruction (index in the file) a line belongs to. */
function lineIndex(df: ParsedDockerfile): (span: Span) => number | undefined {
  const starts = df.instructions.map((ins) => ins.span.line);
  return (span) => {
    if (span.file !== df.instructions[0]?.span.file) return undefined;
    let lo = 0;
    let hi = starts.length - 1;
    if (hi < 0 || span.line < starts[0]!) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= span.line) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
}
