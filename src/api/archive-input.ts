/**
 * An archive as `docker load` / `docker import` take it: plain tar, or gzip,
 * bzip2, xz or zstd compressed, told apart by magic bytes. gzip goes through
 * zlib; bzip2 and xz through the system's `bzip2` / `xz`, as Docker's own
 * archive package does when it shells out to them.
 */
import type { Readable } from 'node:stream';
import { commandCodec } from '../layer/command-codec.js';
import { decompressStream, sniffCompression } from '../layer/compress.js';

export async function openDecompressed(input: Readable, name: string): Promise<Readable> {
  const { kind, stream } = await sniffCompression(input);
  const codec =
    kind === 'bzip2' || kind === 'xz'
      ? commandCodec(kind, ['-d', '-c'], `${name} (${kind}-compressed)`)
      : decompressStream(kind);
  stream.on('error', (e) => codec.destroy(e));
  return stream.pipe(codec);
}
