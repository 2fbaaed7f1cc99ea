/**
 * `import`: a one-layer base image from a rootfs tarball, as `docker import`
 * makes one (daemon/images/image_import.go): the decompressed tarball *is* the
 * layer, so its diff ID is the same one Docker computes for the same file; the
 * config has the host platform, `created` now, and one history entry whose
 * comment is the message (`Imported from -` by default, as Docker writes for a
 * file the CLI streams to it). `changes` (`-c`) are Dockerfile instructions
 * applied to its empty config, as `commit -c` applies them (commit-changes.ts).
 */
import type { Readable } from 'node:stream';
import { hostPlatform } from '../dockerfile/scope.js';
import { TsbuildError } from '../errors.js';
import type { ImageConfig } from '../image/types.js';
import { ImageCheck } from '../layer/layer-check.js';
import { openDecompressed, openFile } from './archive-input.js';
import { IngestSession } from './ingest.js';
import { openStore, type StoreOptions } from './store.js';

export interface ImportRequest extends StoreOptions {
  /** A rootfs tarball (plain, gzip, bzip2, xz); or give `input`. */
  path?: string;
  input?: Readable;
  /** Tag for the new image. */
  tag?: string;
  /** The history comment; default `Imported from -`. */
  message?: string;
  /** `-c`: CMD, ENTRYPOINT, ENV, … applied to the config (commit-changes.ts). */
  changes?: string[];
}

/**
 * Import a rootfs tarball; returns the new image's ID.
 * @example
 *   const id = await importImage({ path: 'rootfs.tar', tag: 'base:1' });
 */
export async function importImage(req: ImportRequest): Promise<string> {
  const store = await openStore(req);
  if (/^https?:\/\//.test(req.path ?? ''))
    throw new TsbuildError(
      'UNSUPPORTED',
      `importing from a URL (${req.path}) is not supported; download it first`,
    );
  const name = req.path ?? 'standard input';
  // A bad change is refused before the tarball is read. The parser is loaded only for changes.
  const changes = req.changes ?? [];
  const runConfig =
    changes.length > 0 ? (await import('./commit-changes.js')).applyChanges({}, changes) : {};
  const session = new IngestSession(store);
  try {
    const input = req.input ?? (await openFile(req.path!));
    const tar = await openDecompressed(input, name);
    // A rootfs tarball is a layer like any other: no entry may leave the root.
    const layer = await session.putTar(tar, name, { check: new ImageCheck().layer(name) });
    const created = new Date().toISOString();
    const comment = req.message || 'Imported from -';
    const platform = hostPlatform();
    const config: ImageConfig = {
      architecture: platform.architecture,
      ...(platform.variant ? { variant: platform.variant } : {}),
      os: platform.os,
      created,
      comment,
      config: runConfig,
      rootfs: { type: 'layers', diff_ids: [layer.digest] },
      history: [{ created, comment }],
    };
    const record = await store.addImage({
      config,
      layers: [layer],
      tags: req.tag ? [req.tag] : [],
    });
    return record.id;
  } catch (e) {
    await session.rollback();
    throw e;
  }
}
