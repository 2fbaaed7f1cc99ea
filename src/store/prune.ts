/**
 * `prune`: give back space nothing needs.
 *
 * - dangling images (untagged, nothing built on them) go, as `docker image prune`,
 *   one after another, so an untagged chain goes leaf first; tagged images and
 *   what they were built on always stay;
 * - cache records whose layer no image holds go (`all`: every record), as
 *   `docker builder prune`;
 * - then every blob no image and no remaining record refers to. A blob written
 *   in the last GRACE_MS is kept: a concurrent load or build writes its blobs
 *   before it lists the image, and must not lose them in between.
 *
 * `until` (epoch ms) limits all three to things older than it (image created,
 * record last used, blob written).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { removeImage, type RemoveEvent } from './remove.js';
import type { Store } from './store.js';

const GRACE_MS = 10 * 60_000;

export interface PruneOptions {
  all?: boolean;
  until?: number;
}

export interface PruneResult {
  images: RemoveEvent[];
  /** Cache keys removed. */
  cache: string[];
  /** Bytes freed. */
  reclaimed: number;
}

export async function prune(store: Store, opts: PruneOptions = {}): Promise<PruneResult> {
  const before = await usedBytes(store);
  const until = opts.until ?? Infinity;
  const images: RemoveEvent[] = [];
  for (;;) {
    const all = await store.images();
    const victim = await findVictim(store, all, until);
    if (!victim) break;
    images.push(...(await removeImage(store, victim, { noPrune: true })));
  }
  const cache = await store.withLock(async () => {
    const removed: string[] = [];
    const held = await store.held();
    for (const { record } of await store.cache.list()) {
      if (Date.parse(record.lastUsed) >= until) continue;
      const dangling = record.layer !== undefined && !held.has(record.layer.digest);
      if (opts.all || dangling) {
        await store.cache.delete(record.key);
        removed.push(record.key);
      }
    }
    for (const { record } of await store.cache.list())
      if (record.layer) held.add(record.layer.digest);
    await removeOrphans(store, held, Math.min(until, Date.now() - GRACE_MS));
    return removed;
  });
  return { images, cache, reclaimed: Math.max(0, before - (await usedBytes(store))) };
}

async function findVictim(
  store: Store,
  all: Awaited<ReturnType<Store['images']>>,
  until: number,
): Promise<string | undefined> {
  for (const image of all) {
    if (image.tags.length > 0) continue;
    if (all.some((o) => o.parent === image.id)) continue;
    const created = Date.parse((await store.config(image)).created ?? '');
    if (!Number.isNaN(created) && created >= until) continue;
    return image.id;
  }
  return undefined;
}

async function removeOrphans(store: Store, held: Set<string>, olderThan: number): Promise<void> {
  for (const hex of await readdir(store.blobs.dir)) {
    const digest = `sha256:${hex}`;
    if (held.has(digest)) continue;
    const st = await stat(join(store.blobs.dir, hex));
    if (st.mtimeMs < olderThan) await store.deleteBlob(digest);
  }
}

async function usedBytes(store: Store): Promise<number> {
  let total = 0;
  for (const dir of [store.blobs.dir, store.cache.dir]) {
    for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  }
  return total;
}
