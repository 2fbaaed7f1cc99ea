/**
 * Deterministic gzip, decompression by kind, and sniffing every magic number
 * on real output of gzip/zstd/bzip2/xz.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { applyLayer } from '../../src/layer/apply.js';
import {
  decompressStream,
  detectCompression,
  gzipStream,
  sniffCompression,
  zstdStream,
} from '../../src/layer/compress.js';
import { commandCodec } from '../../src/layer/command-codec.js';
import { tarDirectory } from '../../src/layer/writer.js';
import { chunked, collect, makeTar, sha256, tempDir } from './helpers.js';
import { basicTree } from './trees.js';

async function gzip(input: Readable): Promise<Buffer> {
  return collect(input.pipe(gzipStream()));
}

describe('gzipStream', () => {
  it('gives the same bytes for the same input, however it is chunked', async () => {
    const root = join(tempDir(), 'tree');
    basicTree(root);
    const tar = await collect(tarDirectory(root));
    const a = await gzip(chunked(tar, 65536));
    const b = await gzip(chunked(tar, 333));
    const c = await gzip(tarDirectory(root));
    expect(sha256(b)).toBe(sha256(a));
    expect(sha256(c)).toBe(sha256(a));
    expect(zlib.gunzipSync(a).equals(tar)).toBe(true);
  });

  it('writes no name and mtime 0 in the gzip header', async () => {
    const gz = await gzip(Readable.from([Buffer.from('hello')]));
    // magic, deflate, no flags (so no name/comment/extra), mtime 0, xfl 0, os 3 (Unix)
    expect(gz.subarray(0, 10).toString('hex')).toBe('1f8b0800000000000003');
  });
});

describe('zstdStream', () => {
  it('gives the same bytes every time, and what zstd -d reads back', async () => {
    const root = join(tempDir(), 'tree');
    basicTree(root);
    const tar = await collect(tarDirectory(root));
    const a = await collect(chunked(tar, 4096).pipe(zstdStream()));
    const b = await collect(chunked(tar, 77).pipe(zstdStream()));
    expect(sha256(b)).toBe(sha256(a));
    expect(detectCompression(a)).toBe('zstd');
    expect(execFileSync('zstd', ['-d', '-c', '-q'], { input: a }).equals(tar)).toBe(true);
  });

  it('names a codec command that is not installed', async () => {
    const codec = commandCodec('tsbuild-no-such-codec', [], 'frobnication');
    const err = await collect(Readable.from([Buffer.from('x')]).pipe(codec)).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'LAYER_COMPRESSION',
      message: 'frobnication needs the `tsbuild-no-such-codec` command, which is not installed',
    });
  });
});

describe('decompressStream', () => {
  it('passes bytes through for none and inflates gzip', async () => {
    const data = Buffer.from('some layer bytes'.repeat(1000));
    const plain = await collect(Readable.from([data]).pipe(decompressStream('none')));
    expect(plain.equals(data)).toBe(true);
    const gz = zlib.gzipSync(data);
    const inflated = await collect(chunked(gz, 10).pipe(decompressStream('gzip')));
    expect(inflated.equals(data)).toBe(true);
  });

  it('inflates zstd, with the zstd command where Node has no zstd of its own', async () => {
    const data = Buffer.from('zstd layer bytes\n'.repeat(5000));
    const packed = execFileSync('zstd', ['-c', '-q'], { input: data });
    const plain = await collect(chunked(packed, 1000).pipe(decompressStream('zstd')));
    expect(plain.equals(data)).toBe(true);
  });

  it('fails a corrupt zstd stream with LAYER_COMPRESSION', async () => {
    const junk = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(64, 7)]);
    const err = await collect(Readable.from([junk]).pipe(decompressStream('zstd'))).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'LAYER_COMPRESSION',
      message: expect.stringMatching(/zstd/),
    });
  });

  it('turns a corrupt gzip layer into a LAYER_READ error', async () => {
    const gz = zlib.gzipSync(await makeTar([{ header: { name: 'f' }, body: 'x'.repeat(3000) }]));
    gz.writeUInt8(gz.readUInt8(gz.length - 30) ^ 0xff, gz.length - 30);
    const input = chunked(gz, 100).pipe(decompressStream('gzip'));
    const err = await applyLayer(tempDir(), input).catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'LayerError',
      code: expect.stringMatching(/LAYER_(READ|CORRUPT)/),
    });
  });
});

describe('sniffCompression', () => {
  const data = Buffer.from('a tar, or anything else, long enough to compress\n'.repeat(50));
  const tools: [string, string[]][] = [
    ['gzip', ['gzip', '-c']],
    ['zstd', ['zstd', '-c', '-q']],
    ['bzip2', ['bzip2', '-c']],
    ['xz', ['xz', '-c']],
  ];

  for (const [kind, [cmd, ...args]] of tools) {
    it(`recognises ${kind} and still yields every byte`, async () => {
      const packed = execFileSync(cmd as string, args, { input: data });
      const { kind: found, stream } = await sniffCompression(chunked(packed, 1));
      expect(found).toBe(kind);
      expect((await collect(stream)).equals(packed)).toBe(true);
    });
  }

  it('reports none for a tar, a short stream and an empty one', async () => {
    const tar = await makeTar([{ header: { name: 'f' }, body: 'x' }]);
    for (const input of [tar, Buffer.from([0x1f]), Buffer.alloc(0)]) {
      const { kind, stream } = await sniffCompression(chunked(input, 3));
      expect(kind).toBe('none');
      expect((await collect(stream)).equals(input)).toBe(true);
    }
  });

  it('feeds a sniffed gzip layer to applyLayer', async () => {
    const root = join(tempDir(), 'tree');
    basicTree(root);
    const gz = await gzip(tarDirectory(root));
    const { kind, stream } = await sniffCompression(chunked(gz));
    expect(kind).toBe('gzip');
    const result = await applyLayer(tempDir(), stream.pipe(decompressStream('gzip')));
    expect(result.entries).toBe(31);
  });

  it('detects from a header alone', () => {
    expect(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0]))).toBe('zstd');
    expect(detectCompression(Buffer.from('BZh9'))).toBe('bzip2');
    expect(detectCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a]))).toBe('none');
  });
});
