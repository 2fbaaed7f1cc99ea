/**
 * native/stat.c (tsbuild_stat.node) against Node's own lstatSync, field by
 * field, for every kind of entry a tree walker meets; and util/lstat.ts,
 * whose FileStat must be the same with the addon and without it.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  fstatSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  symlinkSync,
  writeFileSync,
  type BigIntStats,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fileType,
  fstatFile,
  inodeKey,
  lstatExisting,
  lstatFile,
  lstatFileJs,
  nanoseconds,
} from '../../src/util/lstat.js';
import { tempRoot } from '../helpers/tmp.js';

interface StatAddon {
  lstatInto(path: string | Buffer, out: Float64Array): boolean;
  fstatInto(fd: number, out: Float64Array): boolean;
}

// npm ci builds it (binding.gyp); these tests are about the addon itself, so it must be there.
const addon = createRequire(import.meta.url)(
  join(import.meta.dirname, '../../build/Release/tsbuild_stat.node'),
) as StatAddon;

const NS = 1_000_000_000n;
/** BigIntStats' nanoseconds as the timespec the kernel has: seconds floored. */
const timespec = (ns: bigint): [number, number] => {
  const sec = ns / NS - (ns % NS < 0n ? 1n : 0n);
  return [Number(sec), Number(ns - sec * NS)];
};

/** What lstatInto must write for an entry Node describes as `st`. */
const expected = (st: BigIntStats): number[] => [
  ...[st.dev, st.ino, st.mode, st.nlink, st.uid, st.gid, st.rdev, st.size].map(Number),
  ...timespec(st.atimeNs),
  ...timespec(st.mtimeNs),
  ...timespec(st.ctimeNs),
  0,
];

/** One of each kind of entry, with owners, modes and times that are not the defaults. */
async function tree(): Promise<{ root: string; paths: Record<string, string | Buffer> }> {
  const dir = tempRoot();
  const file = join(dir, 'file');
  writeFileSync(file, 'content\n');
  execFileSync('chown', ['1234:5678', file]);
  execFileSync('chmod', ['4755', file]);
  execFileSync('touch', ['-m', '-d', '@1700000000.999999999', file]);
  linkSync(file, join(dir, 'hardlink'));
  mkdirSync(join(dir, 'dir'), { mode: 0o1777 });
  symlinkSync('file', join(dir, 'symlink'));
  execFileSync('mknod', [join(dir, 'null'), 'c', '1', '3']);
  execFileSync('mknod', [join(dir, 'loop'), 'b', '7', '200']);
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  const old = join(dir, 'old');
  writeFileSync(old, '');
  execFileSync('touch', ['-d', '@-1.5', old]);
  const server = createServer();
  await new Promise<void>((ok) => server.listen(join(dir, 'socket'), ok));
  server.close();
  const bytes = Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0x6e, 0xff, 0x6e])]);
  writeFileSync(bytes, 'not UTF-8');
  const names = ['file', 'hardlink', 'dir', 'symlink', 'null', 'loop', 'fifo', 'old'];
  const paths = Object.fromEntries(names.map((n) => [n, join(dir, n)]));
  return { root: dir, paths: { ...paths, root: dir, 'not UTF-8': bytes } };
}

describe('lstatInto (native/stat.c)', () => {
  it('fills in what lstatSync says of files, directories, links, devices and fifos', async () => {
    const { root, paths } = await tree();
    for (const [name, path] of Object.entries(paths)) {
      const out = new Float64Array(15).fill(-1);
      expect([name, addon.lstatInto(path, out)]).toEqual([name, true]);
      expect([name, [...out]]).toEqual([name, expected(lstatSync(path, { bigint: true }))]);
    }
    const out = new Float64Array(15);
    addon.lstatInto(join(root, 'file'), out);
    expect([out[2]! & 0o7777, out[3], out[4], out[5], out[10], out[11]]).toEqual([
      0o4755, 2, 1234, 5678, 1700000000, 999999999,
    ]);
    addon.lstatInto(join(root, 'null'), out);
    expect(out[6]).toBe(Number(lstatSync('/dev/null', { bigint: true }).rdev));
    addon.lstatInto(join(root, 'old'), out);
    expect([out[10], out[11]]).toEqual([-2, 500_000_000]);
  });

  it('says false for a missing path and throws for other failures, as Node would', async () => {
    const { root } = await tree();
    const file = join(root, 'file');
    const out = new Float64Array(15);
    expect(addon.lstatInto(join(root, 'missing'), out)).toBe(false);
    const under = `${file}/x`;
    expect(() => lstatSync(under)).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    expect(() => addon.lstatInto(under, out)).toThrow(
      expect.objectContaining({
        code: 'ENOTDIR',
        errno: -20,
        syscall: 'lstat',
        path: under,
        message: `ENOTDIR: not a directory, lstat '${under}'`,
      }),
    );
    expect(() => addon.lstatInto(`${file}\0x`, out)).toThrow(TypeError);
    expect(() => addon.lstatInto(file, new Float64Array(14))).toThrow(TypeError);
  });

  it('takes paths up to the kernel limit, and refuses longer ones as lstat does', () => {
    // A directory 3,900 bytes deep, then names ending in a 3-byte character, so that
    // the path's UTF-8 length passes 4095 (PATH_MAX less the NUL) in steps of one.
    const root = tempRoot();
    let dir = root;
    while (Buffer.byteLength(dir) + 241 <= 3900) {
      dir = join(dir, 'é'.repeat(120));
      mkdirSync(dir);
    }
    dir = join(dir, 'd'.repeat(3900 - Buffer.byteLength(dir) - 1));
    mkdirSync(dir);
    expect(Buffer.byteLength(dir)).toBe(3900);
    const out = new Float64Array(15);
    for (let length = 4085; length <= 4100; length++) {
      const left = length - 3901;
      const path = `${dir}/${'x'.repeat(left % 3)}${'€'.repeat(Math.floor(left / 3))}`;
      expect(Buffer.byteLength(path)).toBe(length);
      if (length <= 4095) {
        writeFileSync(path, '');
        expect(addon.lstatInto(path, out)).toBe(true);
        expect([...out]).toEqual(expected(lstatSync(path, { bigint: true })));
        expect(addon.lstatInto(Buffer.from(path), out)).toBe(true);
      } else {
        expect(() => lstatSync(path)).toThrow(expect.objectContaining({ code: 'ENAMETOOLONG' }));
        expect(() => addon.lstatInto(path, out)).toThrow(
          expect.objectContaining({ code: 'ENAMETOOLONG', syscall: 'lstat', path }),
        );
        expect(() => addon.lstatInto(Buffer.from(path), out)).toThrow(
          expect.objectContaining({ code: 'ENAMETOOLONG' }),
        );
      }
    }
  });

  it('fstatInto describes an open file as fstatSync does', async () => {
    const file = join((await tree()).root, 'file');
    const fd = openSync(file, 'r');
    try {
      const out = new Float64Array(15);
      expect(addon.fstatInto(fd, out)).toBe(true);
      expect([...out]).toEqual(expected(fstatSync(fd, { bigint: true })));
    } finally {
      closeSync(fd);
    }
    expect(() => addon.fstatInto(fd, new Float64Array(15))).toThrow(
      expect.objectContaining({ code: 'EBADF', syscall: 'fstat' }),
    );
  });
});

describe('util/lstat.ts', () => {
  it('gives the same FileStat through the addon as through lstatSync', async () => {
    const { root, paths } = await tree();
    for (const [name, path] of Object.entries(paths)) {
      const st = lstatFile(path)!;
      expect([name, st]).toEqual([name, lstatFileJs(path)]);
      expect(st.exact).toBeUndefined();
    }
    const [file, hardlink] = [join(root, 'file'), join(root, 'hardlink')];
    const kinds = ['file', 'dir', 'symlink', 'null', 'loop', 'fifo'];
    expect(kinds.map((n) => fileType(lstatFile(join(root, n))!))).toEqual([
      'file',
      'dir',
      'symlink',
      'char',
      'block',
      'fifo',
    ]);
    expect(inodeKey(lstatFile(file)!)).toBe(inodeKey(lstatFile(hardlink)!));
    const big = lstatSync(file, { bigint: true });
    expect(inodeKey(lstatFile(file)!)).toBe(`${big.dev}:${big.ino}`);
    const st = lstatFile(file)!;
    expect(nanoseconds(st.mtimeSec, st.mtimeNsec)).toBe(big.mtimeNs);
    const old = lstatFile(join(root, 'old'))!;
    expect(nanoseconds(old.mtimeSec, old.mtimeNsec)).toBe(-1_500_000_000n);
  });

  it('a missing path: undefined from lstatFile, lstatSync`s own error from lstatExisting', async () => {
    const missing = join((await tree()).root, 'missing');
    expect(lstatFile(missing)).toBeUndefined();
    expect(lstatFileJs(missing)).toBeUndefined();
    let node: unknown;
    try {
      lstatSync(missing);
    } catch (e) {
      node = e;
    }
    expect(() => lstatExisting(missing)).toThrow(node as Error);
    expect(() => lstatExisting(missing)).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'lstat', path: missing }),
    );
  });

  it('fstatFile is lstatFile of the same file', async () => {
    const file = join((await tree()).root, 'file');
    const fd = openSync(file, 'r');
    try {
      expect(fstatFile(fd)).toEqual(lstatFile(file));
    } finally {
      closeSync(fd);
    }
  });
});
