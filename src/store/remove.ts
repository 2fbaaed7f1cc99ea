/**
 * `rmi` as Docker's daemon does it (daemon/images/image_delete.go):
 *
 * - references are tags and repo digests (`repo@sha256:…`, what pull and push
 *   record), as in Docker's reference store;
 * - by reference: untag it — a tag's repository's digests too, once no tag of
 *   that repository is left; delete the image only when that was its last
 *   reference and no other image was built on it;
 * - by ID: untag every reference and delete it; more than one tag, or digests of
 *   another repository, need `force` (Docker's isSingleReference), and so — tsbuild's rule, where Docker
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
import { keepListed, setRepoDigests } from './entries.js';
import { readIndex, refName, writeIndex } from './layout.js';
import { findImage, namedDigest, namedTag } from './names.js';
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
  // Docker's References(): tags and digests, in lexical order.
  const refs = [...image.tags, ...image.repoDigests].sort();

  const byRef = namedTag(name, image) ?? namedDigest(name, image);
  if (byRef && isSingleReference(refs) && !opts.force && users[0])
    throw new StoreError(
      'IMAGE_CONFLICT',
      `conflict: unable to remove repository reference "${name}" (must force) - container ${shortDigest(users[0].id)} is using its referenced image ${shortDigest(image.id)}`,
      { name },
    );
  if (byRef) {
    let left = refs.filter((r) => r !== byRef);
    events.push({ untagged: byRef });
    // The last tag of a repository takes that repository's digests with it.
    const repo = repository(byRef);
    if (!isDigest(byRef) && !left.some((r) => !isDigest(r) && repository(r) === repo)) {
      const gone = left.filter((r) => isDigest(r) && repository(r) === repo);
      for (const r of gone) events.push({ untagged: r });
      left = left.filter((r) => !gone.includes(r));
    }
    entries = entries.filter((d) => refName(d) !== byRef);
    // A running container's image loses the reference and stays (Docker's quiet
    // conflict: `rmi -f app` prints only `Untagged: app:latest`).
    const running = users.some((c) => liveState(c.state).status === 'running');
    if (left.length > 0 || children(image.id, entries).length > 0 || running) {
      const digests = left.filter(isDigest);
      await writeIndex(
        store.root,
        setRepoDigests(keepListed(before, entries), image.manifest.digest, digests),
      );
      return events;
    }
  } else {
    checkConflicts(name, image, refs, children(image.id, entries).length, opts, users);
    for (const r of refs) events.push({ untagged: r });
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
  refs: string[],
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
  if (refs.length > 1 && !isSingleReference(refs))
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

/**
 * Docker's isSingleReference: at most one tag, and every digest of the one
 * repository (the tag's, when there is one).
 */
function isSingleReference(refs: string[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  const tags = refs.filter((r) => !isDigest(r));
  if (tags.length > 1) return false;
  const digestRepos = new Set(refs.filter(isDigest).map(repository));
  return digestRepos.size === 1 && digestRepos.has(repository(tags[0] ?? refs[0]!));
}

const isDigest = (ref: string) => ref.includes('@');

/** A canonical reference's repository: `host/repo` of `host/repo:tag` or `host/repo@sha256:…`. */
function repository(ref: string): string {
  return isDigest(ref) ? ref.slice(0, ref.indexOf('@')) : ref.slice(0, ref.lastIndexOf(':'));
}

function parentOf(images: ImageRecord[], image: ImageRecord): ImageRecord | undefined {
  return image.parent ? images.find((i) => i.id === image.parent) : undefined;
}
