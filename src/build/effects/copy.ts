/**
 * COPY/ADD in the engine: build/copy decides what is copied and its checksum;
 * this joins it to the stage — which tree the sources come from (the context, or
 * a stage's or image's filesystem for --from, mounted read-only for as long as
 * the step needs it), where --chown names are looked up (the destination's
 * filesystem), and the copy itself in a snapshot of the parent whose diff is the
 * layer. `--link` copies onto an empty root, so its layer does not depend on the
 * parent's files.
 */
import { join } from 'node:path';
import type { SourceTree } from '../../context/sources.js';
import { FileHasher, StampWatch } from '../../context/statcache.js';
import { TsbuildError } from '../../errors.js';
import type { Descriptor } from '../../image/types.js';
import { copyInto, planCopy, type CopyPlan } from '../copy/index.js';
import type { Download } from '../copy/download.js';
import type { KeyInput } from '../cachekey.js';
import type { BuildDeps } from '../deps.js';
import type { Effect } from '../instructions/types.js';
import type { StageRun } from '../stage-run.js';
import type { StageState } from '../state.js';
import { changeInSnapshot, lowerDirs } from './snapshot.js';

/** Keep per-file digests in the cache record (to explain a miss) up to this many files. */
const EXPLAIN_FILES = 2000;

export interface CopySources {
  key: NonNullable<KeyInput['sources']>;
  plan: CopyPlan;
  /** Unmount what planning mounted; call once the step is over. */
  release(): Promise<void>;
  /** The context files that changed since the key was computed (context sources only). */
  recheck?: () => string[];
}

type CopyEffect = Extract<Effect, { kind: 'copy' }>;

const downloadsByBuild = new WeakMap<BuildDeps['store'], Map<string, Promise<Download>>>();

export async function copySources(
  deps: BuildDeps,
  effect: CopyEffect,
  state: StageState,
  run: StageRun,
): Promise<CopySources> {
  const { ins } = effect;
  const mounts: (() => Promise<void>)[] = [];
  const release = async () => {
    for (const m of mounts.splice(0).reverse()) await m();
  };
  try {
    let tree: SourceTree = {
      root: deps.context.dir,
      ignore: deps.context.ignore,
      label: 'context',
    };
    const from = ins.kind === 'COPY' ? ins.from : undefined;
    if (from !== undefined) {
      const source = await fromState(from, run);
      const mounted = await mount(deps, source.layers);
      mounts.push(mounted.release);
      tree = { root: mounted.rootfs, label: source.label, keepOwners: true };
    }
    let rootfsForChown = '/nonexistent';
    // A numeric --chown needs no passwd or group file: no mount for it.
    if (ins.chown !== undefined && !/^\d+(:\d+)?$/.test(ins.chown)) {
      const parent = await mount(deps, state.layers);
      mounts.push(parent.release);
      rootfsForChown = parent.rootfs;
    }
    let downloads = downloadsByBuild.get(deps.store);
    if (!downloads) downloadsByBuild.set(deps.store, (downloads = new Map()));
    // The context's files can change while the build runs; a stage's or image's cannot.
    const watch = from === undefined ? new StampWatch(deps.hasher) : undefined;
    const options = {
      tree,
      workdir: effect.workdir,
      rootfsForChown,
      // The persisted stat cache is for the context: a stage's or image's files sit
      // under a mount path that changes every time, so remembering them only grows it.
      hasher: watch ?? (await FileHasher.open()),
      workDir: join(deps.workRoot, 'downloads'),
      downloads,
      signal: deps.signal,
    };
    const { plan, checksum } = await planCopy(ins, options);
    const count = checksum.files.size;
    const key: CopySources['key'] = { digest: checksum.digest, count };
    if (count <= EXPLAIN_FILES) key.files = Object.fromEntries(checksum.files);
    return { key, plan, release, ...(watch ? { recheck: () => watch.changedSince() } : {}) };
  } catch (e) {
    await release();
    throw e;
  }
}

export async function copyStep(
  deps: BuildDeps,
  effect: CopyEffect,
  state: StageState,
  sources: CopySources,
  text: string,
): Promise<Descriptor | undefined> {
  const link = effect.ins.link;
  return changeInSnapshot(deps, link ? [] : state.layers, text, async (rootfs) => {
    await copyInto(rootfs, sources.plan, { signal: deps.signal });
    // The key was computed before the copy read the files: had one changed in
    // between, the layer would be stored under a key that does not describe it.
    // Every file hashed for the key is stat-ed again: its ctime stamp must not have moved.
    const changed = sources.recheck?.() ?? [];
    if (changed.length > 0)
      throw new TsbuildError(
        'CONTEXT_CHANGED',
        `${text}: ${changed.length} file(s) of the context changed while the step ran (${changed.slice(0, 3).join(', ')}); build again`,
        { files: changed },
      );
  });
}

async function fromState(
  from: string,
  run: StageRun,
): Promise<{ layers: Descriptor[]; label: string }> {
  const index = run.stage.dependsOn.find(
    (d) => d !== run.stage.index && stageMatches(run, d, from),
  );
  if (index !== undefined)
    return { layers: (await run.stageState(index)).layers, label: `stage ${from}` };
  return { layers: (await run.imageState(from)).layers, label: `image ${from}` };
}

/** `--from=build` or `--from=1` (also `01`, as stage-refs.ts reads an index). */
function stageMatches(run: StageRun, index: number, from: string): boolean {
  const s = run.stages[index]!;
  return s.name === from.toLowerCase() || (/^[0-9]+$/.test(from) && Number(from) === index);
}

async function mount(
  deps: BuildDeps,
  layers: Descriptor[],
): Promise<{ rootfs: string; release: () => Promise<void> }> {
  const snapshotter = await deps.snapshotter();
  const snap = await snapshotter.prepare(await lowerDirs(deps, layers), {
    workRoot: deps.workRoot,
  });
  return { rootfs: snap.rootfs, release: () => snap.release() };
}
