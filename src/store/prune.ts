/**
 * `prune`: give back space nothing needs, under one hold of the lock (so a
 * concurrent `tag` cannot rescue an image between our choosing and deleting it).
 *
 * - dangling images (untagged, nothing built on them, no container using them)
 *   go, as `docker image prune`, with any repo digests they keep, one after
 *   another, so an untagged chain goes leaf first; tagged images and what they
 *   were built on always stay;
 * - containers and what they run on always stay (their layers are in `held()`):
 *   removing stopped containers is `rm`'s, never a side effect of prune;
 * - cache records whose layer no image holds go (`all`: every record), as
 *   `docker builder prune`, and records of the old format no build asks for (they
 *   named a config stored per step: cache.ts);
 * - then every blob no image and no remaining record refers to, and what a
 *   killed command left in tmp/ (never a live writer's). Anything written or
 *   reused in the last GRACE_MS is kept: a concurrent load or build writes its
 *   blobs before it lists the image, and must not lose them in between.
 *
 * `until` (epoch ms) limits all of it to things older than that (image created,
 * record last used, blob written).
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { tempOwnerAlive } from '../util/temp-owner.js';
import { removeImageLocked, type RemoveEvent } from './remove.js';
import type { ImageRecord, Store } from './store.js';

const GRACE_MS = 10 * 60_000;

export interface PruneOptions {
  all?: boolean;
  until?: number;
  /** Only build cache records (`regular`) or only RUN cache mounts (`exec.cachemount`). */
  only?: 'regular' | 'exec.cachemount';
}

export interface PruneResult {
  images: RemoveEvent[];
  /** Cache keys removed. */
  cache: string[];
  /** Ids of the RUN --mount=type=cache directories removed. */
  cacheMounts: string[];
  /** Bytes freed. */
  reclaimed: number;
}

export async function prune(store: Store, opts: PruneOptions = {}): Promise<PruneResult> {
  return store.withLock(async () => {
    const before = await usedBytes(store);
    const until = opts.until ?? Infinity;
    const images: RemoveEvent[] = [];
    // Cache mounts hold no layer: only their own bytes come back.
    const cacheMounts: string[] = [];
    let mountBytes = 0;
    if (opts.only !== 'regular') {
      for (const m of await store.cacheMounts.list()) {
        if (m.inUse || Date.parse(m.lastUsed) >= until) continue;
        const freed = await store.cacheMounts.remove(m.key);
        if (freed === undefined) continue;
        cacheMounts.push(m.id);
        mountBytes += freed;
      }
      if (opts.only === 'exec.cachemount')
        return { images, cache: [], cacheMounts, reclaimed: mountBytes };
    }
    for (;;) {
      const victim = await findVictim(store, await store.images(), until);
      if (!victim) break;
      // `force`: a victim keeps no tag but may keep repo digests, of several
      // repositories even, which Docker's prune untags one by one (the victim has
      // no children and no container, so force overrides nothing else).
      images.push(...(await removeImageLocked(store, victim, { noPrune: true, force: true })));
    }
    const cache: string[] = [];
    const held = await store.held();
    for (const { record } of await store.cache.list()) {
      if (Date.parse(record.lastUsed) >= until) continue;
      const dangling = record.layer !== undefined && !held.has(record.layer.digest);
      if (opts.all || dangling || record.config !== undefined) {
        await store.cache.delete(record.key);
        cache.push(record.key);
      }
    }
    // A record's layer is what a cache hit reads (its config is rebuilt, never read).
    for (const { record } of await store.cache.list())
      if (record.layer) held.add(record.layer.digest);
    const olderThan = Math.min(until, Date.now() - GRACE_MS);
    await removeOrphans(store, held, olderThan);
    await removeLeftovers(store, olderThan);
    const reclaimed = Math.max(0, before - (await usedBytes(store))) + mountBytes;
    return { images, cache, cacheMounts, reclaimed };
  });
}

/** A dangling image older than `until`, if there is one. */
async function findVictim(
  store: Store,
  all: ImageRecord[],
  until: number,
): Promise<string | undefined> {
  const parents = new Set(all.map((i) => i.parent));
  const used = (await store.containers.held()).images;
  for (const image of all) {
    if (image.tags.length > 0 || parents.has(image.id) || used.has(image.id)) continue;
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
  // A layer kept as its snapshot alone has no blob: its snapshot is the orphan.
  // Its age is its record's (written when the build kept it); a snapshot with no
  // record is a kill's leftover, aged by the snapshot dir itself.
  for (const diffID of await store.snapshots.list()) {
    if (held.has(diffID)) continue;
    const hex = diffID.slice('sha256:'.length);
    const record = await stat(join(store.layers.dir, `${hex}.json`)).catch(() => undefined);
    const st = record ?? (await stat(store.snapshots.path(diffID)).catch(() => undefined));
    if (st && st.mtimeMs < olderThan) await store.deleteBlob(diffID);
  }
}

/**
 * What a killed command left: temp blobs, half-unpacked archives, half-written
 * records. Those whose writer is known dead went when the lock was taken
 * (temps.ts); what is left here by age is what names no writer this process can
 * judge — never what a live one is still writing, however long it has taken.
 */
async function removeLeftovers(store: Store, olderThan: number): Promise<void> {
  const tmp = join(store.root, 'tmp');
  for (const name of await readdir(tmp)) {
    // A build's work dir may hold overlay mounts, and a long RUN leaves it untouched
    // for minutes: age says nothing. Builds sweep the dirs of dead builds themselves
    // (api/build-sweep.ts), as `prune` does before it gets here.
    if (name.startsWith('build-') || tempOwnerAlive(name) === true) continue;
    await removeIfOld(join(tmp, name), olderThan);
  }
  for (const dir of [store.root, store.cache.dir, store.layers.dir])
    for (const name of await readdir(dir))
      if (name.startsWith('.tmp-')) await removeIfOld(join(dir, name), olderThan);
}

async function removeIfOld(path: string, olderThan: number): Promise<void> {
  const st = await stat(path).catch(() => undefined);
  if (st && st.mtimeMs < olderThan) await rm(path, { recursive: true, force: true });
}

async function usedBytes(store: Store): Promise<number> {
  let total = 0;
  for (const dir of [store.blobs.dir, store.cache.dir]) {
    for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  }
  // A layer kept as its snapshot counts its tar's size (walking every snapshot would cost more).
  for (const diffID of await store.snapshots.list()) {
    const info = await store.layers.get(diffID);
    if (info?.kept === 'snapshot') total += info.size ?? 0;
  }
  return total;
}
