/**
 * A writable root over a state's layers, something done in it, and what changed
 * stored as a layer: the one mechanism behind RUN, WORKDIR and COPY. An empty diff
 * gives no layer (history then says `empty_layer`).
 */
import { asResourceError, failingAs } from '../../errors.js';
import { MediaType, type Descriptor } from '../../image/types.js';
import { hashSnapshot } from '../../store/layer-bytes.js';
import type { Snapshot } from '../../runtime/snapshot/types.js';
import type { BuildDeps } from '../deps.js';

/** Paths a runner puts in place that must never reach a layer. */
const RUNTIME_FILES = new Set(['etc/hosts', 'etc/resolv.conf']);

/** An empty layer is the two end-of-archive blocks alone. */
const EMPTY_TAR_SIZE = 1024;

/**
 * The layers' snapshot dirs, bottom first, each layer once: two steps can make
 * the very same layer (`RUN --mount=type=secret` twice in one second leaves the
 * same /run/secrets entry), and overlayfs refuses a lower dir given twice
 * (ELOOP). Only the upper occurrence is kept: what the lower one holds, the
 * upper one holds too, above everything in between, so the view is the same.
 */
export async function lowerDirs(deps: BuildDeps, layers: Descriptor[]): Promise<string[]> {
  const seen = new Set<string>();
  const once = [...layers]
    .reverse()
    .filter((l) => !seen.has(l.digest) && seen.add(l.digest))
    .reverse();
  return Promise.all(once.map((l) => deps.store.snapshots.get(l.digest)));
}

/**
 * `failed`, when given, is called with the snapshot and the error when `fn`
 * fails, before the snapshot is released: a failed RUN is kept from there
 * (keep-failed.ts). What it throws is not the step's error and is dropped.
 */
export async function changeInSnapshot(
  deps: BuildDeps,
  layers: Descriptor[],
  source: string,
  fn: (rootfs: string, snap: Snapshot) => Promise<void>,
  failed?: (snap: Snapshot, e: unknown) => Promise<void>,
): Promise<Descriptor | undefined> {
  const lowers = await lowerDirs(deps, layers);
  const snapshotter = await deps.snapshotter();
  const snap = await failingAs({ writing: `a snapshot for ${source}`, to: deps.workRoot }, () =>
    snapshotter.prepare(lowers, {
      workRoot: deps.workRoot,
      exclude: (p) => RUNTIME_FILES.has(p),
    }),
  );
  try {
    try {
      await fn(snap.rootfs, snap);
    } catch (e) {
      await failed?.(snap, e).catch(() => undefined);
      // What the step wrote went to the snapshot, in the store's tmp/.
      throw asResourceError(e, { writing: `the files of ${source}`, within: snap.rootfs });
    }
    if (snap.detach) return await keepSnapshot(deps, await snap.detach(), source);
    const summary = { unpackedSize: 0, complete: false };
    const epoch = deps.sourceDateEpoch;
    const diff = snap.diff({ summary, ...(epoch === undefined ? {} : { sourceDateEpoch: epoch }) });
    const layer = await deps.putLayer(diff, source, summary);
    return layer.size <= EMPTY_TAR_SIZE ? undefined : layer;
  } finally {
    await snap.release();
  }
}

/**
 * The layer is the snapshot: its tar is only hashed (the diff ID), never
 * written, and the directory becomes the layer (store.keepBuiltLayer). The tar
 * is made from the very directory that is kept, with the same SOURCE_DATE_EPOCH
 * clamp (recorded with it), so making it again later (save, push) gives the same bytes.
 */
async function keepSnapshot(
  deps: BuildDeps,
  dir: string,
  source: string,
): Promise<Descriptor | undefined> {
  const epoch = deps.sourceDateEpoch;
  const layer = await failingAs({ reading: `the layer of ${source}`, within: dir }, () =>
    hashSnapshot(dir, epoch),
  );
  if (layer.size <= EMPTY_TAR_SIZE) return undefined;
  await failingAs({ writing: `the layer of ${source}`, to: deps.store.root }, () =>
    deps.store.keepBuiltLayer(dir, {
      ...layer,
      ...(epoch === undefined ? {} : { sourceDateEpoch: epoch }),
    }),
  );
  return { mediaType: MediaType.ociLayer, digest: layer.diffID, size: layer.size };
}
