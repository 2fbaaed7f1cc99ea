/**
 * Content-addressed blobs under `blobs/sha256/<hex>`, the OCI image layout's own
 * place for them. A blob is streamed into `tmp/`, hashed on the way, checked
 * against the digest the caller expects, and only then renamed to its name:
 * nothing half-written or wrong is ever visible under a digest after a kill.
 * No fsync: the store's journal (journal.ts) covers a power loss. A large blob
 * is written back early instead (writeBack below), so that the one sync a
 * command ends with does not wait for all of a pull's layers at once.
 */
import { createReadStream, openSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DIGEST_RE, DigestStream, digestHex, sha256 } from '../util/digest.js';
import { tempName } from '../util/temp-owner.js';
import { asResourceError } from '../errors.js';
import { StoreError } from './errors.js';

export interface BlobInfo {
  digest: string;
  size: number;
  /** This call published the blob: it was not in the store before. */
  created: boolean;
}

export interface PutOptions {
  /** The digest the content must have; a mismatch deletes the temp file and throws. */
  expected?: string;
  /** Named in a mismatch error, e.g. the archive entry the blob came from. */
  source?: string;
  /**
   * What the blob is, for a full disk's error: `layer of RUN make` (default: `source`, else
   * `a blob`); putBytes adds the digest it knows: `image config` → `image config sha256:…`.
   */
  what?: string;
}

export class BlobStore {
  constructor(
    readonly dir: string,
    private readonly tmpDir: string,
    /** Called with its path before a blob is published (journal.ts). */
    private readonly beforeWrite: (path: string) => Promise<void> = async () => undefined,
  ) {}

  path(digest: string): string {
    if (!DIGEST_RE.test(digest))
      throw new StoreError('BAD_DIGEST', `not a sha256 digest: ${JSON.stringify(digest)}`);
    return join(this.dir, digestHex(digest));
  }

  async has(digest: string): Promise<boolean> {
    try {
      await stat(this.path(digest));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  async size(digest: string): Promise<number> {
    try {
      return (await stat(this.path(digest))).size;
    } catch (e) {
      throw missing(e, digest);
    }
  }

  /** A stream of the blob; a missing blob throws here, not later from the stream. */
  open(digest: string): Readable {
    let fd: number;
    try {
      fd = openSync(this.path(digest), 'r');
    } catch (e) {
      throw missing(e, digest);
    }
    return createReadStream('', { fd });
  }

  async readJson<T>(digest: string): Promise<T> {
    return JSON.parse(await this.read(digest).then((b) => b.toString('utf8'))) as T;
  }

  async read(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new StoreError('BLOB_MISSING', `blob ${digest} is missing from the store`, {
          digest,
        });
      throw e;
    }
  }

  /** Store small bytes (a config, a manifest); returns their digest. */
  async putBytes(data: Uint8Array, opts: PutOptions = {}): Promise<BlobInfo> {
    const digest = sha256(data);
    checkExpected(digest, opts);
    const created = !(await this.reuse(digest));
    if (created) {
      const tmp = await this.tempPath();
      try {
        await writeFile(tmp, data, { flag: 'wx', mode: 0o644 });
        await this.publish(tmp, digest);
      } catch (e) {
        throw asResourceError(e, { writing: `${opts.what ?? 'blob'} ${digest}`, to: tmp });
      } finally {
        await rm(tmp, { force: true });
      }
    }
    return { digest, size: data.length, created };
  }

  /** Stream a blob in; memory stays flat whatever its size. */
  async put(input: Readable, opts: PutOptions = {}): Promise<BlobInfo> {
    let tmp: string | undefined;
    try {
      tmp = await this.tempPath();
      return await this.putAt(tmp, input, opts);
    } catch (e) {
      // Nothing reads the input any more: whatever feeds it (a tar writer, a
      // decompressor, a download) must stop too.
      input.destroy();
      throw asResourceError(e, { writing: opts.what ?? opts.source ?? 'a blob', to: tmp });
    }
  }

  private async putAt(tmp: string, input: Readable, opts: PutOptions): Promise<BlobInfo> {
    const hasher = new DigestStream();
    // Opened before anything streams, so the cleanup below always finds it.
    const fh = await open(tmp, 'wx', 0o644);
    try {
      try {
        // A 1 MiB buffer: while one write is in flight the next chunks queue and go
        // out as one writev, not one thread-pool round trip per small chunk.
        await pipeline(input, hasher, fh.createWriteStream({ highWaterMark: 1 << 20 }));
      } finally {
        await fh.close().catch(() => undefined);
      }
      const digest = hasher.digest;
      checkExpected(digest, opts);
      const created = !(await this.reuse(digest));
      if (created) {
        await this.publish(tmp, digest);
        if (hasher.size >= WRITE_BACK_FROM) writeBack(this.path(digest));
      }
      return { digest, size: hasher.size, created };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async delete(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  /** A new temp file name, which says who writes it (see util/temp-owner.ts). */
  async tempPath(): Promise<string> {
    await mkdir(this.tmpDir, { recursive: true });
    return tempName(this.tmpDir, 'blob');
  }

  /**
   * Whether the blob is already stored; if so its mtime is refreshed, so that
   * prune's grace period and a failed command's rollback (which go by mtime)
   * spare a blob another command has just decided to reuse.
   */
  private async reuse(digest: string): Promise<boolean> {
    const now = new Date();
    try {
      await utimes(this.path(digest), now, now);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  private async publish(tmp: string, digest: string): Promise<void> {
    await this.beforeWrite(this.path(digest));
    await rename(tmp, this.path(digest));
  }
}

/** Blobs from this size on start their write-back as soon as they are published. */
const WRITE_BACK_FROM = 1 << 20;

/**
 * Start writing a published blob back to disk without waiting for it: the
 * fdatasync runs on the thread pool while the next layer downloads, which is
 * what the per-blob fsync of an older store overlapped for free. Not for
 * durability (the journal's sync is): a failure here — the blob removed by a
 * rollback meanwhile — changes nothing.
 */
function writeBack(path: string): void {
  void open(path, 'r')
    .then((fh) => fh.datasync().finally(() => fh.close()))
    .catch(() => undefined);
}

/** ENOENT as the store's BLOB_MISSING; any other error as it is. */
function missing(e: unknown, digest: string): unknown {
  if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return e;
  return new StoreError('BLOB_MISSING', `blob ${digest} is missing from the store`, { digest });
}

function checkExpected(digest: string, opts: PutOptions): void {
  if (opts.expected !== undefined && opts.expected !== digest) {
    const from = opts.source ? ` in ${opts.source}` : '';
    throw new StoreError(
      'DIGEST_MISMATCH',
      `digest mismatch${from}: expected ${opts.expected}, got ${digest}`,
      { expected: opts.expected, actual: digest, source: opts.source },
    );
  }
}
