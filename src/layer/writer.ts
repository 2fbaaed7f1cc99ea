/**
 * tarDirectory: a directory tree as a deterministic OCI layer tar.
 *
 * The same tree always gives the same bytes: entries in the order of walk.ts,
 * headers as tar-format.ts encodes them (Go's archive/tar layout), uname/gname
 * empty, numeric uid/gid as on disk, mtimes in whole seconds (clamped to
 * `sourceDateEpoch` when given, as BuildKit does), no atime/ctime, and only the
 * `security.capability` xattr. The headers are ours rather than tar-stream's
 * because tar-stream's pack cannot write uid/gid over 2097151 or mtimes past
 * 2038, names the real header of a PAX entry "PaxHeader", and would pin our
 * layer digests to its encoding choices.
 *
 * Content is read in slices of at most 1 MiB as the consumer asks for them, so
 * memory stays flat whatever the file sizes. The reads are synchronous (a
 * layer is many small files; sync calls from the page cache are several times
 * faster than libuv round trips) and bounded, so the event loop is never held
 * for long.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readlinkSync,
  readSync,
} from 'node:fs';
import { Readable } from 'node:stream';
import { splitDev } from './devices.js';
import { LayerError, sourceError, sysReason } from './errors.js';
import { encodeHeader, endOfArchive, padding, type TarHeader } from './tar-format.js';
import { walkTree, type WalkEntry } from './walk.js';
import { CAPABILITY, readXattrs } from './xattrs.js';

export interface TarOptions {
  /** Clamp every mtime to at most this (seconds since epoch), as BuildKit's SOURCE_DATE_EPOCH. */
  sourceDateEpoch?: number;
  /**
   * `dir` is an overlayfs upper dir: 0/0 character devices become OCI whiteouts `.wh.<name>`,
   * dirs with xattr trusted.overlay.opaque=y (or user.overlay.opaque=y) get a
   * `<dir>/.wh..wh..opq` entry (and the xattr itself is not emitted). The mount must not use
   * redirect_dir or metacopy, whose xattrs have no OCI form.
   */
  overlay?: boolean;
  /** Relative posix paths (no leading slash, e.g. 'etc/hosts') to leave out, with everything under them. */
  exclude?: (relPath: string) => boolean;
}

const SLICE = 1 << 20;

/**
 * A deterministic tar stream of the tree under `dir` (the tree's root itself is not an entry).
 * Errors (a file vanishing or shrinking mid-read, an unreadable directory) end the stream
 * with a LayerError.
 *
 * @example
 * const digest = new DigestStream();
 * await pipeline(tarDirectory(upper, { overlay: true, sourceDateEpoch: 0 }), digest, sink);
 * digest.digest; // the layer's diffID
 */
export function tarDirectory(dir: string, opts: TarOptions = {}): Readable {
  return Readable.from(generate(dir, opts), { objectMode: false, highWaterMark: SLICE });
}

function* generate(dir: string, opts: TarOptions): Generator<Buffer> {
  const seen = new Map<string, Buffer>(); // dev:ino of multiply-linked files → first name
  for (const entry of walkTree(dir, opts)) {
    if (entry.kind === 'file') yield* fileEntry(entry, opts, seen);
    else yield encodeHeader(otherHeader(entry, opts));
  }
  yield endOfArchive();
}

function mtimeOf(entry: { stat: { mtimeMs: number } }, opts: TarOptions): number {
  const mtime = Math.floor(entry.stat.mtimeMs / 1000);
  const epoch = opts.sourceDateEpoch === undefined ? undefined : Math.floor(opts.sourceDateEpoch);
  return epoch !== undefined && mtime > epoch ? epoch : mtime;
}

function otherHeader(e: WalkEntry, opts: TarOptions): TarHeader {
  const { stat } = e;
  const base = { mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid, size: 0 };
  const mtime = mtimeOf(e, opts);
  switch (e.kind) {
    case 'dir':
      return { ...base, name: Buffer.concat([e.name, Buffer.from('/')]), type: 'dir', mtime };
    case 'symlink':
      return { ...base, name: e.name, type: 'symlink', mtime, linkname: readLink(e) };
    case 'char':
    case 'block': {
      const { major, minor } = splitDev(stat.rdev);
      return { ...base, name: e.name, type: e.kind, mtime, devmajor: major, devminor: minor };
    }
    case 'fifo':
      return { ...base, name: e.name, type: 'fifo', mtime };
    // The two whiteout forms, as Docker's overlay2 driver writes them.
    case 'whiteout':
      return { ...base, name: e.name, type: 'file', mode: 0o600, mtime };
    case 'opaque':
      return { ...base, name: e.name, type: 'file', mode: stat.mode & 0o777, mtime };
    case 'file':
      throw new Error('regular files are written by fileEntry');
  }
}

function readLink(e: WalkEntry): Buffer {
  try {
    return readlinkSync(e.abs, { encoding: 'buffer' });
  } catch (e2) {
    throw sourceError('LAYER_CHANGED', e.name.toString(), `changed while being archived`, e2);
  }
}

/** A regular file: a hardlink entry if an earlier entry is the same inode, else header and content. */
function* fileEntry(e: WalkEntry, opts: TarOptions, seen: Map<string, Buffer>): Generator<Buffer> {
  if (e.stat.nlink > 1) {
    const { dev, ino } = lstatSync(e.abs, { bigint: true });
    const key = `${dev}:${ino}`;
    const first = seen.get(key);
    if (first !== undefined) {
      const { mode, uid, gid } = e.stat;
      const mtime = mtimeOf(e, opts);
      const link = { name: e.name, type: 'link' as const, mode: mode & 0o7777, uid, gid, mtime };
      yield encodeHeader({ ...link, size: 0, linkname: first });
      return;
    }
    seen.set(key, e.name);
  }
  const shown = e.name.toString();
  let fd: number;
  try {
    fd = openSync(e.abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    throw sourceError('LAYER_IO', shown, `cannot open: ${sysReason(err)}`, err);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw sourceError('LAYER_CHANGED', shown, 'changed while being archived');
    const xattrs = readXattrs(e.abs, [CAPABILITY], fd);
    const header = encodeHeader({
      name: e.name,
      type: 'file',
      mode: stat.mode & 0o7777,
      uid: stat.uid,
      gid: stat.gid,
      size: stat.size,
      mtime: mtimeOf({ stat }, opts),
      xattrs,
    });
    yield* content(fd, stat.size, header, shown);
  } catch (err) {
    if (err instanceof LayerError) throw err;
    throw sourceError('LAYER_IO', shown, `cannot read: ${sysReason(err)}`, err);
  } finally {
    closeSync(fd);
  }
}

/** The header, then exactly `size` bytes of content padded to a block, in slices of ≤ 1 MiB. */
function* content(fd: number, size: number, header: Buffer, shown: string): Generator<Buffer> {
  let left = size;
  let first: Buffer | undefined = header;
  while (left > 0 || first) {
    const take = Math.min(left, SLICE);
    const pad = take === left ? padding(size) : 0;
    const head = first?.length ?? 0;
    const out = Buffer.allocUnsafe(head + take + pad);
    if (first) first.copy(out, 0);
    let got = 0;
    while (got < take) {
      const n = readSync(fd, out, head + got, take - got, null);
      if (n === 0) throw sourceError('LAYER_CHANGED', shown, 'file shrank while being archived');
      got += n;
    }
    out.fill(0, head + take);
    left -= take;
    first = undefined;
    yield out;
  }
}
