/**
 * lstat(2) and fstat(2) as plain numbers, for the tree walkers (the context's
 * checksum, the layer tar writer, overlay's copied-up check).
 *
 * Node 20's lstatSync makes a Stats object with four Dates on every call, and
 * with `bigint` some twenty BigInts as well: for a 10,000-file tree that was
 * half the walk's CPU. native/stat.c (tsbuild_stat.node) fills a Float64Array
 * instead, and this makes one small object of it whose fields are mostly
 * small integers. Without the addon (npm's --ignore-scripts, no compiler) the
 * same FileStat comes from lstatSync's bigint form: slower, never different.
 *
 * A double is exact up to 2^53. An inode number past that (overlayfs with
 * xino puts a layer's number in the top bits) or a sparse file's size there
 * is rounded in the numbers, and `exact` then holds lstatSync's bigint
 * answer: inodeKey() uses it, as must anything else that tells such values
 * apart.
 */
import { constants, fstatSync, lstatSync, type BigIntStats } from 'node:fs';
import { loadAddon } from './native-file.js';

export interface FileStat {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  atimeSec: number;
  /** 0 ≤ nsec < 1e9, also before 1970 (sec is then negative). */
  atimeNsec: number;
  mtimeSec: number;
  mtimeNsec: number;
  ctimeSec: number;
  ctimeNsec: number;
  /** Only when dev, ino, rdev or size is past 2^53 (rounded above): lstat's exact answer. */
  exact: BigIntStats | undefined;
}

export type FileType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

interface StatAddon {
  lstatInto(path: string | Buffer, out: Float64Array): boolean;
  fstatInto(fd: number, out: Float64Array): boolean;
}

/** out[14] (set by stat.c): some field is past 2^53. */
const INEXACT = 14;
const out = new Float64Array(15);
let addon: StatAddon | null | undefined;

function native(): StatAddon | null {
  if (addon === undefined) addon = loadAddon<StatAddon>('tsbuild_stat.node') ?? null;
  return addon;
}

/**
 * What lstat says of `path`; undefined when nothing is there (ENOENT). Any
 * other failure throws Node's kind of error (`code`, `syscall`, `path`).
 *
 * @example
 * lstatFile('/etc/passwd') // { dev: 2049, ino: 1311, mode: 33188, …, exact: undefined }
 */
export function lstatFile(path: string | Buffer): FileStat | undefined {
  const a = native();
  if (a === null) return lstatFileJs(path);
  if (!a.lstatInto(path, out)) return undefined;
  return out[INEXACT] === 0 ? fromArray(out) : lstatFileJs(path);
}

/** lstatFile, and a missing file is an error (lstatSync's own ENOENT). */
export function lstatExisting(path: string | Buffer): FileStat {
  return lstatFile(path) ?? fromBigInt(lstatSync(path, { bigint: true }));
}

/** fstat(2) of an open descriptor. */
export function fstatFile(fd: number): FileStat {
  const a = native();
  if (a !== null && a.fstatInto(fd, out) && out[INEXACT] === 0) return fromArray(out);
  return fromBigInt(fstatSync(fd, { bigint: true }));
}

/** lstatFile through Node's lstatSync: what stands in when the addon is not built. */
export function lstatFileJs(path: string | Buffer): FileStat | undefined {
  const st = lstatSync(path, { bigint: true, throwIfNoEntry: false });
  return st === undefined ? undefined : fromBigInt(st);
}

const { S_IFMT, S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK } = constants;

/** The file type of the mode's type bits; undefined for none Linux has. */
export function fileType(st: FileStat): FileType | undefined {
  switch (st.mode & S_IFMT) {
    case S_IFREG:
      return 'file';
    case S_IFDIR:
      return 'dir';
    case S_IFLNK:
      return 'symlink';
    case S_IFCHR:
      return 'char';
    case S_IFBLK:
      return 'block';
    case S_IFIFO:
      return 'fifo';
    case S_IFSOCK:
      return 'socket';
    default:
      return undefined;
  }
}

export const isDirectory = (st: FileStat): boolean => (st.mode & S_IFMT) === S_IFDIR;

/**
 * `dev:ino`, which names one inode: hardlinks of one file share it.
 * @example inodeKey(lstatFile('/bin/sh')!) // '2049:1311'
 */
export function inodeKey(st: FileStat): string {
  return st.exact === undefined ? `${st.dev}:${st.ino}` : `${st.exact.dev}:${st.exact.ino}`;
}

/**
 * A time as BigIntStats gives it (sec·10⁹ + nsec), for the few callers that
 * do arithmetic in nanoseconds.
 * @example nanoseconds(st.mtimeSec, st.mtimeNsec) // 1700000000123456789n
 */
export function nanoseconds(sec: number, nsec: number): bigint {
  return BigInt(sec) * NS + BigInt(nsec);
}

const NS = 1_000_000_000n;

/** One shape for every FileStat, so the code reading them sees one hidden class. */
function make(v: ArrayLike<number>, exact: BigIntStats | undefined): FileStat {
  return {
    dev: v[0]!,
    ino: v[1]!,
    mode: v[2]!,
    nlink: v[3]!,
    uid: v[4]!,
    gid: v[5]!,
    rdev: v[6]!,
    size: v[7]!,
    atimeSec: v[8]!,
    atimeNsec: v[9]!,
    mtimeSec: v[10]!,
    mtimeNsec: v[11]!,
    ctimeSec: v[12]!,
    ctimeNsec: v[13]!,
    exact,
  };
}

const fromArray = (v: Float64Array): FileStat => make(v, undefined);

const LIMIT = 2n ** 53n;
const wide = (v: bigint): boolean => v > LIMIT || v < -LIMIT;

function fromBigInt(st: BigIntStats): FileStat {
  const v: number[] = [st.dev, st.ino, st.mode, st.nlink, st.uid, st.gid, st.rdev, st.size].map(
    Number,
  );
  for (const ns of [st.atimeNs, st.mtimeNs, st.ctimeNs]) {
    // Floored, as the kernel's timespec is: -1.5 s is -2 s and 5·10⁸ ns.
    let sec = ns / NS;
    let nsec = ns % NS;
    if (nsec < 0n) {
      sec -= 1n;
      nsec += NS;
    }
    v.push(Number(sec), Number(nsec));
  }
  const inexact = [st.dev, st.ino, st.rdev, st.size].some(wide);
  return make(v, inexact ? st : undefined);
}
