/**
 * COPY/ADD in the engine: build/copy decides what is copied and its checksum;
 * this joins it to the stage — which tree the sources come from (the context, or
 * a stage's or image's filesystem for --from, mounted read-only for as long as
 * the step needs it), where --chown names are looked up (the destination's
 * filesystem), and the copy itself in a snapshot of the parent whose diff is the
 * layer. `--link` copies onto an empty root, so its layer does not depend on the
 * parent's files.
 */
import { existsSync, linkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceEntry } from '../../context/walk.js';
import { hasXattrs } from '../../layer/xattrs.js';
import type { SourceTree } from '../../context/sources.js';
import { FileHasher, StampWatch } from '../../context/statcache.js';
import { TsbuildError } from '../../errors.js';
import { fileType, lstatFile, type FileStat } from '../../util/lstat.js';
import type { Descriptor } from '../../image/types.js';
import { copyInto, planCopy, type CopyOptions, type CopyPlan } from '../copy/index.js';
import type { Download } from '../copy/download.js';
import type { KeyInput } from '../cachekey.js';
import type { BuildDeps } from '../deps.js';
import type { Effect } from '../instructions/types.js';
import type { StageRun } from '../stage-run.js';
import type { StageState } from '../state.js';
import { mountLayers, openFromTree } from '../from-source.js';
import { changeInSnapshot } from './snapshot.js';

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
      // A stage's or image's filesystem (mounted until release), or a named context's tree.
      const source = await openFromTree(deps, from, run);
      mounts.push(source.release);
      tree = source.tree;
    }
    let rootfsForChown = '/nonexistent';
    // A numeric --chown needs no passwd or group file: no mount for it.
    if (ins.chown !== undefined && !/^\d+(:\d+)?$/.test(ins.chown)) {
      const parent = await mountLayers(deps, state.layers);
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
      git: deps.gitTree,
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
  // Only a copy from the context is worth remembering: its files come back in the next
  // build of the same step (one file changed: the 9,999 others need not be written again).
  const fromContext = sources.recheck !== undefined;
  const written: Record<string, string> = {};
  const layer = await changeInSnapshot(
    deps,
    link ? [] : state.layers,
    text,
    async (rootfs, snap) => {
      const base = realpathSync(rootfs);
      const upper = snap.upper && realpathSync(snap.upper);
      // A host path the copy wrote, merged view or upper dir, as a path in the root.
      const rel = (host: string) =>
        upper && host.startsWith(`${upper}/`) ? host.slice(upper.length) : host.slice(base.length);
      const reuse = fromContext && upper ? await reuser(deps, text, rel) : undefined;
      const links = await copyInto(rootfs, sources.plan, {
        signal: deps.signal,
        ...(reuse ? { reuse } : {}),
        ...(upper ? { redirect: (host: string) => upper + host.slice(base.length) } : {}),
        ...(fromContext
          ? {
              onFile: (e: SourceEntry, host: string) => {
                const digest = deps.hasher.cached(e.abs, e.stat);
                if (digest !== undefined) written[rel(host)] = digest;
              },
            }
          : {}),
      });
      // The copy no longer reads the merged view: the links go straight into the upper dir,
      // in directories this copy made (so they are there already).
      for (const [from, host] of links) linkSync(from, upper + rel(host));
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
    },
  );
  if (layer && fromContext && !link) {
    await deps.store.layers.putFiles(layer.digest, written);
    await deps.store.cache.setLastCopy(text, layer.digest);
  }
  return layer;
}

/** Past 2^53 a number would round the sizes: then lstat's exact ones. */
const sameSize = (a: FileStat, b: FileStat): boolean =>
  a.exact === undefined && b.exact === undefined
    ? a.size === b.size
    : BigInt(a.exact?.size ?? a.size) === BigInt(b.exact?.size ?? b.size);

/**
 * Where this COPY's files may already be: the snapshot of the layer the same
 * instruction made last time. A file there is taken only when its path, size,
 * mode, owner and mtime are what the copy would make and its recorded content
 * digest is the source's: then a hardlink is that file (snapshots never change).
 */
async function reuser(
  deps: BuildDeps,
  text: string,
  relOf: (host: string) => string,
): Promise<CopyOptions['reuse']> {
  const previous = await deps.store.cache.lastCopy(text);
  if (previous === undefined) return undefined;
  const dir = deps.store.snapshots.path(previous);
  const files = existsSync(dir) ? await deps.store.layers.files(previous) : undefined;
  if (files === undefined) return undefined;
  return async (e, host, meta) => {
    const rel = relOf(host);
    const recorded = files[rel];
    if (recorded === undefined || recorded !== deps.hasher.cached(e.abs, e.stat)) return undefined;
    const old = dir + rel;
    const st = lstatFile(old);
    const same =
      st !== undefined &&
      fileType(st) === 'file' &&
      sameSize(st, e.stat) &&
      (st.mode & 0o7777) === meta.mode &&
      st.uid === meta.uid &&
      st.gid === meta.gid &&
      // A copy sets times through a double (copy-tree.ts seconds()): equal within 1 µs.
      // (Exact in doubles: a difference of a second or more is far from 1000 anyway.)
      Math.abs((st.mtimeSec - e.stat.mtimeSec) * 1e9 + (st.mtimeNsec - e.stat.mtimeNsec)) < 1000 &&
      !hasXattrs(Buffer.from(old));
    return same ? old : undefined;
  };
}
