/**
 * index.json entries, moved about as tags change. An image is listed by one
 * entry per tag, or by one plain entry when it has none; the annotations that
 * belong to the image (when it was added, its parent, its repo digests) travel
 * with every entry.
 */
import { IMAGE_NAME_ANNOTATION, REF_NAME_ANNOTATION, type Descriptor } from '../image/types.js';
import {
  ADDED_ANNOTATION,
  PARENT_ANNOTATION,
  REPO_DIGESTS_ANNOTATION,
  TAGGED_ANNOTATION,
  refName,
} from './layout.js';

/** The image's own annotations (added, parent) from one of its entries. */
export function baseAnnotations(d: Descriptor | undefined): Record<string, string> {
  const a = d?.annotations ?? {};
  const out: Record<string, string> = {};
  if (a[ADDED_ANNOTATION]) out[ADDED_ANNOTATION] = a[ADDED_ANNOTATION];
  if (a[PARENT_ANNOTATION]) out[PARENT_ANNOTATION] = a[PARENT_ANNOTATION];
  if (a[REPO_DIGESTS_ANNOTATION]) out[REPO_DIGESTS_ANNOTATION] = a[REPO_DIGESTS_ANNOTATION];
  return out;
}

/** The repo digests (`host/repo@sha256:…`) one entry records. */
export function repoDigestsOf(d: Descriptor): string[] {
  return d.annotations?.[REPO_DIGESTS_ANNOTATION]?.split(',').filter(Boolean) ?? [];
}

/** `entries` with every entry of manifest `digest` recording exactly `repoDigests`. */
export function setRepoDigests(
  entries: Descriptor[],
  digest: string,
  repoDigests: string[],
): Descriptor[] {
  const value = [...new Set(repoDigests)].sort().join(',');
  return entries.map((d) => {
    if (d.digest !== digest) return d;
    const { [REPO_DIGESTS_ANNOTATION]: _, ...rest } = d.annotations ?? {};
    return { ...d, annotations: value ? { ...rest, [REPO_DIGESTS_ANNOTATION]: value } : rest };
  });
}

/**
 * `entries` with `added` recorded for manifest `digest` and taken from any other
 * image: a repo digest names one image, as in Docker's reference store (a pull
 * that moves it — the registry now serves another image — moves it here too).
 */
export function addRepoDigests(
  entries: Descriptor[],
  digest: string,
  added: string[],
): Descriptor[] {
  if (added.length === 0) return entries;
  let out = entries;
  for (const other of new Set(entries.map((d) => d.digest))) {
    const had = repoDigestsOf(entries.find((d) => d.digest === other)!);
    if (other === digest) out = setRepoDigests(out, other, [...had, ...added]);
    else if (had.some((r) => added.includes(r)))
      out = setRepoDigests(
        out,
        other,
        had.filter((r) => !added.includes(r)),
      );
  }
  return out;
}

/** The plain entry that lists an image with no tag. */
export function untaggedEntry(d: Descriptor): Descriptor {
  return {
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    annotations: baseAnnotations(d),
  };
}

/** `entries` with `ref` moved onto `manifest` (and its untagged entry dropped). */
export function pointTag(
  entries: Descriptor[],
  ref: string,
  manifest: Descriptor,
  base: Record<string, string>,
  now: string,
): Descriptor[] {
  const kept = entries.filter(
    (d) => refName(d) !== ref && !(d.digest === manifest.digest && refName(d) === undefined),
  );
  const annotations = {
    ...base,
    [REF_NAME_ANNOTATION]: ref,
    [IMAGE_NAME_ANNOTATION]: ref,
    [TAGGED_ANNOTATION]: now,
  };
  const out = [
    ...kept,
    { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size, annotations },
  ];
  return keepListed(entries, out);
}

/** `after`, plus an untagged entry for every image of `before` that lost its last one. */
export function keepListed(before: Descriptor[], after: Descriptor[]): Descriptor[] {
  const out = [...after];
  for (const d of before) if (!out.some((o) => o.digest === d.digest)) out.push(untaggedEntry(d));
  return out;
}
