/**
 * Blobs put into the store by one command that may still fail. Each blob this
 * session created (not one that was there already) is remembered, so a failure
 * can take them out again and leave the store as it was.
 */
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MediaType, type Compression, type Descriptor } from '../image/types.js';
import { decompressStream } from '../layer/compress.js';
import { scanLayer } from '../layer/scan.js';
import { DigestStream } from '../util/digest.js';
import type { BlobInfo, PutOptions } from '../store/blobs.js';
import type { Store } from '../store/store.js';
import { TsbuildError } from '../errors.js';

export class IngestSession {
  private readonly created = new Set<string>();

  constructor(readonly store: Store) {}

  async putBytes(data: Uint8Array, opts: PutOptions = {}): Promise<BlobInfo> {
    return this.track(() => this.store.blobs.putBytes(data, opts));
  }

  /**
   * Store a layer uncompressed, checking on the way that it is a whole, readable
   * tar. `diffID` is what the uncompressed bytes must hash to; `blobDigest`, when
   * given, what the bytes as read must hash to.
   */
  async putLayer(
    input: Readable,
    compression: Compression,
    want: { diffID: string; blobDigest?: string; source: string },
  ): Promise<Descriptor> {
    const raw = new DigestStream();
    const plain = decompressStream(compression);
    const decoded = pipeline(input, raw, plain);
    decoded.catch(() => undefined); // awaited below; putTar may fail first
    const layer = await this.putTar(plain, want.source, want.diffID);
    await decoded;
    if (want.blobDigest && raw.digest !== want.blobDigest)
      throw new TsbuildError(
        'DIGEST_MISMATCH',
        `digest mismatch in ${want.source}: expected ${want.blobDigest}, got ${raw.digest}`,
        { source: want.source },
      );
    return layer;
  }

  /**
   * Store an uncompressed tar as a layer: the bytes go to the blob store and,
   * in the same pass, through a tar reader that rejects a corrupt or truncated
   * archive and measures the layer's unpacked size.
   */
  async putTar(input: Readable, source: string, diffID?: string): Promise<Descriptor> {
    const toBlob = new PassThrough();
    const toScan = new PassThrough();
    // pipe() to two streams waits for the slower one: memory stays bounded.
    input.pipe(toBlob);
    input.pipe(toScan);
    // Their failures reach us through the two promises below.
    for (const s of [toBlob, toScan]) s.on('error', () => undefined);
    input.on('error', (e) => {
      toBlob.destroy(e);
      toScan.destroy(e);
    });
    const [info, scan] = await Promise.all([
      this.track(() => this.store.blobs.put(toBlob, { expected: diffID, source })),
      scanLayer(toScan).catch((e: unknown) => {
        toBlob.destroy(e as Error);
        throw new TsbuildError(
          'BAD_ARCHIVE',
          `${source}: not a valid layer tar: ${(e as Error).message}`,
          {
            source,
          },
        );
      }),
    ]);
    await this.store.layers.put({ diffID: info.digest, unpackedSize: scan.unpackedSize });
    return { mediaType: MediaType.ociLayer, digest: info.digest, size: info.size };
  }

  /** Delete the blobs this session created that no image in the store uses. */
  async rollback(): Promise<void> {
    if (this.created.size === 0) return;
    await this.store.withLock(async () => {
      const used = await this.store.held();
      for (const d of this.created) if (!used.has(d)) await this.store.deleteBlob(d);
    });
  }

  private async track(put: () => Promise<BlobInfo>): Promise<BlobInfo> {
    const info = await put();
    if (info.created) this.created.add(info.digest);
    return info;
  }
}
