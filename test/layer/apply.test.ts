/**
 * applyLayer on well-formed layers: round trips through tarDirectory, tars
 * from GNU tar, replacement rules, parents, mtimes, xattrs and the stream edge
 * cases (tiny chunks, trailing bytes, no end marker).
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  openSync,
  lstatSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
  linkSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { getXattr, listXattrs, setXattr } from '../../src/layer/xattrs.js';
import { describe, expect, it } from 'vitest';
import { applyLayer } from '../../src/layer/apply.js';
import { tarDirectory } from '../../src/layer/writer.js';
import { chunked, collect, dir, makeTar, put, snapshot, tempDir } from './helpers.js';
import { CAP_BYTES, basicTree, bigNumbersTree, longNamesTree, xattrTree } from './trees.js';

async function roundTrip(build: (root: string) => void) {
  const src = join(tempDir(), 'src');
  build(src);
  const tar = await collect(tarDirectory(src));
  const dst = tempDir();
  const result = await applyLayer(dst, chunked(tar));
  return { src, dst, tar, result };
}

describe('applyLayer round trips', () => {
  for (const [name, build] of [
    ['basic', basicTree],
    ['long names', longNamesTree],
    ['xattrs', xattrTree],
    ['big numbers', bigNumbersTree],
  ] as const) {
    it(`restores the ${name} tree exactly, and re-tars to the same bytes`, async () => {
      const { src, dst, tar } = await roundTrip(build);
      expect(snapshot(dst, { dirTimes: true })).toEqual(snapshot(src, { dirTimes: true }));
      expect((await collect(tarDirectory(dst))).equals(tar)).toBe(true);
    });
  }

  it('shares inodes between hard links and counts entries and content bytes', async () => {
    const { dst, result } = await roundTrip(basicTree);
    const ino = (p: string) => lstatSync(join(dst, p)).ino;
    expect(ino('usr/lib/liba.so.1')).toBe(ino('usr/lib/liba.so'));
    expect(ino('usr/share/same')).toBe(ino('usr/lib/liba.so'));
    expect(lstatSync(join(dst, 'usr/lib/liba.so')).nlink).toBe(3);
    expect(result.entries).toBe(31);
    expect(result.bytes).toBe(19 + 7 + 7 + 30 + 19 + 6 + 0 + 1500 + 5 + 5 + 4);
  });

  it('keeps names that are not UTF-8', async () => {
    const src = tempDir();
    const name = Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x74]); // "f", two invalid bytes, ".t"
    writeFileSync(Buffer.concat([Buffer.from(`${src}/`), name]), 'latin-1 name');
    const fd = openSync(Buffer.concat([Buffer.from(`${src}/`), name]), 'r');
    setXattr(fd, 'security.capability', CAP_BYTES);
    closeSync(fd);
    symlinkSync(name, join(src, 'link'));
    const tar = await collect(tarDirectory(src));
    const dst = tempDir();
    await applyLayer(dst, chunked(tar));
    const path = Buffer.concat([Buffer.from(`${dst}/`), name]);
    expect(readFileSync(path, 'utf8')).toBe('latin-1 name');
    const dstFd = openSync(path, 'r');
    expect(getXattr(path, 'security.capability')).toEqual(CAP_BYTES);
    closeSync(dstFd);
    expect(readlinkSync(join(dst, 'link'), { encoding: 'buffer' })).toEqual(name);
  });

  it('applies tars written by GNU tar in gnu, posix and ustar formats', async () => {
    const src = join(tempDir(), 'src');
    basicTree(src);
    longNamesTree(join(src, 'long'));
    for (const format of ['gnu', 'posix', 'ustar']) {
      if (format === 'ustar') execFileSync('rm', ['-rf', join(src, 'long')]); // ustar has no long names
      const file = join(tempDir(), 'gnu.tar');
      execFileSync('tar', [`--format=${format}`, '--xattrs', '-cf', file, '-C', src, '.']);
      const dst = tempDir();
      await applyLayer(dst, Readable.from(readFileSync(file)));
      expect(snapshot(dst, { dirTimes: true }), format).toEqual(snapshot(src, { dirTimes: true }));
    }
  });
});

describe('applyLayer onto an existing tree', () => {
  it('replaces a file by a directory and a directory by a file', async () => {
    const root = tempDir();
    put(join(root, 'was-file'), 'x');
    put(join(root, 'was-dir/inner'), 'x');
    const tar = await makeTar([
      { header: { name: 'was-file/', type: 'directory', mode: 0o700 } },
      { header: { name: 'was-dir', type: 'file' }, body: 'now a file' },
    ]);
    await applyLayer(root, chunked(tar));
    expect(lstatSync(join(root, 'was-file')).isDirectory()).toBe(true);
    expect(readFileSync(join(root, 'was-dir'), 'utf8')).toBe('now a file');
  });

  it('merges a directory entry into an existing directory, updating mode and owner', async () => {
    const root = tempDir();
    put(join(root, 'd/old'), 'kept');
    const tar = await makeTar([
      { header: { name: 'd/', type: 'directory', mode: 0o750, uid: 5, gid: 6 } },
      { header: { name: 'd/new', type: 'file' }, body: 'new' },
    ]);
    await applyLayer(root, chunked(tar));
    expect(readFileSync(join(root, 'd/old'), 'utf8')).toBe('kept');
    expect(lstatSync(join(root, 'd'))).toMatchObject({ mode: 0o40750, uid: 5, gid: 6 });
  });

  it('writes a new file instead of writing through an existing hard link', async () => {
    const root = tempDir();
    put(join(root, 'orig'), 'lower');
    linkSync(join(root, 'orig'), join(root, 'alias'));
    await applyLayer(root, chunked(await makeTar([{ header: { name: 'alias' }, body: 'upper' }])));
    expect(readFileSync(join(root, 'orig'), 'utf8')).toBe('lower');
    expect(readFileSync(join(root, 'alias'), 'utf8')).toBe('upper');
  });

  it('follows a symlinked parent inside the root (a merged /usr base)', async () => {
    const root = tempDir();
    dir(join(root, 'usr/lib'));
    symlinkSync('usr/lib', join(root, 'lib'));
    await applyLayer(
      root,
      chunked(await makeTar([{ header: { name: 'lib/libx.so' }, body: 'x' }])),
    );
    expect(readFileSync(join(root, 'usr/lib/libx.so'), 'utf8')).toBe('x');
    expect(readlinkSync(join(root, 'lib'))).toBe('usr/lib');
  });

  it('creates missing parents 0755, and reads a leading slash as relative to the root', async () => {
    const root = tempDir();
    await applyLayer(root, chunked(await makeTar([{ header: { name: '/a/b/c' }, body: 'c' }])));
    expect(readFileSync(join(root, 'a/b/c'), 'utf8')).toBe('c');
    expect(lstatSync(join(root, 'a/b')).mode & 0o7777).toBe(0o755);
  });

  it('sets directory mtimes after their contents, and skips the root entry', async () => {
    const root = tempDir();
    chmodSync(root, 0o755);
    const tar = await makeTar([
      { header: { name: './', type: 'directory', mode: 0o700, mtime: new Date(5000) } },
      { header: { name: 'd/', type: 'directory', mtime: new Date(1_000_000) } },
      { header: { name: 'd/f', mtime: new Date(2_000_000) }, body: 'f' },
      { header: { name: 'd/g', type: 'symlink', linkname: 'f', mtime: new Date(3_000_000) } },
    ]);
    const result = await applyLayer(root, chunked(tar));
    expect(result).toEqual({ entries: 4, bytes: 1 });
    expect(lstatSync(join(root, 'd')).mtimeMs).toBe(1_000_000);
    expect(lstatSync(join(root, 'd/f')).mtimeMs).toBe(2_000_000);
    expect(lstatSync(join(root, 'd/g')).mtimeMs).toBe(3_000_000);
    expect(lstatSync(root).mode & 0o7777).toBe(0o755);
  });

  it('sets user xattrs but never trusted.* or user.overlay.* ones', async () => {
    const root = tempDir();
    const pax = {
      'SCHILY.xattr.user.note': 'hello',
      'SCHILY.xattr.trusted.overlay.opaque': 'y',
      'SCHILY.xattr.user.overlay.opaque': 'y',
    };
    const tar = await makeTar([{ header: { name: 'd/', type: 'directory', pax } }]);
    await applyLayer(root, chunked(tar));
    expect(listXattrs(join(root, 'd'))).toEqual(['user.note']);
    expect(getXattr(join(root, 'd'), 'user.note').toString()).toBe('hello');
  });
});

describe('applyLayer stream edges', () => {
  it('reads a tar fed in 7-byte chunks', async () => {
    const src = join(tempDir(), 'src');
    longNamesTree(src);
    const dst = tempDir();
    await applyLayer(dst, chunked(await collect(tarDirectory(src)), 7));
    expect(snapshot(dst)).toEqual(snapshot(src));
  });

  it('reads to the end of the stream after the end-of-archive marker', async () => {
    const tar = await makeTar([{ header: { name: 'f' }, body: 'f' }]);
    const input = chunked(Buffer.concat([tar, Buffer.alloc(10_000, 0xaa)]), 1000);
    await applyLayer(tempDir(), input);
    expect(input.readableEnded).toBe(true);
  });

  it('accepts a stream that ends at an entry boundary without the marker, as Go does', async () => {
    const tar = await makeTar([{ header: { name: 'f' }, body: 'f' }]);
    const root = tempDir();
    expect(await applyLayer(root, chunked(tar.subarray(0, 1024)))).toEqual({
      entries: 1,
      bytes: 1,
    });
    expect(await applyLayer(root, chunked(Buffer.alloc(0)))).toEqual({ entries: 0, bytes: 0 });
  });

  it('rejects a root that is not a directory', async () => {
    const file = join(tempDir(), 'file');
    writeFileSync(file, '');
    const err = await applyLayer(file, chunked(Buffer.alloc(1024))).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'LayerError', code: 'LAYER_IO' });
    expect(existsSync(join(file, 'x'))).toBe(false);
  });
});
