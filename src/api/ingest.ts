/**
 * Blobs put into the store by one command that may still fail. Each blob this
 * session created (not one that was there already) is remembered, so a failure
 * can take it out again and leave the store as it was — unless another command
 * has reused it since (reuse refreshes a blob's mtime), or an image lists it.
 */
import { stat } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MediaType, type Compression, type Descriptor } from '../image/types.js';
import { decompressStream } from '../layer/compress.js';
import type { LayerCheck } from '../layer/layer-check.js';
import { scanLayer } from '../layer/scan.js';
import { DigestStream } from '../util/digest.js';
import type { BlobInfo, PutOptions } from '../store/blobs.js';
import { StoreError } from '../store/errors.js';
import type { Store } from '../store/store.js';
import { TsbuildError, asResourceError } from '../errors.js';
import type { TarSummary } from '../layer/writer.js';

export class IngestSession {
  /** Digest → the blob's mtime when this session created it. */
  private readonly created = new Map<string, number>();
  /** Layers this session recorded as kept in their compressed bytes (their records go on rollback). */
  private readonly recorded = new Set<string>();

  constructor(readonly store: Store) {}

  async putBytes(data: Uint8Array, opts: PutOptions = {}): Promise<BlobInfo> {
    return this.track(() => this.store.blobs.putBytes(data, opts));
  }

  /**
   * Store a layer, checking on the way that it is a whole, readable tar whose
   * uncompressed bytes hash to `diffID`; `blobDigest`, when given, is what the
   * bytes as read must hash to. An uncompressed tar is stored as its blob; a
   * compressed one is kept as received (those bytes are its identity, and what
   * a registry already has), its tar only hashed and scanned on the way.
   */
  async putLayer(
    input: Readable,
    compression: Compression,
    want: { diffID: string; blobDigest?: string; source: string; check?: LayerCheck },
  ): Promise<Descriptor> {
    if (compression === 'none')
      return this.putTar(input, want.source, {
        diffID: want.diffID,
        what: `layer ${want.diffID}`,
        ...(want.check ? { check: want.check } : {}),
      }).then((layer) => {
        if (want.blobDigest && layer.digest !== want.blobDigest)
          throw new TsbuildError(
            'DIGEST_MISMATCH',
            `digest mismatch in ${want.source}: expected ${want.blobDigest}, got ${layer.digest}`,
            { source: want.source },
          );
        return layer;
      });
    const { source, diffID } = want;
    const plain = new DigestStream();
    const decoded = new PassThrough();
    const decoding = pipeline(decoded, decompressStream(compression), plain);
    decoding.catch(() => undefined); // its failure reaches us through the scan
    const [put, scan] = await this.teeInto(
      input,
      source,
      (toBlob) =>
        this.store.blobs.put(toBlob, {
          ...(want.blobDigest ? { expected: want.blobDigest } : {}),
          source,
          what: `layer ${diffID}`,
        }),
      async (toScan) => {
        toScan.pipe(decoded);
        toScan.on('error', (e) => decoded.destroy(e));
        const [scanned] = await Promise.all([scanLayer(plain, want.check), decoding]);
        return scanned;
      },
    );
    if (plain.digest !== diffID)
      throw new StoreError(
        'DIGEST_MISMATCH',
        `digest mismatch in ${source}: expected ${diffID}, got ${plain.digest}`,
        { expected: diffID, actual: plain.digest, source },
      );
    const twin = {
      mediaType: compression === 'gzip' ? MediaType.ociLayerGzip : MediaType.ociLayerZstd,
      digest: put.digest,
      size: put.size,
    };
    // A layer the store already keeps (as a blob, or a snapshot it built) keeps
    // that form; the received bytes are remembered as its compressed twin.
    const had = await this.store.hasLayer(diffID);
    const kept = had ? {} : { kept: compression };
    if (!had) this.recorded.add(diffID);
    await this.store.recordLayer({
      diffID,
      size: plain.size,
      unpackedSize: scan.unpackedSize,
      ...kept,
      [compression]: twin,
    });
    return { mediaType: MediaType.ociLayer, digest: diffID, size: plain.size };
  }

  /**
   * Store an uncompressed tar as a layer: the bytes go to the blob store and,
   * in the same pass, through a tar reader that rejects a corrupt or truncated
   * archive and measures the layer's unpacked size (and, with `check`, refuses an
   * entry that would leave the root: layer-check.ts). When either side fails the
   * input is destroyed, so whatever feeds it (a decompressing command) stops.
   * A tar tarDirectory made (`summary` given) is neither checked nor measured
   * again: its writer did both, and parsing it cost a build a third of a COPY.
   */
  async putTar(
    input: Readable,
    source: string,
    opts: { diffID?: string; summary?: TarSummary; what?: string; check?: LayerCheck } = {},
  ): Promise<Descriptor> {
    const { diffID, summary } = opts;
    // What a full disk's error says was being written.
    const what = opts.what ?? `layer from ${source}`;
    if (summary) return this.putOwnTar(input, source, summary, what);
    const [info, scan] = await this.teeInto(
      input,
      source,
      (toBlob) => this.store.blobs.put(toBlob, { expected: diffID, source, what }),
      (toScan) => scanLayer(toScan, opts.check),
    );
    await this.store.recordLayer({ diffID: info.digest, unpackedSize: scan.unpackedSize });
    return { mediaType: MediaType.ociLayer, digest: info.digest, size: info.size };
  }

  /**
   * `input` to the blob store and, in the same pass, to a tar reader that
   * rejects a corrupt or truncated archive. When either side fails the input
   * is destroyed, so whatever feeds it (a decompressing command, a download)
   * stops; both settle before we answer (a put still running would leave its
   * temp file behind after the command has said it failed), and the first
   * failure is the cause: the other side only saw its stream cut.
   */
  private async teeInto<S>(
    input: Readable,
    source: string,
    toBlob: (s: Readable) => Promise<BlobInfo>,
    toScan: (s: Readable) => Promise<S>,
  ): Promise<[BlobInfo, S]> {
    const a = new PassThrough();
    const b = new PassThrough();
    // pipe() to two streams waits for the slower one: memory stays bounded.
    input.pipe(a);
    input.pipe(b);
    // Their failures reach us through the two promises below.
    for (const s of [a, b]) s.on('error', () => undefined);
    input.on('error', (e) => {
      a.destroy(e);
      b.destroy(e);
    });
    let first: unknown;
    const stop = (e: unknown): never => {
      // A failing input (a broken gzip stream) is the archive's fault, not a bug;
      // a disk that fails under it is the machine's.
      const err = asResourceError(e, { reading: source });
      first ??=
        err instanceof TsbuildError
          ? err
          : new TsbuildError('BAD_ARCHIVE', `${source}: ${(e as Error).message}`, { source });
      input.destroy();
      a.destroy(e as Error);
      b.destroy(e as Error);
      throw e;
    };
    const putting = this.track(() => toBlob(a));
    const scanning = toScan(b).catch((e: unknown) =>
      stop(
        e instanceof TsbuildError && e.code.startsWith('LAYER_')
          ? new TsbuildError('BAD_ARCHIVE', `${source}: not a valid layer tar: ${e.message}`, {
              source,
            })
          : e,
      ),
    );
    putting.catch(stop).catch(() => undefined);
    const [put, scan] = await Promise.allSettled([putting, scanning]);
    if (put.status === 'rejected' || scan.status === 'rejected') throw first;
    return [put.value, scan.value];
  }

  private async putOwnTar(
    input: Readable,
    source: string,
    summary: TarSummary,
    what: string,
  ): Promise<Descriptor> {
    const info = await this.track(() => this.store.blobs.put(input, { source, what }));
    // The stream ends only when the writer has written the end-of-archive blocks.
    if (!summary.complete) throw new Error(`${source}: the layer tar ended before its end`);
    await this.store.recordLayer({ diffID: info.digest, unpackedSize: summary.unpackedSize });
    return { mediaType: MediaType.ociLayer, digest: info.digest, size: info.size };
  }

  /**
   * Delete what this session created, unless an image lists it or another
   * command reused it since; then sync, so that the store is as it was even
   * after a power loss (store/journal.ts), with no marker left.
   */
  async rollback(): Promise<void> {
    if (this.created.size === 0 && this.recorded.size === 0) return this.store.sync();
    await this.store.withLock(async () => {
      const used = await this.store.held();
      for (const [digest, mtime] of this.created) {
        if (used.has(digest)) continue;
        const now = await stat(this.store.blobs.path(digest)).then(
          (s) => s.mtimeMs,
          () => undefined,
        );
        if (now !== undefined && now <= mtime) await this.store.deleteBlob(digest);
      }
      for (const diffID of this.recorded)
        if (!used.has(diffID) && !(await this.store.hasLayer(diffID)))
          await this.store.deleteBlob(diffID);
    });
    await this.store.sync();
  }

  private async track(put: () => Promise<BlobInfo>): Promise<BlobInfo> {
    const info = await put();
    if (info.created)
      this.created.set(info.digest, (await stat(this.store.blobs.path(info.digest))).mtimeMs);
    return info;
  }
}
