/**
 * Walks the stage graph: each stage the target needs starts once the stages it reads
 * from are done; at most `jobs` run at once. The first failure aborts the others
 * (their RUNs are killed, their mounts released) and is the one reported.
 */
import type { StageGraph } from '../dockerfile/stage.js';
import { cacheKey, type KeyInput } from './cachekey.js';
import type { NamedContext } from './named-context.js';
import type { BuildDeps } from './deps.js';
import { runStage, type StepOutcome } from './stage.js';
import { baseState, type StageState } from './state.js';

export interface ScheduleOptions {
  jobs: number;
  /** The state a stage starts from when its base is not another stage. */
  baseState(index: number): Promise<StageState>;
  imageState(ref: string): Promise<StageState>;
  namedContext(ref: string): NamedContext | undefined;
}

export async function buildStages(
  graph: StageGraph,
  deps: BuildDeps,
  opts: ScheduleOptions,
): Promise<{ state: StageState; steps: StepOutcome[] }> {
  const abort = new AbortController();
  const signal = AbortSignal.any([deps.signal, abort.signal]);
  const scoped: BuildDeps = { ...deps, signal };
  const numbering = stepNumbers(graph);
  const results = new Map<number, Promise<StageState>>();
  const steps: StepOutcome[] = [];
  const slots = new Semaphore(Math.max(1, opts.jobs));
  let byPlace: Promise<Map<string, KeyInput[]>> | undefined;
  const records = async (place: string) => {
    byPlace ??= indexRecords(deps);
    return (await byPlace).get(place) ?? [];
  };
  let first: unknown;
  const start = (index: number): Promise<StageState> => {
    const existing = results.get(index);
    if (existing) return existing;
    const stage = graph.stages[index]!;
    const p = (async () => {
      // Every stage this one reads from first, outside the slot it will take.
      await Promise.all(stage.dependsOn.map((d) => start(d)));
      const base =
        stage.base.kind === 'stage' ? await start(stage.base.index) : await opts.baseState(index);
      await slots.take(signal);
      try {
        const out = await runStage(
          {
            stage,
            // FROM another stage: as FROM an image, its triggers are consumed, not passed on.
            base:
              stage.base.kind === 'stage'
                ? { ...baseState(base.config, base.layers), id: base.id }
                : base,
            firstStep: numbering.get(index)!,
            total: numbering.total,
            stages: graph.stages,
            stageState: start,
            imageState: opts.imageState,
            namedContext: opts.namedContext,
            records,
          },
          scoped,
        );
        for (const s of out.steps) steps.push(s); // not push(...): a stage may have more steps than the stack has room for arguments
        return out.state;
      } finally {
        slots.give();
      }
    })();
    p.catch((e: unknown) => {
      first ??= e;
      abort.abort(e);
    });
    results.set(index, p);
    return p;
  };
  for (const i of graph.order) start(i).catch(() => undefined);
  // Every stage settles (the others abort) before the first failure is reported.
  await Promise.allSettled([...results.values()]);
  if (first !== undefined) throw first;
  steps.sort((a, b) => a.step - b.step);
  return { state: await results.get(graph.target)!, steps };
}

/** Docker numbers every line it builds: a stage's FROM, then its steps, stage after stage. */
export function stepNumbers(graph: StageGraph): Map<number, number> & { total: number } {
  const out = new Map<number, number>() as Map<number, number> & { total: number };
  let n = 1;
  for (const i of graph.order) {
    out.set(i, n);
    n += 1 + graph.stages[i]!.steps.length;
  }
  out.total = n - 1;
  return out;
}

async function indexRecords(deps: BuildDeps): Promise<Map<string, KeyInput[]>> {
  const out = new Map<string, KeyInput[]>();
  const records = (await deps.store.cache.list()).map((r) => r.record);
  // Oldest first by last use: the closest earlier build is the one that used a record last.
  records.sort(
    (a, b) => a.lastUsed.localeCompare(b.lastUsed) || a.created.localeCompare(b.created),
  );
  for (const r of records) {
    const input = r.input as KeyInput | undefined;
    if (!input?.parent) continue;
    // A record of another KEY_VERSION shares parents with none of this build's steps
    // but the first of a stage, and would explain that one wrongly (and has no places).
    if (cacheKey(input).key !== r.key) continue;
    for (const place of r.places ?? []) {
      const list = out.get(place) ?? [];
      list.push(input);
      out.set(place, list);
    }
  }
  return out;
}

/** At most n holders; waiting stops when the build is aborted. */
class Semaphore {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}

  async take(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}
