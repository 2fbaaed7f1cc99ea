/**
 * sha256 digests in the `sha256:<hex>` form every image document uses, computed
 * on the way through a stream so no blob is ever read twice or held in memory.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function sha256(data: string | Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The 12 hex digits docker shows of a digest: `sha256:1a2b3c…` → `1a2b3c4d5e6f`. */
export function shortDigest(digest: string): string {
  return digestHex(digest).slice(0, 12);
}

/** The hex part of a `sha256:<hex>` digest. */
export function digestHex(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}

/**
 * A pass-through stream that counts and hashes what flows through it; `digest`
 * and `size` are final once the stream has ended.
 */
export class DigestStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private hex: string | undefined;
  size = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.hex = this.hash.digest('hex');
    done();
  }

  get digest(): string {
    if (this.hex === undefined)
      throw new Error('DigestStream: digest read before the stream ended');
    return `sha256:${this.hex}`;
  }
}
