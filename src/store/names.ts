/**
 * Names → images, as Docker's daemon looks them up (daemon/images/image.go
 * GetImage): a full image ID, else a reference, else an ID prefix.
 */
import { formatReference, parseReference } from '../image/reference.js';
import { StoreError } from './errors.js';
import type { ImageRecord } from './records.js';

/** Docker's normalisation, as a tag reference (`app` → `docker.io/library/app:latest`). */
export function canonicalTag(name: string): string {
  const ref = parseReference(name);
  if (ref.digest !== undefined && ref.tag === undefined)
    throw new StoreError('BAD_TAG', `refusing to create a tag with a digest reference: ${name}`);
  return formatReference({ ...ref, digest: undefined });
}

/** A digest reference in canonical form, without any tag: `x@sha256:…` → `docker.io/library/x@sha256:…`. */
export function canonicalDigestRef(name: string): string {
  const ref = parseReference(name);
  if (ref.digest === undefined)
    throw new StoreError('BAD_REFERENCE', `not a digest reference: ${name}`, { name });
  return formatReference({ ...ref, tag: undefined });
}

/**
 * The image `name` names among `images`: a full ID (`sha256:` optional), a
 * reference (`app` is `docker.io/library/app:latest`; `app@sha256:…` one of the
 * repository's digests), or an ID prefix. An ambiguous prefix is an error.
 */
export function findImage(images: ImageRecord[], name: string): ImageRecord | undefined {
  const hex = name.startsWith('sha256:') ? name.slice(7) : name;
  if (/^[a-f0-9]{64}$/.test(hex)) {
    const byId = images.find((i) => i.id === `sha256:${hex}`);
    if (byId) return byId;
  }
  if (!name.startsWith('sha256:')) {
    const byRef = findByReference(images, name);
    if (byRef) return byRef;
  }
  if (/^[a-f0-9]+$/.test(hex)) {
    const matches = images.filter((i) => i.id.startsWith(`sha256:${hex}`));
    if (matches.length > 1)
      throw new StoreError(
        'AMBIGUOUS_ID',
        `ambiguous image ID ${name}: it matches ${matches.length} images`,
        {
          name,
        },
      );
    return matches[0];
  }
  return undefined;
}

function findByReference(images: ImageRecord[], name: string): ImageRecord | undefined {
  let ref;
  try {
    ref = parseReference(name);
  } catch {
    return undefined;
  }
  if (ref.digest !== undefined) {
    // Only the digests a registry gave this repository, as Docker's reference store keeps them.
    const wanted = formatReference({ ...ref, tag: undefined });
    return images.find((i) => i.repoDigests.includes(wanted));
  }
  const canonical = formatReference(ref);
  return images.find((i) => i.tags.includes(canonical));
}

/** The canonical digest reference `name` names when it is one of `image`'s repo digests. */
export function namedDigest(name: string, image: ImageRecord): string | undefined {
  try {
    const ref = parseReference(name);
    if (ref.digest === undefined) return undefined;
    const canonical = formatReference({ ...ref, tag: undefined });
    return image.repoDigests.includes(canonical) ? canonical : undefined;
  } catch {
    return undefined;
  }
}

/** The canonical tag `name` names when it is one of `image`'s tags (not an ID or digest). */
export function namedTag(name: string, image: ImageRecord): string | undefined {
  try {
    const ref = parseReference(name);
    if (ref.digest !== undefined) return undefined;
    const canonical = formatReference(ref);
    return image.tags.includes(canonical) ? canonical : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The repository a tagless name means (`app` → `docker.io/library/app`), or
 * undefined when `name` has a tag or digest: `docker save app` saves every tag
 * of app, `docker save app:1` that one.
 */
export function tagless(name: string): string | undefined {
  try {
    const ref = parseReference(name);
    const last = name.slice(name.lastIndexOf('/') + 1);
    if (ref.digest !== undefined || last.includes(':')) return undefined;
    return formatReference({ ...ref, tag: undefined, digest: undefined });
  } catch {
    return undefined;
  }
}
