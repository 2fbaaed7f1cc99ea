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
import { closeSync, constants, openSync, readlinkSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { asResourceError } from '../errors.js';
import { fileType, fstatFile, inodeKey, type FileStat } from '../util/lstat.js';
import { splitDev } from './devices.js';
import { LayerError, sourceError, sysReason } from './errors.js';
import { encodeHeader, endOfArchive, padding, type TarHeader } from './tar-format.js';
import { walkTree, type WalkEntry } from './walk.js';
import { CAPABILITY, isAddonMissing, readXattrs } from './xattrs.js';

export interface TarOptions {
  /** Clamp every mtime to at most this (seconds since epoch), as BuildKit's SOURCE_DATE_EPOCH. */
  sourceDateEpoch?: number;
  /**
   * Every entry's mtime, whatever the file's: BuildKit's tar and local exporters
   * write SOURCE_DATE_EPOCH so (exporter/local/fs.go), where a layer only clamps.
   */
  mtime?: number;
  /**
   * `dir` is an overlayfs upper dir: 0/0 character devices become OCI whiteouts `.wh.<name>`,
   * dirs with xattr trusted.overlay.opaque=y (or user.overlay.opaque=y) get a
   * `<dir>/.wh..wh..opq` entry (and the xattr itself is not emitted). The mount must not use
   * redirect_dir or metacopy, whose xattrs have no OCI form.
   */
  overlay?: boolean;
  /** Relative posix paths (no leading slash, e.g. 'etc/hosts') to leave out, with everything under them. */
  exclude?: (relPath: string) => boolean;
  /**
   * Filled in as the tar is written: what scanLayer would measure of it, so a
   * caller storing a tar it made need not parse it again. Valid once `complete`.
   */
  summary?: TarSummary;
}

export interface TarSummary {
  /** As ScanResult.unpackedSize: content bytes plus symlink target lengths. */
  unpackedSize: number;
  /** The end-of-archive blocks were written: the summary covers the whole tar. */
  complete: boolean;
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
  return tarEntries(walkTree(dir, opts), opts);
}

/**
 * A tar of `entries` as they come (a dir before its contents), each written as
 * tarDirectory writes it: `export` gives it a merged walk of several trees.
 */
export function tarEntries(entries: Iterable<WalkEntry>, opts: TarOptions = {}): Readable {
  return Readable.from(generate(entries, opts), { objectMode: false, highWaterMark: SLICE });
}

/**
 * The bytes go out in chunks of SLICE (the last may be shorter), file contents
 * read straight into them: a layer is mostly headers and small files, and every
 * chunk costs each consumer a call — a blob write through libuv's thread pool,
 * a hash update, a pipe. One write per 512-byte header made storing a
 * 10,000-file layer three times slower.
 */
class Chunks {
  private buf = Buffer.allocUnsafe(SLICE);
  private used = 0;

  /** Copy `b` in; yields each chunk it fills. */
  *put(b: Buffer): Generator<Buffer> {
    let at = 0;
    while (at < b.length) {
      const n = b.copy(this.buf, this.used, at);
      at += n;
      this.used += n;
      if (this.used === SLICE) yield this.take();
    }
  }

  /** Read exactly `size` bytes of `fd` in, then zeros to the next block boundary. */
  *read(fd: number, size: number, shown: string): Generator<Buffer> {
    let left = size;
    while (left > 0) {
      const n = readSync(fd, this.buf, this.used, Math.min(left, SLICE - this.used), null);
      if (n === 0) throw sourceError('LAYER_CHANGED', shown, 'file shrank while being archived');
      left -= n;
      this.used += n;
      if (this.used === SLICE) yield this.take();
    }
    yield* this.put(ZEROS.subarray(0, padding(size)));
  }

  /** What is held, as a chunk of its own (a new buffer takes its place). */
  take(): Buffer {
    const out = this.used === SLICE ? this.buf : this.buf.subarray(0, this.used);
    this.buf = Buffer.allocUnsafe(SLICE);
    this.used = 0;
    return out;
  }

  get empty(): boolean {
    return this.used === 0;
  }
}

const ZEROS = Buffer.alloc(512);

function* generate(entries: Iterable<WalkEntry>, opts: TarOptions): Generator<Buffer> {
  const out = new Chunks();
  const seen = new Map<string, Buffer>(); // [tree:]dev:ino of multiply-linked files → first name
  const summary = opts.summary ?? { unpackedSize: 0, complete: false };
  for (const entry of entries) {
    if (entry.kind === 'file') {
      yield* fileEntry(entry, opts, seen, summary, out);
      continue;
    }
    const header = otherHeader(entry, opts);
    summary.unpackedSize += header.linkname?.length ?? 0;
    yield* out.put(encodeHeader(header));
  }
  yield* out.put(endOfArchive());
  if (!out.empty) yield out.take();
  summary.complete = true;
}

function mtimeOf(stat: FileStat, opts: TarOptions): number {
  if (opts.mtime !== undefined) return Math.floor(opts.mtime);
  // Through Node's Stats.mtimeMs, as the layers already stored were made: .999999999 s
  // rounds up to the next second there, and their diffIDs depend on it.
  const mtimeMs = stat.mtimeSec * 1000 + stat.mtimeNsec / 1e6;
  const mtime = Math.floor(mtimeMs / 1000);
  const epoch = opts.sourceDateEpoch === undefined ? undefined : Math.floor(opts.sourceDateEpoch);
  return epoch !== undefined && mtime > epoch ? epoch : mtime;
}

function otherHeader(e: WalkEntry, opts: TarOptions): TarHeader {
  const { stat } = e;
  const base = { mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid, size: 0 };
  const mtime = mtimeOf(stat, opts);
  switch (e.kind) {
    case 'dir':
      return { ...base, name: Buffer.concat([e.name, Buffer.from('/')]), type: 'dir', mtime };
    case 'symlink':
      return { ...base, name: e.name, type: 'symlink', mtime, linkname: readLink(e) };
    case 'char':
    case 'block': {
      const { major, minor } = splitDev(stat.exact?.rdev ?? stat.rdev);
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
function* fileEntry(
  e: WalkEntry,
  opts: TarOptions,
  seen: Map<string, Buffer>,
  summary: TarSummary,
  out: Chunks,
): Generator<Buffer> {
  if (e.stat.nlink > 1) {
    const key = e.tree === undefined ? inodeKey(e.stat) : `${e.tree}:${inodeKey(e.stat)}`;
    const first = seen.get(key);
    if (first !== undefined) {
      const { mode, uid, gid } = e.stat;
      const mtime = mtimeOf(e.stat, opts);
      const link = { name: e.name, type: 'link' as const, mode: mode & 0o7777, uid, gid, mtime };
      yield* out.put(encodeHeader({ ...link, size: 0, linkname: first }));
      return;
    }
    seen.set(key, e.name);
  }
  const shown = e.name.toString();
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO or device swapped in for a file must not hang or act on open.
    fd = openSync(e.abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    throw unreadable(err, e.abs.toString(), () =>
      sourceError('LAYER_IO', shown, `cannot open: ${sysReason(err)}`, err),
    );
  }
  try {
    const stat = fstatFile(fd);
    if (fileType(stat) !== 'file') {
      throw sourceError('LAYER_CHANGED', shown, 'changed while being archived');
    }
    const xattrs = readXattrs(e.abs, [CAPABILITY], fd);
    const header = encodeHeader({
      name: e.name,
      type: 'file',
      mode: stat.mode & 0o7777,
      uid: stat.uid,
      gid: stat.gid,
      size: stat.size,
      mtime: mtimeOf(stat, opts),
      xattrs,
    });
    summary.unpackedSize += stat.size;
    yield* out.put(header);
    yield* out.read(fd, stat.size, shown);
  } catch (err) {
    if (err instanceof LayerError || isAddonMissing(err)) throw err;
    throw unreadable(err, e.abs.toString(), () =>
      sourceError('LAYER_IO', shown, `cannot read: ${sysReason(err)}`, err),
    );
  } finally {
    closeSync(fd);
  }
}

/**
 * A file that cannot be read because the disk failed (EIO) or no descriptor is
 * left (EMFILE): the machine's trouble, said as such (`input/output error
 * reading /store/tmp/…/upper/app.bin`); anything else as `otherwise` says.
 */
function unreadable(err: unknown, path: string, otherwise: () => LayerError): Error {
  const resource = asResourceError(err, { reading: path });
  return resource === err ? otherwise() : (resource as Error);
}
