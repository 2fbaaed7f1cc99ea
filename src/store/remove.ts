/**
 * `rmi` as Docker's daemon does it (daemon/images/image_delete.go), minus
 * containers, which tsbuild does not have:
 *
 * - by reference: untag it; delete the image only when that was its last tag
 *   and no other image was built on it;
 * - by ID: untag every reference and delete it; more than one repository needs
 *   `force`, and so — tsbuild's rule, where Docker refuses outright — does an
 *   image that others were built on (their layers are content-addressed, so
 *   they stay whole);
 * - after a delete, untagged parents that no other image was built on go too
 *   (Docker's intermediate-image pruning), unless `noPrune`.
 *
 * A layer blob is deleted only when no remaining image lists it. Everything is
 * decided first and index.json is rewritten once, before any blob is deleted.
 */
import type { Descriptor, Manifest } from '../image/types.js';
import { formatReference, parseReference } from '../image/reference.js';
import { StoreError } from './errors.js';
import { readIndex, refName, writeIndex } from './layout.js';
import { groupImages, type ImageRecord } from './records.js';
import type { Store } from './store.js';

export interface RemoveOptions {
  force?: boolean;
  noPrune?: boolean;
}

/** What happened, in Docker's order: `Untagged:` refs, then `Deleted:` digests. */
export type RemoveEvent = { untagged: string } | { deleted: string };

export async function removeImage(
  store: Store,
  name: string,
  opts: RemoveOptions = {},
): Promise<RemoveEvent[]> {
  return store.withLock(async () => {
    const index = await readIndex(store.root);
    const images = await groupImages(index.manifests, (d) =>
      store.blobs.readJson<Manifest>(d.digest),
    );
    const image = await store.resolve(name);
    const events: RemoveEvent[] = [];
    const byRef = namedTag(name, image);
    let entries = index.manifests;
    const children = (id: string, live: Descriptor[]) =>
      images.filter((i) => i.parent === id && live.some((d) => d.digest === i.manifest.digest));

    if (byRef) {
      entries = entries.filter((d) => refName(d) !== byRef);
      events.push({ untagged: byRef });
      const stillTagged = image.tags.length > 1;
      if (stillTagged || children(image.id, entries).length > 0) {
        if (!entries.some((d) => d.digest === image.manifest.digest))
          entries.push(untaggedEntry(index.manifests, image));
        await writeIndex(store.root, entries);
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
      entries = entries.filter((d) => d.digest !== p!.manifest.digest);
      deleted.push(p);
    }
    await writeIndex(store.root, entries);

    const live = images.filter((i) => entries.some((d) => d.digest === i.manifest.digest));
    const kept = new Set<string>();
    for (const i of live) for (const b of await store.heldBy(i)) kept.add(b);
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
  });
}

/** The canonical tag `name` names, when it names one of `image`'s tags (not an ID). */
function namedTag(name: string, image: ImageRecord): string | undefined {
  try {
    const ref = parseReference(name);
    if (ref.tag === undefined || ref.digest !== undefined) return undefined;
    const canonical = formatReference(ref);
    return image.tags.includes(canonical) ? canonical : undefined;
  } catch {
    return undefined;
  }
}

function checkConflicts(
  name: string,
  image: ImageRecord,
  children: number,
  opts: RemoveOptions,
): void {
  if (opts.force) return;
  const repos = new Set(image.tags.map((t) => t.slice(0, t.lastIndexOf(':'))));
  const short = image.id.slice(7, 19);
  if (repos.size > 1)
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

function untaggedEntry(entries: Descriptor[], image: ImageRecord): Descriptor {
  const first = entries.find((d) => d.digest === image.manifest.digest);
  const annotations = { ...(first?.annotations ?? {}) };
  for (const k of Object.keys(annotations))
    if (!k.startsWith('dev.tsbuild.image.')) delete annotations[k];
  delete annotations['dev.tsbuild.image.tagged'];
  return { ...image.manifest, annotations };
}
