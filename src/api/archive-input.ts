/**
 * An archive as `docker load` / `docker import` take it: plain tar, or gzip,
 * bzip2, xz (or zstd) compressed, told apart by magic bytes. gzip goes through
 * zlib; bzip2 and xz through the system's `bzip2` / `xz`, as Docker's own
 * archive package does when it shells out to them.
 */
import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { decompressStream, sniffCompression } from '../layer/compress.js';
import { TsbuildError } from '../errors.js';

export async function openDecompressed(input: Readable, name: string): Promise<Readable> {
  const { kind, stream } = await sniffCompression(input);
  if (kind === 'none' || kind === 'gzip' || kind === 'zstd')
    return stream.pipe(decompressStream(kind));
  return viaCommand(kind === 'bzip2' ? 'bzip2' : 'xz', stream, name);
}

function viaCommand(cmd: 'bzip2' | 'xz', input: Readable, name: string): Readable {
  const out = new PassThrough();
  const child = spawn(cmd, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  child.on('error', (e: NodeJS.ErrnoException) =>
    out.destroy(
      new TsbuildError(
        'DECOMPRESS',
        e.code === 'ENOENT'
          ? `${name} is ${cmd}-compressed and \`${cmd}\` is not installed`
          : `${name}: ${cmd}: ${e.message}`,
        { file: name },
      ),
    ),
  );
  child.on('close', (code) => {
    if (code !== 0 && code !== null)
      out.destroy(
        new TsbuildError(
          'DECOMPRESS',
          `${name}: ${cmd} -d failed: ${Buffer.concat(stderr).toString().trim()}`,
          { file: name },
        ),
      );
  });
  input.on('error', (e) => out.destroy(e));
  child.stdin.on('error', () => undefined);
  input.pipe(child.stdin);
  child.stdout.pipe(out);
  return out;
}
