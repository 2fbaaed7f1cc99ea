/**
 * `load`: images from a docker-archive (Docker's `docker save`, ours) or an OCI
 * image layout (ours, Docker 25's, skopeo's `oci:`/`oci-archive:`), as a tar —
 * plain, gzip, bzip2 or xz — or as a directory. Every blob is checked against
 * its digest on the way in: configs and manifests against their names, layers
 * against the config's diff IDs (and, for OCI, the compressed blob against the
 * manifest). Layers are stored uncompressed, as everything in the store is.
 *
 * A failed load leaves the store as it was: index.json is written only once
 * every image is in, and blobs this load added are deleted again.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { LayerError } from '../layer/errors.js';
import { extractArchive } from './archive-extract.js';
import { TsbuildError, asResourceError, failingAs } from '../errors.js';
import type { Store } from '../store/store.js';
import { tempName } from '../util/temp-owner.js';
import { inputKind, openDecompressed, openFile } from './archive-input.js';
import { readArchiveImages, type ArchiveImage } from './archive-read.js';
import { openStore, type StoreOptions } from './store.js';
import { IngestSession } from './ingest.js';

export interface LoadRequest extends StoreOptions {
  /** A tar file or an OCI layout directory; or give `input`. */
  path?: string;
  /** A tar stream (e.g. standard input). */
  input?: Readable;
}

export type LoadEvent =
  { loaded: string } | { loadedId: string } | { renamed: { name: string; oldId: string } };

/**
 * Load every image in an archive; returns what `docker load` prints, as data.
 * @example
 *   const events = await load({ path: 'app.tar' }); // [{ loaded: 'app:1' }]
 */
export async function load(req: LoadRequest): Promise<LoadEvent[]> {
  const store = await openStore(req);
  const name = req.path ?? 'standard input';
  if (req.path && (await inputKind(req.path)) === 'dir') return loadDir(store, req.path, req.path);
  // Private (0700): the archive's files are readable by whoever can reach them. Named
  // for this process, so that a command after a kill removes it (store/temps.ts).
  const dir = tempName(join(store.root, 'tmp'), 'load');
  try {
    await failingAs({ writing: `the files of ${name}`, to: dir }, () =>
      mkdir(dir, { mode: 0o700 }),
    );
    const tar = await openDecompressed(req.input ?? (await openFile(req.path!)), name);
    await extractArchive(dir, tar, name).catch((e: unknown) => {
      const err = asResourceError(e, { writing: `the files of ${name}`, to: dir });
      if (!(err instanceof LayerError)) throw err;
      throw new TsbuildError('BAD_ARCHIVE', `${name}: not a valid image archive: ${err.message}`, {
        file: name,
      });
    });
    return await loadDir(store, dir, name);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function loadDir(store: Store, dir: string, name: string): Promise<LoadEvent[]> {
  const session = new IngestSession(store);
  try {
    const images = await readArchiveImages(dir, name, session);
    return await commit(store, images);
  } catch (e) {
    await session.rollback();
    throw e;
  }
}

async function commit(store: Store, images: ArchiveImage[]): Promise<LoadEvent[]> {
  const events: LoadEvent[] = [];
  const before = await store.images();
  for (const img of images)
    for (const tag of img.tags) {
      const old = before.find((i) => i.tags.includes(tag.canonical));
      if (old && old.id !== img.configDigest)
        events.push({ renamed: { name: tag.familiar, oldId: old.id } });
    }
  const records = await store.addImages(
    images.map((img) => ({
      config: img.config,
      layers: img.layers,
      tags: img.tags.map((t) => t.canonical),
    })),
  );
  for (const [i, img] of images.entries()) {
    if (img.tags.length === 0) events.push({ loadedId: records[i]!.id });
    for (const t of img.tags) events.push({ loaded: t.familiar });
  }
  return events;
}
