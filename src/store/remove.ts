/**
 * `rmi` as Docker's daemon does it (daemon/images/image_delete.go):
 *
 * - by reference: untag it; delete the image only when that was its last tag
 *   and no other image was built on it;
 * - by ID: untag every reference and delete it; more than one tag needs
 *   `force` (Docker's isSingleReference), and so — tsbuild's rule, where Docker
 *   refuses outright — does an image that others were built on (their layers
 *   are content-addressed, so they stay whole);
 * - after a delete, untagged parents that no other image was built on go too
 *   (Docker's intermediate-image pruning), unless `noPrune`;
 * - an image a container uses: its last reference goes only with `force`, by ID
 *   only with `force` and only when no such container runs (Docker's words);
 *   `force` by reference with a running container untags and keeps the image.
 *   The layers a container runs on, and its image's config, stay whatever
 *   happens to the image.
 *
 * A blob is deleted only when no remaining image holds it. Everything is
 * decided first and index.json is rewritten once, before any blob is deleted.
 */
import { shortDigest } from '../util/digest.js';
import type { Descriptor } from '../image/types.js';
import { liveState, type ContainerRecord } from './containers.js';
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
  const users = (await store.containers.held()).images.get(image.id) ?? [];

  const byRef = namedTag(name, image);
  if (byRef && image.tags.length === 1 && !opts.force && users[0])
    throw new StoreError(
      'IMAGE_CONFLICT',
      `conflict: unable to remove repository reference "${name}" (must force) - container ${shortDigest(users[0].id)} is using its referenced image ${shortDigest(image.id)}`,
      { name },
    );
  if (byRef) {
    entries = entries.filter((d) => refName(d) !== byRef);
    events.push({ untagged: byRef });
    // A running container's image loses the tag and stays (Docker's quiet
    // conflict: `rmi -f app` prints only `Untagged: app:latest`).
    const running = users.some((c) => liveState(c.state).status === 'running');
    if (image.tags.length > 1 || children(image.id, entries).length > 0 || running) {
      await writeIndex(store.root, keepListed(before, entries));
      return events;
    }
  } else {
    checkConflicts(name, image, children(image.id, entries).length, opts, users);
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

  const kept = await store.heldByContainers();
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
  users: ContainerRecord[],
): void {
  const short = shortDigest(image.id);
  const running = users.find((c) => liveState(c.state).status === 'running');
  if (running)
    throw new StoreError(
      'IMAGE_CONFLICT',
      `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${shortDigest(running.id)}`,
      { name },
    );
  if (opts.force) return;
  if (users[0])
    throw new StoreError(
      'IMAGE_CONFLICT',
      `conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${shortDigest(users[0].id)}`,
      { name },
    );
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
