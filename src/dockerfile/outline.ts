/**
 * What `--call=outline` and `--call=targets` answer, as BuildKit's Dockerfile
 * frontend computes them (dockerfile2llb outline.go, ListTargets), in the shape
 * of its subrequest results (frontend/subrequests/outline, targets) so the JSON
 * is buildx's `format=json` output:
 *
 *   # VERSION the release to build         ← an ARG's description: a comment
 *   ARG VERSION=1.0                           above it that starts with its name
 *   # app the application image            ← a stage's: the same above its FROM
 *   FROM alpine:$VERSION AS app
 *   RUN --mount=type=secret,id=npm …       ← a secret the target uses
 *
 * outline: the build args, secrets and ssh agents the target uses — its own
 * ARGs, the global ARGs its FROM lines read (and those their defaults read),
 * and the same for the stages it is built from or copies from.
 * targets: every stage, its description, the default (last) one marked.
 */
import type { ArgInstruction, FromInstruction } from './ast.js';
import { processWord, type EscapeToken } from './expand.js';
import { parseMount } from './mount.js';
import type { ParsedDockerfile } from './parse.js';
import { platformArgs, type Platform } from './scope.js';
import type { Span } from '../errors.js';
import type { Stage, StageGraph } from './stage.js';

/** BuildKit's pb.Location, as JSON: lines only (its ranges have no columns for instructions). */
export interface SourceLocation {
  ranges: { start: { line: number }; end: { line: number } }[];
}

export interface OutlineArg {
  name: string;
  description?: string;
  value?: string;
  location?: SourceLocation;
}

export interface OutlineMount {
  name: string;
  required?: boolean;
  location?: SourceLocation;
}

/** BuildKit's outline.Outline. */
export interface Outline {
  /** The target stage's name; absent for an unnamed one. */
  name?: string;
  description?: string;
  args?: OutlineArg[];
  secrets?: OutlineMount[];
  ssh?: OutlineMount[];
  /** The Dockerfile, base64, as Go encodes bytes. */
  sources: string[];
}

export interface Target {
  name?: string;
  default?: boolean;
  description?: string;
  /** The FROM's image or stage, as written. */
  base?: string;
  /** `FROM --platform=`, as written. */
  platform?: string;
  location?: SourceLocation;
}

/** BuildKit's targets.List. */
export interface TargetList {
  targets: Target[];
  sources: string[];
}

/** A node's location as BuildKit gives one: each line of it, character 0. */
export function sourceLocation(span: Pick<Span, 'line' | 'endLine'>): SourceLocation {
  const ranges: SourceLocation['ranges'] = [];
  for (let l = span.line; l <= Math.max(span.line, span.endLine); l++)
    ranges.push({ start: { line: l }, end: { line: l } });
  return { ranges };
}

/** BuildKit's getDocComment: the first comment above that starts with `name `. */
export function docComment(comments: readonly string[], name: string | undefined): string {
  if (!name) return '';
  for (const c of comments) if (c.startsWith(`${name} `)) return c.slice(name.length + 1);
  return '';
}

/**
 * Every stage as `--call=targets` lists it.
 * @example
 *   listTargets(parseDockerfile(text), text).targets[0]; // text: '# app the app\nFROM alpine AS app\n'
 *   // { name: 'app', default: true, description: 'the app', base: 'alpine', location: … }
 */
export function listTargets(df: ParsedDockerfile, text: string): TargetList {
  const froms = df.instructions.flatMap((ins, node) =>
    ins.kind === 'FROM' ? [{ ins, node }] : [],
  );
  return {
    targets: froms.map(({ ins, node }, i) =>
      omitEmpty({
        name: ins.stageName,
        default: i === froms.length - 1,
        description: docComment(df.nodes[node]?.comments ?? [], ins.stageName),
        base: ins.image,
        platform: ins.platform,
        location: sourceLocation(ins.span),
      }),
    ),
    sources: [Buffer.from(text).toString('base64')],
  };
}

interface ArgInfo {
  name: string;
  value: string;
  description: string;
  span: Span;
  /** Global ARGs its default read: used whenever it is. */
  deps: Set<string>;
}

export interface OutlineOptions {
  buildArgs?: Readonly<Record<string, string>>;
  platform: Platform;
  /** The Dockerfile's bytes, for `sources`. */
  text: string;
}

/**
 * The build args, secrets and ssh agents the graph's target uses.
 * @example
 *   const df = parseDockerfile('ARG V=1\nFROM alpine:$V\n');
 *   outlineOf(df, buildStageGraph(df), { platform: hostPlatform(), text }).args;
 *   // [{ name: 'V', value: '1', location: … }]
 */
export function outlineOf(df: ParsedDockerfile, graph: StageGraph, opts: OutlineOptions): Outline {
  const buildArgs = opts.buildArgs ?? {};
  const nodeAt = nodeIndex(df);
  const comments = (span: Span) => df.nodes[nodeAt.get(span.line) ?? -1]?.comments ?? [];

  // buildMetaArgs: the global ARGs in order, a build arg winning over a default.
  const env = platformArgs(opts.platform);
  const global = new Map<string, ArgInfo>();
  for (const ins of df.instructions) {
    if (ins.kind === 'FROM') break;
    if (ins.kind !== 'ARG') continue;
    for (const a of ins.args) {
      const info: ArgInfo = {
        name: a.key,
        value: '',
        description: docComment(comments(ins.span), a.key),
        span: ins.span,
        deps: new Set(),
      };
      let value: string | undefined = buildArgs[a.key];
      if (value === undefined && a.value !== undefined) {
        const r = processWord(a.value, env, { escape: df.escape });
        value = r.word;
        info.deps = r.matched;
        // `ARG A=$A-x` keeps what the earlier A read.
        if (r.matched.delete(a.key))
          for (const d of global.get(a.key)?.deps ?? []) info.deps.add(d);
      }
      if (value !== undefined) {
        env.set(a.key, value);
        info.value = value;
      }
      global.set(a.key, info);
    }
  }

  // The FROM as written: the graph's is expanded already.
  const written = (stage: Stage) => {
    const ins = df.instructions[nodeAt.get(stage.from.span.line) ?? -1];
    return ins?.kind === 'FROM' ? ins : stage.from;
  };
  const perStage = graph.stages.map((stage) =>
    stageOutline(stage, written(stage), { env, global, buildArgs, comments, escape: df.escape }),
  );

  const args: OutlineArg[] = [];
  const secrets: OutlineMount[] = [];
  const ssh: OutlineMount[] = [];
  const seen = { args: new Set<string>(), secrets: new Set<string>(), ssh: new Set<string>() };
  const visited = new Set<number>();
  // ds.args/secrets/ssh: the target's own first, then its base's, then what it copies from.
  const visit = (i: number): void => {
    if (visited.has(i)) return;
    visited.add(i);
    const s = perStage[i]!;
    for (const a of s.args)
      if (!seen.args.has(a.name)) {
        seen.args.add(a.name);
        args.push(a);
      }
    for (const [list, out, names] of [
      [s.secrets, secrets, seen.secrets],
      [s.ssh, ssh, seen.ssh],
    ] as const)
      for (const m of list)
        if (!names.has(m.name)) {
          names.add(m.name);
          out.push(m.mount);
        }
    const stage = graph.stages[i]!;
    if (stage.base.kind === 'stage') visit(stage.base.index);
    for (const d of stage.dependsOn) visit(d);
  };
  visit(graph.target);

  const target = graph.stages[graph.target]!;
  const byLine = <T extends { location?: SourceLocation }>(list: T[]): T[] =>
    list.sort(
      (a, b) => (a.location?.ranges[0]?.start.line ?? 0) - (b.location?.ranges[0]?.start.line ?? 0),
    );
  return omitEmpty({
    name: target.name,
    description: docComment(comments(target.from.span), target.name),
    args: byLine(args),
    secrets: byLine(secrets),
    ssh: byLine(ssh),
    sources: [Buffer.from(opts.text).toString('base64')],
  }) as Outline;
}

interface StageContext {
  env: ReadonlyMap<string, string>;
  global: ReadonlyMap<string, ArgInfo>;
  buildArgs: Readonly<Record<string, string>>;
  comments: (span: Span) => readonly string[];
  escape: EscapeToken;
}

/** One stage's own: the ARGs it uses (with their infos), its secrets and ssh mounts. */
function stageOutline(
  stage: Stage,
  from: FromInstruction,
  ctx: StageContext,
): {
  args: OutlineArg[];
  secrets: { name: string; mount: OutlineMount }[];
  ssh: { name: string; mount: OutlineMount }[];
} {
  const used = new Set<string>();
  const own = new Map<string, ArgInfo>();
  // The global ARGs its FROM reads (names with a value: what matched).
  for (const word of [from.image, from.platform])
    if (word !== undefined)
      for (const n of processWord(word, ctx.env, { escape: ctx.escape }).matched) used.add(n);
  const secrets: { name: string; mount: OutlineMount }[] = [];
  const ssh: { name: string; mount: OutlineMount }[] = [];
  for (const step of stage.steps) {
    const ins = step.instruction;
    // A trigger has no line of its own: BuildKit places it at the FROM that runs it.
    const span = step.onbuild ? stage.from.span : ins.span;
    if (ins.kind === 'ARG') {
      stageArgs(ins, step.args ?? {}, span, step.onbuild ? [] : ctx.comments(span), ctx, own, used);
    } else if (ins.kind === 'RUN') {
      ins.mounts.forEach((text, k) => {
        const m = parseMount(text, ins.mountSpans?.[k] ?? ins.span);
        const mount = (name: string): { name: string; mount: OutlineMount } => ({
          name,
          mount: omitEmpty({ name, required: m.required, location: sourceLocation(span) }),
        });
        if (m.type === 'secret') {
          const id = m.source || m.id || (m.target ?? '').split('/').pop() || '';
          if (!secrets.some((s) => s.name === id)) secrets.push(mount(id));
        } else if (m.type === 'ssh') {
          const id = m.id || 'default';
          if (!ssh.some((s) => s.name === id)) ssh.push(mount(id));
        }
      });
    }
  }
  // markAllUsed: a used global ARG makes what its default read used too.
  const infoOf = (k: string) => own.get(k) ?? ctx.global.get(k);
  const pending = [...used];
  while (pending.length > 0) {
    const k = pending.pop()!;
    for (const d of infoOf(k)?.deps ?? [])
      if (!used.has(d)) {
        used.add(d);
        pending.push(d);
      }
  }
  const args: OutlineArg[] = [];
  for (const k of used) {
    const info = infoOf(k);
    if (!info) continue;
    args.push(
      omitEmpty({
        name: info.name,
        description: info.description,
        value: info.value,
        location: sourceLocation(info.span),
      }) as OutlineArg,
    );
  }
  return { args, secrets, ssh };
}

/**
 * dispatchArg: each name is used; a build arg or a default gives the stage's
 * own value, else a global ARG's value (and its info) stands.
 */
function stageArgs(
  ins: ArgInstruction,
  values: Readonly<Record<string, string>>,
  span: Span,
  comments: readonly string[],
  ctx: StageContext,
  own: Map<string, ArgInfo>,
  used: Set<string>,
): void {
  for (const a of ins.args) {
    used.add(a.key);
    const hasValue = ctx.buildArgs[a.key] !== undefined;
    const hasDefault = a.value !== undefined;
    if (!hasValue && !hasDefault && ctx.env.has(a.key)) continue;
    own.set(a.key, {
      name: a.key,
      value: hasValue || hasDefault ? (values[a.key] ?? '') : '',
      description: docComment(comments, a.key),
      span,
      deps: new Set(),
    });
  }
}

/** Instruction start line → its index in the file (nodes and instructions share it). */
function nodeIndex(df: ParsedDockerfile): Map<number, number> {
  const out = new Map<number, number>();
  df.instructions.forEach((ins, i) => out.set(ins.span.line, i));
  return out;
}

/** Go's `omitempty`: no empty string, false, undefined or empty list. */
function omitEmpty<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o))
    if (v !== undefined && v !== '' && v !== false && !(Array.isArray(v) && v.length === 0))
      out[k] = v;
  return out as T;
}
