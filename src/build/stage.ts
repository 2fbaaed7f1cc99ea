/**
 * One stage, step by step: plan → cache key → lookup → hit | carry out the effect →
 * commit. A hit reuses the stored layer and time, and the config is rebuilt from
 * them as the step that ran built it (step-result.ts), so an all-cached rebuild
 * gives the very same image ID.
 */
import type { Stage, Step } from '../dockerfile/stage.js';
import { formatInstruction } from '../dockerfile/format.js';
import type { Descriptor } from '../image/types.js';
import type { CacheRecord } from '../store/cache.js';
import { argDigest, cacheKey, type KeyInput } from './cachekey.js';
import type { BuildDeps } from './deps.js';
import type { BuildEvent, CacheExplanation } from './events.js';
import { DockerfileError, ResourceError, TsbuildError } from '../errors.js';
import { MAX_PLACES, explainMiss, stepPlace } from './explain.js';
import { planStep, type Effect, type Plan } from './instructions/index.js';
import { copySources, copyStep, type CopySources } from './effects/copy.js';
import { mkdirInRoot } from './effects/mkdir.js';
import { runStep } from './effects/run.js';
import { mountSources, type MountSources } from './mounts/sources.js';
import { changeInSnapshot } from './effects/snapshot.js';
import { configBytes, type StageState } from './state.js';
import { stepResult } from './step-result.js';
import { stepTime } from './epoch.js';
import { sha256, shortDigest } from '../util/digest.js';
import type { StageRun } from './stage-run.js';
import { VertexNames } from './vertex-name.js';
import { runSettingsKey } from './run-settings.js';

export type { StageRun };

/** How stale a hit's `lastUsed` may be before the hit writes it again. */
const LAST_USED_PRECISION_MS = 3_600_000;

export interface StepOutcome {
  stage: number;
  step: number;
  text: string;
  cached: boolean;
  ms: number;
  key: string;
  /** The layer's diff ID, when the step made one (as the `done` event says). */
  layer?: string;
  /** Where the instruction is: its Dockerfile (as the build names it) and line. */
  file: string;
  line: number;
}

export async function runStage(
  run: StageRun,
  deps: BuildDeps,
): Promise<{ state: StageState; steps: StepOutcome[] }> {
  const { stage } = run;
  let state = run.base;
  const outcomes: StepOutcome[] = [];
  const names = new VertexNames(
    stage,
    run.stages.length,
    stage.base.kind === 'image' && run.namedContext(stage.base.ref) !== undefined,
  );
  const fromVertex = names.from();
  deps.emit({
    type: 'step',
    stage: stage.index,
    step: run.firstStep,
    total: run.total,
    text: fromText(stage),
    source: stage.from.original,
    ...(fromVertex ? { vertex: fromVertex } : {}),
  });
  deps.emit({
    type: 'done',
    stage: stage.index,
    step: run.firstStep,
    id: stage.base.kind === 'scratch' ? '' : shortDigest(state.id),
    cached: false,
    ms: 0,
  });
  // BuildKit marks only a filtered stage's RUN steps; here every step runs, as
  // with --no-cache, so nothing after a step that ran again is an older result.
  const filtered = deps.noCacheStages?.has(stage.index) ?? false;
  let missed = deps.noCache || filtered;
  /** The image ID of the stage's config, once its last step is done. */
  let imageId: string | undefined;
  const declared: string[] = [];
  for (const [i, step] of stage.steps.entries()) {
    deps.signal.throwIfAborted();
    const number = run.firstStep + 1 + i;
    const started = Date.now();
    const layersBefore = state.layers.length;
    const text = stepText(step);
    const vertex = names.step(step, state.config.config?.Env);
    const place = stepPlace(deps.lineage, stage.name ?? String(stage.index), i);
    deps.emit({
      type: 'step',
      stage: stage.index,
      step: number,
      total: run.total,
      text,
      source: step.instruction.original,
      ...(step.onbuild ? { onbuild: true } : {}),
      ...(vertex ? { vertex } : {}),
    });
    let cached = false;
    let key: string;
    let sources: CopySources | undefined;
    let bound: MountSources | undefined;
    try {
      const plan = planStep(
        step.instruction,
        {
          config: state.config.config ?? {},
          author: state.config.author,
          cmdSet: state.cmdSet,
          declaredArgs: declared,
        },
        step,
      );
      if (step.instruction.kind === 'ARG')
        declared.push(...step.instruction.args.map((a) => a.key));
      if (plan.effect?.kind === 'copy') sources = await copySources(deps, plan.effect, state, run);
      if (plan.effect?.kind === 'run' && plan.effect.mounts.length > 0)
        bound = await mountSources(deps, plan.effect.mounts, run);
      const k = cacheKey(keyInput(plan, step, sources, state, deps, bound));
      key = k.key;
      const hit = missed ? undefined : await lookup(deps, key, place);
      const reused = hit || missed ? undefined : await fromSharedCache(deps, key, state, plan);
      cached = hit !== undefined || reused !== undefined;
      if (hit) {
        state = hit.state(state, plan);
        deps.emit({ type: 'cached', stage: stage.index, step: number, key });
      } else if (reused) {
        // A shared cache's or a --cache-from image's layer, with this step's own config.
        state = await commit(deps, state, plan, reused.layer, key, k.input, place, reused.created);
        deps.emit({ type: 'cached', stage: stage.index, step: number, key });
      } else {
        const explain: CacheExplanation = deps.noCache
          ? { reason: 'no-cache', message: '--no-cache' }
          : filtered
            ? { reason: 'no-cache', message: `--no-cache-filter ${stage.name ?? stage.index}` }
            : missed
              ? { reason: 'after-miss', message: 'an earlier step of this stage ran' }
              : deps.explain
                ? explainMiss(k.input, await run.records(place))
                : { reason: 'no-record', message: 'not in the cache' };
        missed = true;
        deps.emit({ type: 'miss', stage: stage.index, step: number, key, explain });
        const layer = plan.effect
          ? await carryOut(
              deps,
              plan.effect,
              state,
              sources,
              { stage: stage.index, step: number, key },
              text,
              bound,
            )
          : undefined;
        state = await commit(deps, state, plan, layer, key, k.input, place);
      }
    } catch (e) {
      const err = atStep(e, step);
      if (!deps.signal.aborted) deps.emit(failedEvent(stage.index, number, err));
      throw err;
    } finally {
      await sources?.release();
      await bound?.release();
    }
    const ms = Date.now() - started;
    const added = state.layers.length > layersBefore ? state.layers.at(-1)!.digest : undefined;
    // A step's result has an id, not an image ID (no config is stored per step); the
    // stage's last one shows the image ID it would have, as docker's last ` ---> `.
    if (i === stage.steps.length - 1) imageId = sha256(configBytes(state.config));
    deps.emit({
      type: 'done',
      stage: stage.index,
      step: number,
      id: shortDigest(imageId ?? state.id),
      cached,
      ms,
      ...(added ? { layer: added } : {}),
    });
    const { file, line } = step.instruction.span;
    outcomes.push({
      stage: stage.index,
      step: number,
      text,
      cached,
      ms,
      key,
      ...(added ? { layer: added } : {}),
      file,
      line,
    });
  }
  imageId ??= sha256(configBytes(state.config));
  deps.emit({ type: 'stage-done', stage: stage.index, id: imageId });
  return { state, steps: outcomes };
}

/**
 * The key's input. Beyond parent and text: what else changes the step's result —
 * a RUN's build args, network and the build's RUN settings (BuildKit keys the
 * network mode, extra hosts, shm size and ulimits of an exec too),
 * COPY/ADD's sources, and for ENTRYPOINT whether this stage set CMD (which it
 * keeps; an inherited one is cleared), which the parent config cannot tell.
 */
function keyInput(
  plan: Plan,
  step: Step,
  sources: CopySources | undefined,
  state: StageState,
  deps: BuildDeps,
  bound: MountSources | undefined,
): KeyInput {
  const input: KeyInput = { parent: state.id, text: plan.key };
  if (plan.effect?.kind === 'run') {
    if (step.args && Object.keys(step.args).length > 0)
      input.args = Object.fromEntries(Object.entries(step.args).map(([k, v]) => [k, argDigest(v)]));
    if (plan.effect.network === 'default') input.extra = { network: deps.network };
    // What RUN --mount binds counts by content; a cache's seed by which tree it is.
    const seeds = plan.effect.mounts.flatMap((m, i) =>
      m.type === 'cache' && bound?.sources[i] ? [`${i}:${bound.sources[i].identity}`] : [],
    );
    if (bound?.digest) input.extra = { ...input.extra, binds: bound.digest };
    if (seeds.length > 0) input.extra = { ...input.extra, seeds: seeds.join(',') };
    const settings = runSettingsKey(deps.runSettings);
    if (Object.keys(settings).length > 0) input.extra = { ...input.extra, ...settings };
  }
  if (step.instruction.kind === 'ENTRYPOINT') input.extra = { cmdSet: String(state.cmdSet) };
  if (sources) input.sources = sources.key;
  // The epoch fixes the step's time and its layer's mtimes: a result made
  // without it (or with another) is not this step's.
  if (deps.sourceDateEpoch !== undefined)
    input.extra = { ...input.extra, epoch: String(deps.sourceDateEpoch) };
  return input;
}

/**
 * A usable record for `key`: its layer still in the store. The state after it is
 * rebuilt from the record (stepResult), the same bytes as when the step ran. A
 * record of before KEY_VERSION 2 (it named a stored config) is never asked for:
 * no key of today's equals one of then.
 */
async function lookup(
  deps: BuildDeps,
  key: string,
  place: string,
): Promise<{ state: (s: StageState, plan: Plan) => StageState } | undefined> {
  const record = await deps.store.cache.get(key);
  if (!record || typeof record.created !== 'string') return undefined;
  if (record.layer && !(await deps.store.hasLayer(record.layer.digest))) return undefined;
  // prune's `until` counts in hours and days: a record used today need not be rewritten
  // (a temp file, a rename and two fsyncs) on every hit of every warm rebuild.
  // A place that reuses the record for the first time is written too: a later miss
  // of this step there compares with it (explain.ts).
  const now = new Date();
  const places = record.places ?? [];
  if (
    now.getTime() - Date.parse(record.lastUsed) > LAST_USED_PRECISION_MS ||
    !places.includes(place)
  )
    await deps.store.cache.put({
      ...record,
      lastUsed: now.toISOString(),
      places: withPlace(places, place),
    });
  const made = { key, layer: record.layer, created: record.created };
  return { state: (s, plan) => stepResult(s, plan, made) };
}

async function carryOut(
  deps: BuildDeps,
  effect: Effect,
  state: StageState,
  sources: CopySources | undefined,
  ref: { stage: number; step: number; key: string },
  text: string,
  bound?: MountSources,
): Promise<Descriptor | undefined> {
  switch (effect.kind) {
    case 'run':
      return runStep(deps, state.layers, effect, { ...ref, parent: state.id }, text, bound);
    case 'mkdir':
      return changeInSnapshot(deps, state.layers, text, async (rootfs) =>
        mkdirInRoot(rootfs, effect.path, effect.user),
      );
    case 'copy':
      return copyStep(deps, effect, state, sources!, text);
  }
}

/**
 * A step the shared caches have: `--cache-from type=registry` (its layer and time:
 * the config built from them is byte for byte the exporting machine's) or Docker
 * classic's `--cache-from IMAGE` (that image's layer, this build's time).
 */
async function fromSharedCache(
  deps: BuildDeps,
  key: string,
  state: StageState,
  plan: Plan,
): Promise<{ layer?: Descriptor; created?: string } | undefined> {
  return (
    (await deps.remoteCache?.(key)) ??
    (deps.imageCache ? await deps.imageCache(state, plan) : undefined)
  );
}

/**
 * The new state after a step that ran (or whose layer a shared cache gave), and
 * its cache record: the key's input, the layer and the time — O(1) in the
 * Dockerfile's length; the config is rebuilt from them (stepResult).
 */
async function commit(
  deps: BuildDeps,
  state: StageState,
  plan: Plan,
  layer: Descriptor | undefined,
  key: string,
  input: KeyInput,
  place: string,
  created = stepTime(deps),
): Promise<StageState> {
  // A record of this key may exist (its layer gone): the places it had stay.
  const places = (await deps.store.cache.get(key))?.places ?? [];
  const record: CacheRecord = {
    key,
    input,
    created,
    lastUsed: created,
    places: withPlace(places, place),
  };
  if (layer) record.layer = layer;
  await deps.store.cache.put(record);
  return stepResult(state, plan, { key, layer, created });
}

/** `places` with `place` last, the oldest dropped beyond MAX_PLACES. */
function withPlace(places: string[], place: string): string[] {
  return [...places.filter((p) => p !== place), place].slice(-MAX_PLACES);
}

/**
 * An error of a step, placed at its line: `Dockerfile:7:1: "/app.js" not found in
 * the context`, with the code and data it had (a RUN's exit status among them).
 * A full or failing disk is not the Dockerfile's doing: it stays one line that
 * names what was being written (the step's layer, its files) and where. Nor is
 * an install without its native addons: one line saying which and how to build it.
 */
function atStep(e: unknown, step: Step): unknown {
  if (!(e instanceof TsbuildError) || e instanceof DockerfileError) return e;
  if (e.code === 'RUN_ABORTED' || e.code === 'NATIVE_ADDON_MISSING') return e;
  if (e instanceof ResourceError) return e;
  const err = new DockerfileError(e.code, e.message, step.instruction.span, {
    data: { ...e.data },
  });
  err.cause = e;
  return err;
}

/** What a display shows under the step that failed: the error, and a RUN's exit code, log and last lines. */
function failedEvent(stage: number, step: number, e: unknown): BuildEvent {
  const data = (e instanceof TsbuildError ? e.data : {}) as {
    exitCode?: number;
    log?: string;
    tail?: string[];
    hint?: string;
    container?: string;
  };
  return {
    type: 'failed',
    stage,
    step,
    message: (e as Error)?.message ?? String(e),
    ...(data.exitCode !== undefined ? { exitCode: data.exitCode } : {}),
    ...(data.log !== undefined ? { log: data.log } : {}),
    ...(data.tail !== undefined ? { tail: data.tail } : {}),
    ...(data.hint !== undefined ? { hint: data.hint } : {}),
    ...(data.container !== undefined ? { container: data.container } : {}),
  };
}

function fromText(stage: Stage): string {
  return formatInstruction(stage.from);
}

function stepText(step: Step): string {
  return formatInstruction(step.instruction);
}
