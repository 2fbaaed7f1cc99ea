/**
 * An archive as `docker load` / `docker import` take it: plain tar, or gzip,
 * bzip2, xz or zstd compressed, told apart by magic bytes. gzip goes through
 * zlib; bzip2 and xz through the system's `bzip2` / `xz`, as Docker's own
 * archive package does when it shells out to them.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { TsbuildError } from '../errors.js';
import { decoderFor, sniffCompression } from '../layer/compress.js';

export async function openDecompressed(input: Readable, name: string): Promise<Readable> {
  const { kind, stream } = await sniffCompression(input);
  const codec = decoderFor(kind, name);
  stream.on('error', (e) => codec.destroy(e));
  return stream.pipe(codec);
}

/** What a path given on the command line is: a file, a directory, or an error naming it. */
export async function inputKind(path: string): Promise<'file' | 'dir'> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file or directory' : (e as Error).message;
    throw new TsbuildError('NO_SUCH_FILE', `open ${path}: ${why}`, { file: path });
  }
}

/** A file to read as an archive; a missing file is a one-line error naming it. */
export async function openFile(path: string): Promise<Readable> {
  if ((await inputKind(path)) === 'dir')
    throw new TsbuildError('NOT_A_FILE', `${path} is a directory, not an archive`, { file: path });
  return createReadStream(path);
}
