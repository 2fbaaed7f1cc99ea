/**
 * Reads a byte stream in the sizes a tar reader wants (512-byte headers,
 * then content of any length) without copying chunks it can slice, and with
 * the stream's own backpressure: nothing is read ahead beyond one chunk.
 */
import type { Readable } from 'node:stream';
import { LayerError } from './errors.js';

const EMPTY = Buffer.alloc(0);

export class ByteSource {
  private readonly it: AsyncIterator<unknown>;
  private head: Buffer = EMPTY;
  private ended = false;
  /** Bytes handed out so far: the offset of the next byte in the stream. */
  offset = 0;

  constructor(input: Readable) {
    this.it = input[Symbol.asyncIterator]();
  }

  /** Exactly `n` bytes; null when the stream ends before the first of them. */
  async exact(n: number, truncated: () => LayerError): Promise<Buffer | null> {
    if (this.head.length >= n) return this.take(n);
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n) {
      if (!(await this.fill())) {
        if (got === 0) return null;
        throw truncated();
      }
      const part = this.take(Math.min(n - got, this.head.length));
      parts.push(part);
      got += part.length;
    }
    return Buffer.concat(parts, n);
  }

  /** Between 1 and `max` bytes, as they come; the stream ending here is an error. */
  async some(max: number, truncated: () => LayerError): Promise<Buffer> {
    if (!(await this.fill())) throw truncated();
    return this.take(Math.min(max, this.head.length));
  }

  async skip(n: number, truncated: () => LayerError): Promise<void> {
    while (n > 0) n -= (await this.some(n, truncated)).length;
  }

  /** Read to the end, so that whatever hashes the stream upstream sees every byte. */
  async drain(): Promise<void> {
    this.offset += this.head.length;
    this.head = EMPTY;
    while (await this.fill()) {
      this.offset += this.head.length;
      this.head = EMPTY;
    }
  }

  /** Stop reading early; destroys the underlying stream. */
  async close(): Promise<void> {
    this.ended = true;
    await this.it.return?.();
  }

  private take(n: number): Buffer {
    const out = this.head.subarray(0, n);
    this.head = this.head.subarray(n);
    this.offset += n;
    return out;
  }

  private async fill(): Promise<boolean> {
    while (this.head.length === 0) {
      if (this.ended) return false;
      let r: IteratorResult<unknown>;
      try {
        r = await this.it.next();
      } catch (e) {
        this.ended = true;
        if (e instanceof LayerError) throw e;
        const reason = e instanceof Error ? e.message : String(e);
        throw new LayerError('LAYER_READ', `reading the layer stream: ${reason}`, {}, e);
      }
      if (r.done) {
        this.ended = true;
        return false;
      }
      const v = r.value;
      this.head = Buffer.isBuffer(v) ? v : Buffer.from(v as Uint8Array);
    }
    return true;
  }
}
