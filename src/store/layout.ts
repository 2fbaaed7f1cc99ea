/**
 * The store's root is an OCI image layout: `oci-layout`, `index.json` and
 * `blobs/sha256/`. So skopeo and umoci read it directly
 * (`skopeo inspect oci:$ROOT:docker.io/library/app:latest`).
 *
 * index.json is the one source of truth for which images the store holds: one
 * entry per tag, annotated with the full reference, and one plain entry for an
 * image that has no tag (a build intermediate, a dangling image). tsbuild keeps
 * what Docker's image store keeps beside an image (parent, tag time, repo digests) as
 * annotations on those entries, so there is no second database to fall out of
 * step with it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  MediaType,
  REF_NAME_ANNOTATION,
  type Descriptor,
  type ImageIndex,
} from '../image/types.js';
import { StoreError } from './errors.js';
import { writeRecord } from './temps.js';

export const PARENT_ANNOTATION = 'dev.tsbuild.image.parent';
export const TAGGED_ANNOTATION = 'dev.tsbuild.image.tagged';
export const ADDED_ANNOTATION = 'dev.tsbuild.image.added';
/**
 * The image's repository digests (`host/repo@sha256:…`, canonical, comma-separated):
 * what a registry serves it as, recorded by pull and push as Docker's reference
 * store records them.
 */
export const REPO_DIGESTS_ANNOTATION = 'dev.tsbuild.image.repo-digests';

export const OCI_LAYOUT = '{"imageLayoutVersion":"1.0.0"}';

export async function readIndex(root: string): Promise<ImageIndex> {
  const path = join(root, 'index.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyIndex();
    throw e;
  }
  try {
    const index = JSON.parse(text) as ImageIndex;
    if (!Array.isArray(index.manifests)) throw new Error('no manifests array');
    return index;
  } catch (e) {
    throw new StoreError(
      'STORE_CORRUPT',
      `${path} is not a valid OCI index: ${(e as Error).message}`,
    );
  }
}

export async function writeIndex(root: string, manifests: Descriptor[]): Promise<void> {
  const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests };
  const data = `${JSON.stringify(index)}\n`;
  await writeRecord(join(root, 'index.json'), data, join(root, 'tmp'), 'the image index', {
    durable: true,
  });
}

export function emptyIndex(): ImageIndex {
  return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
}

export function refName(d: Descriptor): string | undefined {
  return d.annotations?.[REF_NAME_ANNOTATION];
}
