/**
 * A layer's tar, however the store keeps it. A layer is kept once:
 * - an uncompressed blob named by its diff ID (a `docker save` layer, a store
 *   written before layers were kept once, a build on the copy snapshotter);
 * - its snapshot alone (a layer tsbuild built with overlayfs: the upper dir is
 *   the layer, and the deterministic writer makes the same tar from it again);
 * - its compressed bytes as received (pull, an OCI archive), decompressed on
 *   the way out.
 * The tar made again from a snapshot or a compressed blob is checked against
 * the diff ID while it streams, and its last chunk is held back until the
 * digest matches: a consumer never sees a whole wrong tar, only an error.
 */
import { stat } from 'node:fs/promises';
import { Transform, Writable, pipeline, type Readable, type TransformCallback } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { decompressStream } from '../layer/compress.js';
import { tarDirectory } from '../layer/writer.js';
import { DigestStream } from '../util/digest.js';
import type { BlobStore } from './blobs.js';
import { StoreError } from './errors.js';
import type { LayerInfoStore } from './layers.js';

export interface LayerParts {
  blobs: BlobStore;
  layers: LayerInfoStore;
  /** Where the snapshot of a layer is (snapshots.ts), whether or not it exists. */
  snapshotPath(diffID: string): string;
}

export interface LayerBytes {
  /** Bytes of the uncompressed tar. */
  size: number;
  /** A stream of the uncompressed tar (a new one each call). */
  open(): Readable;
}

/** How layer `diffID`'s tar can be had, or undefined when the store cannot give it. */
export async function layerBytes(
  parts: LayerParts,
  diffID: string,
): Promise<LayerBytes | undefined> {
  const { blobs } = parts;
  if (await blobs.has(diffID))
    return { size: await blobs.size(diffID), open: () => blobs.open(diffID) };
  const info = await parts.layers.get(diffID);
  if (info?.kept === undefined || info.size === undefined) return undefined;
  const { size } = info;
  if (info.kept === 'snapshot') {
    const dir = parts.snapshotPath(diffID);
    if (!(await isDir(dir))) return undefined;
    const epoch = info.sourceDateEpoch;
    return {
      size,
      open: () =>
        verified(
          [
            tarDirectory(dir, {
              overlay: true,
              ...(epoch === undefined ? {} : { sourceDateEpoch: epoch }),
            }),
          ],
          diffID,
          'its snapshot',
        ),
    };
  }
  const kind = info.kept;
  const twin = info[kind];
  if (twin === undefined || !(await blobs.has(twin.digest))) return undefined;
  return {
    size,
    open: () =>
      verified([blobs.open(twin.digest), decompressStream(kind)], diffID, `its ${kind} blob`),
  };
}

/** The tar `from` gives, passed on only as far as it matches `diffID`. */
function verified(
  from: (Readable | NodeJS.ReadWriteStream)[],
  diffID: string,
  how: string,
): Readable {
  const check = new Verify(diffID, how);
  // pipeline destroys every stage with the first error, so the consumer sees it.
  pipeline([...from, check], () => undefined);
  return check;
}

class Verify extends Transform {
  private readonly hash = createHash('sha256');
  private held: Buffer | undefined;

  constructor(
    private readonly diffID: string,
    private readonly how: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    const out = this.held;
    this.held = chunk;
    done(null, out);
  }

  override _flush(done: TransformCallback): void {
    const got = `sha256:${this.hash.digest('hex')}`;
    if (got !== this.diffID) {
      done(
        new StoreError(
          'LAYER_CORRUPT',
          `layer ${this.diffID} is damaged in the store: ${this.how} gives a tar with digest ${got}; remove the images that use it (tsbuild rmi), run tsbuild prune --all, and build or pull again`,
          { diffID: this.diffID, actual: got },
        ),
      );
      return;
    }
    done(null, this.held);
  }
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The layer a snapshot directory (overlay lower-dir form) is: its deterministic
 * tar hashed, never written — the diff ID, the tar's size and the unpacked size.
 * `sourceDateEpoch` clamps the tar's mtimes (it must then be recorded with the layer).
 */
export async function hashSnapshot(
  dir: string,
  sourceDateEpoch?: number,
): Promise<{ diffID: string; size: number; unpackedSize: number }> {
  const summary = { unpackedSize: 0, complete: false };
  const digest = new DigestStream();
  const discard = new Writable({ write: (_c, _e, cb) => cb() });
  const opts = {
    overlay: true,
    summary,
    ...(sourceDateEpoch === undefined ? {} : { sourceDateEpoch }),
  };
  await pipelineAsync(tarDirectory(dir, opts), digest, discard);
  return { diffID: digest.digest, size: digest.size, unpackedSize: summary.unpackedSize };
}
