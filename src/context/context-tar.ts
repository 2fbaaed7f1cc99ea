/**
 * A build context that arrives as an archive — `tsbuild build - < ctx.tar.gz`
 * or a tar file path — extracted into a directory with the layer applier, so
 * no entry can land outside it (`..`, absolute names and symlinked parents are
 * confined, as for image layers).
 *
 * What counts as an archive is what docker's CLI decides
 * (build.GetContextFromReader): compressed input (gzip, bzip2, xz, zstd, by
 * magic bytes) is one; otherwise the first 512 bytes must be a valid tar
 * header. Anything else on stdin is a Dockerfile, and the context is empty.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { applyLayer } from '../layer/apply.js';
import { decoderFor, sniffCompression } from '../layer/compress.js';
import { parseHeader } from '../layer/tar-parse.js';
import { BLOCK } from '../layer/tar-format.js';

export type ContextStream =
  | { kind: 'archive'; extract(into: string): Promise<void> }
  | { kind: 'text'; text(): Promise<string> };

/**
 * Tell an archive from a bare Dockerfile by its first bytes, without losing any.
 *
 * @example
 * const s = await sniffContext(process.stdin, 'stdin');
 * if (s.kind === 'archive') await s.extract(dir); else dockerfile = await s.text();
 */
export async function sniffContext(input: Readable, name: string): Promise<ContextStream> {
  const { kind, stream } = await sniffCompression(input);
  if (kind !== 'none') {
    const codec = decoderFor(kind, name);
    return {
      kind: 'archive',
      extract: async (into) => {
        await Promise.all([
          applyLayer(into, codec, { whiteouts: 'none' }),
          pipeline(stream, codec),
        ]);
      },
    };
  }
  const { head, rest } = await peek(stream, BLOCK);
  const replay = async function* () {
    if (head.length > 0) yield head;
    yield* rest;
  };
  if (isTarHeader(head)) {
    return {
      kind: 'archive',
      extract: async (into) => {
        await applyLayer(into, Readable.from(replay(), { objectMode: false }), {
          whiteouts: 'none',
        });
      },
    };
  }
  return {
    kind: 'text',
    text: async () => {
      const chunks: Buffer[] = [];
      for await (const c of replay()) chunks.push(c);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

function isTarHeader(block: Buffer): boolean {
  if (block.length < BLOCK) return false;
  try {
    return parseHeader(block.subarray(0, BLOCK), 'stdin') !== null;
  } catch {
    return false;
  }
}

/** The first `n` bytes (fewer at the end of input) and an iterator over the rest. */
async function peek(
  stream: Readable,
  n: number,
): Promise<{ head: Buffer; rest: AsyncIterable<Buffer> }> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const parts: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    parts.push(r.value);
    length += r.value.length;
  }
  const rest = {
    async *[Symbol.asyncIterator]() {
      if (done) return;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    },
  };
  return { head: Buffer.concat(parts), rest };
}
