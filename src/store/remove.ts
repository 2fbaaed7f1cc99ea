/**
 * `rmi` as Docker's daemon does it (daemon/images/image_delete.go), minus
 * containers, which tsbuild does not have:
 *
 * - by reference: untag it; delete the image only when that was its last tag
 *   and no other image was built on it;
 * - by ID: untag every reference and delete it; more than one tag needs
 *   `force` (Docker's isSingleReference), and so — tsbuild's rule, where Docker
 *   refuses outright — does an image that others were built on (their layers
 *   are content-addressed, so they stay whole);
 * - after a delete, untagged parents that no other image was built on go too
 *   (Docker's intermediate-image pruning), unless `noPrune`.
 *
 * A blob is deleted only when no remaining image holds it. Everything is
 * decided first and index.json is rewritten once, before any blob is deleted.
 */
import { shortDigest } from '../util/digest.js';
import type { Descriptor } from '../image/types.js';
import { StoreError } from './errors.js';
import { keepListed } from './entries.js';
import { readIndex, refName, writeIndex } from './layout.js';
import { findImage, namedTag } from './names.js';
import { groupImages, type ImageRecord } from './records.js';
import { found, type Store } from './store.js';

export interface RemoveOptions {
  force?: boolean;
  noPrune?: boolean;
}

/** What happened, in Docker's order: `Untagged:` refs, then `Deleted:` digests. */
export type RemoveEvent = { untagged: string } | { deleted: string };

export function removeImage(
  store: Store,
  name: string,
  opts: RemoveOptions = {},
): Promise<RemoveEvent[]> {
  return store.withLock(() => removeImageLocked(store, name, opts));
}

/** removeImage for a caller that already holds the store's lock. */
export async function removeImageLocked(
  store: Store,
  name: string,
  opts: RemoveOptions = {},
): Promise<RemoveEvent[]> {
  const before = (await readIndex(store.root)).manifests;
  const images = await groupImages(before, (d) => store.blobs.readJson(d.digest));
  const image = found(findImage(images, name), name);
  const listed = (entries: Descriptor[], i: ImageRecord) =>
    entries.some((d) => d.digest === i.manifest.digest);
  const children = (id: string, entries: Descriptor[]) =>
    images.filter((i) => i.parent === id && listed(entries, i));
  const events: RemoveEvent[] = [];
  let entries = before;

  const byRef = namedTag(name, image);
  if (byRef) {
    entries = entries.filter((d) => refName(d) !== byRef);
    events.push({ untagged: byRef });
    if (image.tags.length > 1 || children(image.id, entries).length > 0) {
      await writeIndex(store.root, keepListed(before, entries));
      return events;
    }
  } else {
    checkConflicts(name, image, children(image.id, entries).length, opts);
    for (const t of image.tags) events.push({ untagged: t });
  }

  const deleted: ImageRecord[] = [image];
  entries = entries.filter((d) => d.digest !== image.manifest.digest);
  for (let p = parentOf(images, image); p && !opts.noPrune; p = parentOf(images, p)) {
    if (p.tags.length > 0 || children(p.id, entries).length > 0) break;
    const digest = p.manifest.digest;
    entries = entries.filter((d) => d.digest !== digest);
    deleted.push(p);
  }
  await writeIndex(store.root, entries);

  const kept = new Set<string>();
  for (const i of images.filter((i) => listed(entries, i)))
    for (const b of await store.heldBy(i)) kept.add(b);
  for (const d of deleted) {
    events.push({ deleted: d.id });
    const layers = (await store.manifest(d)).layers.map((l) => l.digest);
    for (const b of [d.manifest.digest, d.id, ...layers]) {
      if (kept.has(b)) continue;
      kept.add(b);
      await store.deleteBlob(b);
      if (layers.includes(b)) events.push({ deleted: b });
    }
  }
  return events;
}

function checkConflicts(
  name: string,
  image: ImageRecord,
  children: number,
  opts: RemoveOptions,
): void {
  if (opts.force) return;
  const short = shortDigest(image.id);
  if (image.tags.length > 1)
    throw new StoreError(
      'IMAGE_CONFLICT',
      `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`,
      { name },
    );
  if (children > 0)
    throw new StoreError(
      'IMAGE_CONFLICT',
      `conflict: unable to delete ${short} (must be forced) - image has dependent child images`,
      { name },
    );
}

function parentOf(images: ImageRecord[], image: ImageRecord): ImageRecord | undefined {
  return image.parent ? images.find((i) => i.id === image.parent) : undefined;
}
