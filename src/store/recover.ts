/**
 * After a power loss hit unsynced writes (journal.ts): take out whatever was
 * changed since the oldest such marker, so nothing torn is ever read. A listed
 * image was listed after a sync, so what it holds is whole — except snapshots
 * extracted from its blobs since, which are extracted again when needed.
 * A container made since (a failed build step kept to debug, say) that runs on
 * a layer no listed image holds goes too: that layer may be torn.
 * Caller holds the lock.
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DIGEST_RE } from '../util/digest.js';
import type { BlobStore } from './blobs.js';
import type { CacheStore } from './cache.js';
import type { ContainerRecord } from './containers.js';
import type { ImageRecord } from './records.js';
import type { LayerInfoStore } from './layers.js';
import type { SnapshotStore } from './snapshots.js';

/** What recovery needs of the store (store.ts calls it: no import back). */
interface Store {
  blobs: BlobStore;
  cache: CacheStore;
  layers: LayerInfoStore;
  snapshots: SnapshotStore;
  held(): Promise<Set<string>>;
  images(): Promise<ImageRecord[]>;
  heldBy(image: ImageRecord): Promise<string[]>;
  containers: { list(): Promise<ContainerRecord[]>; path(id: string): string };
  deleteBlob(digest: string): Promise<void>;
}

export async function recoverAfterPowerLoss(store: Store, since: number): Promise<void> {
  await dropNewContainers(store, since);
  const held = await store.held().catch(() => new Set<string>());
  // ctime too: a rename into place changes it, a layer's own mtimes may be old.
  const changed = async (path: string) => {
    const st = await lstat(path).catch(() => undefined);
    return st !== undefined && Math.max(st.ctimeMs, st.mtimeMs) >= since;
  };
  for (const name of await readdir(store.cache.dir).catch(() => [] as string[]))
    if (await changed(join(store.cache.dir, name)))
      await rm(join(store.cache.dir, name), { force: true });

  const layers = new Set<string>(await store.snapshots.list());
  for (const name of await readdir(store.layers.dir).catch(() => [] as string[])) {
    const m = /^([0-9a-f]{64})(\.files)?\.json$/.exec(name);
    if (m) layers.add(`sha256:${m[1]}`);
  }
  for (const diffID of layers) {
    const hex = diffID.slice('sha256:'.length);
    const touched =
      (await changed(store.snapshots.path(diffID))) ||
      (await changed(join(store.layers.dir, `${hex}.json`))) ||
      (await changed(join(store.layers.dir, `${hex}.files.json`)));
    if (!touched) continue;
    if (!held.has(diffID)) {
      await store.deleteBlob(diffID).catch(() => removeLayerFiles(store, diffID));
      continue;
    }
    const info = await store.layers.get(diffID).catch(() => undefined);
    // Held, and the snapshot is the layer: it was synced before the image was listed.
    if (info?.kept !== 'snapshot') await store.snapshots.delete(diffID);
  }
  for (const hex of await readdir(store.blobs.dir).catch(() => [] as string[])) {
    const digest = `sha256:${hex}`;
    if (!DIGEST_RE.test(digest) || held.has(digest)) continue;
    if (await changed(store.blobs.path(digest))) await store.blobs.delete(digest);
  }
}

/**
 * Containers made since `since` on a layer no listed image holds. The record
 * goes first, so a kill half way leaves a directory nothing lists, never a
 * container whose upper dir is half gone; nothing is mounted after a reboot.
 */
async function dropNewContainers(store: Store, since: number): Promise<void> {
  const listed = new Set<string>();
  for (const image of await store.images().catch(() => [] as ImageRecord[]))
    for (const d of await store.heldBy(image).catch(() => [] as string[])) listed.add(d);
  for (const c of await store.containers.list().catch(() => [] as ContainerRecord[])) {
    if (Date.parse(c.created) < since || c.layers.every((l) => listed.has(l))) continue;
    const dir = store.containers.path(c.id);
    await rm(join(dir, 'config.json'), { force: true });
    await rm(dir, { recursive: true, force: true });
  }
}

/** A layer whose record cannot be read (torn): its files, by name. */
async function removeLayerFiles(store: Store, diffID: string): Promise<void> {
  const hex = diffID.slice('sha256:'.length);
  await store.snapshots.delete(diffID);
  for (const f of [`${hex}.json`, `${hex}.files.json`])
    await rm(join(store.layers.dir, f), { force: true });
  await store.blobs.delete(diffID);
}
