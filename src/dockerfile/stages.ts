/**
 * Typed instructions to stages, with every word expanded in its scope, and
 * the graph of which stage needs which:
 *
 *   FROM busybox AS base          stage 0, base: image
 *   FROM base AS build            stage 1, base: stage 0
 *   COPY --from=base /a /a        edge 1 → 0
 *   FROM scratch                  stage 2 (the default target)
 *   COPY --from=build /a /a       edge 2 → 1; stages needed: 0, 1, 2
 *
 * A name refers to a stage defined earlier; anything else is an image.
 * `--target` picks the stage; stages it does not need are listed as skipped
 * with the reason.
 */
import { DockerfileError, withSourceLines, type Span } from '../errors.js';
import { excerpt } from '../excerpt.js';
import type { ArgInstruction, FromInstruction, Instruction, Warning } from './ast.js';
import { expanderFor, expandInstruction } from './expand-instruction.js';
import { DidYouMean } from './did-you-mean.js';
import { ENTRY_COST, ExpansionBudget } from './limits.js';
import { parseDockerfile, type ParsedDockerfile } from './parse.js';
import { buildOrder, findTarget, linkDependencies } from './stage-refs.js';
import type { Stage, StageBase, StageGraph, Step } from './stage.js';
import { validateStage } from './validate.js';
import { hostPlatform, platformArgs, PROXY_ARGS, Scope, type Platform } from './scope.js';

/** Build args that are options of the build itself (openContext's, api/build-epoch.ts's), not of the Dockerfile. */
const FRONTEND_ARGS = new Set([
  'BUILDKIT_CONTEXT_KEEP_GIT_DIR',
  'BUILDKIT_DOCKERFILE_CHECK',
  'BUILDKIT_INLINE_CACHE',
  'SOURCE_DATE_EPOCH',
]);

export type { Stage, StageBase, StageGraph, Step };

export interface StageGraphOptions {
  buildArgs?: Record<string, string>;
  /** A stage name or index; default: the last stage. */
  target?: string;
  platform?: Platform;
  /**
   * The ENV of a base image (`KEY=value` list as in its config), when known.
   * Without it, references the stage cannot resolve are not warned about.
   */
  imageEnv?: (ref: string) => string[] | undefined;
  /**
   * The ONBUILD triggers of a base image (its config's OnBuild), when known: they
   * run right after the FROM, parsed as if written there.
   */
  imageOnBuild?: (ref: string) => string[] | undefined;
  /**
   * Whether a name is a named build context (`--build-context NAME=…`). A stage
   * of that name is replaced by the context, as BuildKit does: its FROM becomes
   * an image reference to the name and its instructions are not run. FROM and
   * --from references to the name stay image references for the caller to resolve.
   */
  namedContext?: (name: string) => boolean;
}

/**
 * Lower a parsed Dockerfile to expanded stages and the graph between them.
 * @example
 *   const g = buildStageGraph(parseDockerfile(text), { buildArgs: { V: '2' }, target: 'build' });
 *   g.order.map((i) => g.stages[i].name); // ['base', 'build']
 */
export function buildStageGraph(df: ParsedDockerfile, opts: StageGraphOptions = {}): StageGraph {
  return withSourceLines(df.lines, () => lower(df, opts));
}

function lower(df: ParsedDockerfile, opts: StageGraphOptions): StageGraph {
  const buildArgs = new Map(Object.entries(opts.buildArgs ?? {}));
  const consumed = new Set<string>();
  const warnings: Warning[] = [];
  const global = new Scope(new Map(), true);
  for (const [k, v] of platformArgs(opts.platform ?? hostPlatform())) global.setArg(k, v);
  const metaArgs: Record<string, string | null> = {};
  const stages: Stage[] = [];
  let current: { stage: Stage; scope: Scope } | undefined;

  const names = new Map<string, number>();
  const defined = new Map<string, number>();
  let index = 0;
  for (const ins of df.instructions) {
    if (ins.kind !== 'FROM') continue;
    // A name given twice means its last stage, for --from and --target (BuildKit warns: DuplicateStageName).
    if (ins.stageName !== undefined) names.set(ins.stageName, index);
    index++;
  }
  const ctx: Context = {
    df,
    opts,
    buildArgs,
    consumed,
    warnings,
    global,
    stages,
    scopes: [],
    names,
    defined,
    budget: new ExpansionBudget(),
    didYouMean: new DidYouMean(),
    replaced: new Set(),
  };
  for (const ins of df.instructions) {
    if (ins.kind === 'FROM') {
      current = openStage(ins, ctx);
      stages.push(current.stage);
      ctx.scopes.push(current.scope);
      if (current.stage.base.kind === 'stage')
        runTriggers(current, stages[current.stage.base.index]!, ctx);
      else if (current.stage.base.kind === 'image' && !ctx.replaced.has(current.stage.index))
        runImageTriggers(current, current.stage.base.ref, ctx);
    } else if (!current) {
      if (ins.kind !== 'ARG') {
        throw new DockerfileError(
          'NO_FROM',
          `no FROM before ${ins.kind}: only ARG may come before the first FROM`,
          ins.span,
          { data: { docker: 'no build stage in current context' } },
        );
      }
      declareArgs(ins, global, ctx);
      for (const a of ins.args) metaArgs[a.key] = global.args.get(a.key) ?? null;
    } else if (!ctx.replaced.has(current.stage.index)) {
      apply(ins, current, ctx);
    }
  }
  const unusedBuildArgs = [...buildArgs.keys()].filter(
    (k) => !consumed.has(k) && !PROXY_ARGS.has(k) && !FRONTEND_ARGS.has(k),
  );
  const target = findTarget(stages, opts.target);
  const order = buildOrder(stages, target);
  for (const i of order) validateStage(stages[i]!);
  const needed = new Set(order);
  const targetName = stages[target]!.name ?? String(target);
  const skipped = stages
    .filter((s) => !needed.has(s.index))
    .map((s) => ({ index: s.index, name: s.name, reason: `not needed by target ${targetName}` }));
  return { metaArgs, stages, target, order, skipped, unusedBuildArgs, warnings };
}

/** What every step of the lowering reads or adds to. */
interface Context {
  df: ParsedDockerfile;
  opts: StageGraphOptions;
  buildArgs: Map<string, string>;
  consumed: Set<string>;
  warnings: Warning[];
  global: Scope;
  stages: Stage[];
  /** Each stage's scope, by index: a stage built FROM another starts where it ended. */
  scopes: Scope[];
  /** Every stage name in the file and its index. */
  names: ReadonlyMap<string, number>;
  /** The names of the stages opened so far, and their index. */
  defined: Map<string, number>;
  /** What expanding variables may still cost (limits.ts). */
  budget: ExpansionBudget;
  didYouMean: DidYouMean;
  /** Stages a named build context replaces: their instructions are not run. */
  replaced: Set<number>;
}

/** One instruction in a stage: expanded in the stage's scope, then recorded. */
function apply(
  ins: Instruction,
  current: { stage: Stage; scope: Scope },
  ctx: Context,
  onbuild = false,
): void {
  const { stage, scope } = current;
  // A trigger's findings point at the FROM that ran it, as BuildKit places them
  // (its line is not in this file, or not in this stage).
  const warnAt = onbuild ? stage.from.span : undefined;
  if (ins.kind === 'ARG') {
    const declared = declareArgs(ins, scope, ctx, warnAt);
    const values: Record<string, string> = {};
    for (const a of ins.args) {
      const v = scope.args.get(a.key);
      if (v !== undefined) values[a.key] = v;
    }
    const step: Step = { instruction: declared, args: values };
    if (onbuild) step.onbuild = true;
    stage.steps.push(step);
    return;
  }
  const x = expanderFor(scope, ctx.df.escape, ins, ctx.budget);
  const expanded = expandInstruction(ins, x);
  if (scope.envKnown) undefinedVars(x.unmatched, scope, warnAt ?? ins.span, ctx, stage.index);
  if (expanded.kind === 'ENV') for (const p of expanded.pairs) scope.setEnv(p.key, p.value);
  const step: Step = { instruction: expanded };
  if (expanded.kind === 'RUN') {
    step.args = scope.runArgs();
    let size = 0;
    for (const k in step.args) size += k.length + step.args[k]!.length + ENTRY_COST;
    ctx.budget.charge(size, ins.span);
    const proxy = proxyArgs(ctx.buildArgs);
    if (proxy) step.proxy = proxy;
  }
  if (onbuild) step.onbuild = true;
  stage.steps.push(step);
  linkDependencies(stage, expanded, ctx.names);
}

/**
 * `FROM parent` where the parent stage declared `ONBUILD …`: the triggers run
 * first in the child, in order, as if written right after its FROM. They are
 * not passed on: a grandchild does not run them again.
 */
function runTriggers(current: { stage: Stage; scope: Scope }, parent: Stage, ctx: Context): void {
  for (const step of parent.steps) {
    const ins = step.instruction;
    if (ins.kind !== 'ONBUILD') continue;
    if (!ins.trigger) {
      throw new DockerfileError(
        'BAD_ONBUILD_TRIGGER',
        `the ONBUILD trigger "${ins.expression}" of stage ${parent.name ?? parent.index} is not a valid instruction`,
        ins.span,
      );
    }
    apply(ins.trigger, current, ctx, true);
  }
}

/** `FROM image` whose config has OnBuild triggers: parsed and run like a stage's. */
function runImageTriggers(
  current: { stage: Stage; scope: Scope },
  ref: string,
  ctx: Context,
): void {
  const triggers = ctx.opts.imageOnBuild?.(ref) ?? [];
  for (const text of triggers) {
    const parsed = parseDockerfile(text, { file: `${ref} ONBUILD` });
    for (const ins of parsed.instructions) {
      if (ins.kind === 'FROM' || ins.kind === 'ONBUILD' || ins.kind === 'MAINTAINER') {
        throw new DockerfileError(
          'ONBUILD_TRIGGER',
          `${ins.kind} isn't allowed as an ONBUILD trigger (in the base image ${ref})`,
          ins.span,
        );
      }
      withSourceLines(parsed.lines, () => apply(ins, current, ctx, true));
    }
  }
}

function openStage(ins: FromInstruction, ctx: Context): { stage: Stage; scope: Scope } {
  const { stages, scopes, global, df, opts, warnings, defined } = ctx;
  const x = expanderFor(global, df.escape, ins, ctx.budget);
  const image = x.word(ins.image, ins.imageSpan);
  const platform = ins.platform === undefined ? undefined : x.word(ins.platform, ins.span);
  const similar = ctx.didYouMean.in(global);
  for (const name of x.unmatched) {
    // Declared before the first FROM, even without a value: not undefined (an
    // empty default is InvalidDefaultArgInFrom's business).
    if (global.args.has(name)) continue;
    const like = similar(name);
    const message = `FROM argument '${excerpt(name)}' is not declared${like ? ` (did you mean ${like}?)` : ''}`;
    warnings.push({ rule: 'UndefinedArgInFrom', message, span: ins.span });
  }
  if (image === '') {
    throw new DockerfileError(
      'EMPTY_BASE',
      `base name (${ins.image}) should not be blank`,
      ins.imageSpan,
    );
  }
  const earlier = defined.get(image.toLowerCase());
  let base: StageBase;
  let scope: Scope;
  if (ins.stageName !== undefined && opts.namedContext?.(ins.stageName)) {
    ctx.replaced.add(stages.length);
    base = { kind: 'image', ref: ins.stageName };
    const env = opts.imageEnv?.(ins.stageName);
    scope = new Scope(new Map(env?.map(splitEnv) ?? []), env !== undefined);
  } else if (earlier !== undefined) {
    base = { kind: 'stage', index: earlier };
    const parent = scopes[earlier]!;
    scope = Scope.child(parent);
  } else if (image === 'scratch') {
    base = { kind: 'scratch' };
    scope = new Scope(new Map(), true);
  } else {
    base = { kind: 'image', ref: image };
    const env = opts.imageEnv?.(image);
    scope = new Scope(new Map(env?.map(splitEnv) ?? []), env !== undefined);
  }
  // A stage copies the variables it starts with: a chain of stages that each
  // add one would otherwise copy n²/2 of them.
  ctx.budget.charge(scope.size * ENTRY_COST, ins.span);
  if (ins.stageName !== undefined) defined.set(ins.stageName, stages.length);
  const stage: Stage = {
    index: stages.length,
    name: ins.stageName,
    from: { ...ins, image, platform },
    base,
    platform,
    steps: [],
    dependsOn: base.kind === 'stage' ? [base.index] : [],
    images: [],
  };
  return { stage, scope };
}

function splitEnv(kv: string): [string, string] {
  const eq = kv.indexOf('=');
  return eq < 0 ? [kv, ''] : [kv.slice(0, eq), kv.slice(eq + 1)];
}

/**
 * ARG in a stage (or before the first FROM): a build arg wins; else the
 * default, expanded now; else, in a stage, the global value of that name.
 */
function declareArgs(
  ins: ArgInstruction,
  scope: Scope,
  ctx: Context,
  warnAt?: Span,
): ArgInstruction {
  const { buildArgs, consumed, df, global, budget } = ctx;
  const args = ins.args.map((a) => {
    consumed.add(a.key);
    let value: string | undefined;
    let shown = a.value;
    if (buildArgs.has(a.key)) value = buildArgs.get(a.key);
    else if (a.value !== undefined) {
      const x = expanderFor(scope, df.escape, ins, budget);
      value = shown = x.word(a.value, a.span, a.key);
      if (scope.envKnown && scope !== global)
        undefinedVars(x.unmatched, scope, warnAt ?? a.span, ctx, ctx.stages.length - 1);
    } else if (scope !== global) value = global.lookup(a.key);
    scope.setArg(a.key, value);
    return { ...a, value: shown };
  });
  return { ...ins, args };
}

function proxyArgs(buildArgs: Map<string, string>): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  // Every proxy build arg, declared or not: BuildKit sets both spellings of each in the
  // step's environment (a declared one is also in `args`, so in the history too).
  for (const [k, v] of buildArgs) if (PROXY_ARGS.has(k)) (out ??= {})[k] = v;
  return out;
}

function undefinedVars(
  names: Set<string>,
  scope: Scope,
  span: Span,
  ctx: Context,
  stage: number,
): void {
  const similar = ctx.didYouMean.in(scope);
  for (const name of names) {
    // An ARG declared without a value is defined, only empty (BuildKit's reportUnmatchedVariables).
    if (scope.args.has(name)) continue;
    const like = similar(name);
    const message = `Usage of undefined variable '$${excerpt(name)}'${like ? ` (did you mean $${like}?)` : ''}`;
    ctx.warnings.push({ rule: 'UndefinedVar', message, span, stage });
  }
}
