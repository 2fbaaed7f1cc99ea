/**
 * Copying the entries of one source into the rootfs, as BuildKit's copier
 * (tonistiigi/fsutil copy) does; Docker 20.10 confirmed each point:
 * - a file keeps its mode bits, setuid included, and its mtime; the owner is
 *   --chown's, else 0:0 from the context and the file's own from a stage or
 *   image (COPY --from); --chmod replaces the permission bits of files and
 *   directories and keeps setuid, setgid and sticky (chmodded() below);
 * - symlinks are copied as symlinks, never followed;
 * - files hardlinked to each other in the source are hardlinked in the copy;
 * - a directory onto an existing directory merges (and takes the source's
 *   mode); onto anything else, a symlink included, is an error ("cannot copy
 *   to non-directory"), so nothing is ever written through a symlink;
 * - a file replaces a file or symlink, but never a directory;
 * - directory mtimes are not kept (BuildKit 20.10 leaves them at copy time).
 */
import {
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  fchmodSync,
  openSync,
  readFileSync,
  writeSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { TsbuildError } from '../../errors.js';
import type { ModeChange } from '../../util/chmod.js';
import { inodeKey, nanoseconds, type FileStat } from '../../util/lstat.js';
import { mknod, splitDev } from '../../layer/devices.js';
import type { SourceEntry } from '../../context/walk.js';
import type { Owner } from './chown.js';
import { notADirectory } from './dest.js';

const MY_UID = process.getuid?.() ?? -1;
const MY_GID = process.getgid?.() ?? -1;

export interface EntryWriter {
  /** undefined: each entry keeps its source owner (COPY --from). */
  owner: Owner | undefined;
  chmod: ModeChange | undefined;
  asRoot: boolean;
  /** Source `dev:ino` → first copy, for hardlinks. */
  links: Map<string, string>;
  /** Directories this copy made: nothing is in them but what it put there. */
  made: Set<string>;
  /**
   * An immutable file that is already exactly what `e` would become at `host` (same
   * content, mode, owner, mtime), to hardlink instead of copying; see effects/copy.ts.
   * Asked only for a file in a directory this copy made, with no other links.
   */
  reuse?: (
    e: SourceEntry,
    host: string,
    meta: { uid: number; gid: number; mode: number },
  ) => Promise<string | undefined>;
  /** Hardlinks `reuse` asked for, made by the caller: [existing file, host target]. */
  deferred?: [string, string][];
  /** Told of every regular file written or deferred. */
  onFile?: (e: SourceEntry, host: string) => void;
}

/**
 * Create `e` at host path `host` (its parent is a real directory in the rootfs).
 * `shown` is the path in the container, for messages. Synchronous calls: a
 * copy is thousands of small syscalls, and a thread-pool hop for each costs
 * more than the call (a 10,000-file COPY took twice as long with fs/promises).
 */
export async function writeEntry(
  e: SourceEntry,
  host: string,
  shown: string,
  w: EntryWriter,
): Promise<void> {
  const fresh = w.made.has(host.slice(0, host.lastIndexOf('/')));
  const there = fresh ? undefined : lstatSync(host, { throwIfNoEntry: false });
  if (e.kind === 'dir') {
    if (there === undefined) {
      mkdirSync(host);
      w.made.add(host);
    } else if (!there.isDirectory()) throw notADirectory(shown);
    setMeta(host, e.stat, w, false);
    return;
  }
  if (there?.isDirectory()) {
    throw new TsbuildError(
      'COPY_REPLACES_DIRECTORY',
      `cannot replace directory ${shown} with a file`,
      { path: shown },
    );
  }
  if (there !== undefined) unlinkSync(host);
  switch (e.kind) {
    case 'file': {
      w.onFile?.(e, host);
      if (w.reuse && fresh && e.stat.nlink === 1) {
        const { uid, gid } = ownerOf(e.stat, w);
        const mode = chmodded(e.stat.mode, w.chmod);
        const same = await w.reuse(e, host, { uid, gid, mode });
        if (same !== undefined) {
          w.deferred!.push([same, host]);
          return;
        }
      }
      const key = inodeKey(e.stat);
      const first = e.stat.nlink > 1 ? w.links.get(key) : undefined;
      if (first !== undefined) return linkSync(first, host);
      copyFileContent(e, host);
      if (e.stat.nlink > 1) w.links.set(key, host);
      // A new file is ours with the source's mode bits (libuv fchmods it): when that
      // is what the image wants, only the times are left to set.
      const { uid, gid } = ownerOf(e.stat, w);
      if (uid === MY_UID && gid === MY_GID && w.chmod === undefined) {
        return lutimesSync(host, ...times(e.stat));
      }
      return setMeta(host, e.stat, w, true);
    }
    case 'symlink':
      symlinkSync(e.link ?? '', host);
      if (w.asRoot) {
        const { uid, gid } = ownerOf(e.stat, w);
        lchownSync(host, uid, gid);
      }
      return lutimesSync(host, ...times(e.stat));
    default: {
      const { major, minor } = splitDev(e.stat.exact?.rdev ?? e.stat.rdev);
      await mknod(host, e.kind, e.stat.mode, major, minor);
      return setMeta(host, e.stat, w, true);
    }
  }
}

/** Files up to this size are read and written in one call each. */
const SMALL_FILE = 1 << 20;

/**
 * The file's bytes and mode bits at `host`, which is created (O_EXCL: never opened
 * through a symlink). A small file is one read and one write: copyFileSync's
 * sendfile path took 2-3 times as long per file for a 10,000-file COPY here.
 */
function copyFileContent(e: SourceEntry, host: string): void {
  if (e.stat.size > SMALL_FILE) {
    copyFileSync(e.abs, host, constants.COPYFILE_EXCL);
    return;
  }
  const data = readFileSync(e.abs);
  const fd = openSync(host, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    for (let done = 0; done < data.length;) done += writeSync(fd, data, done);
    // As copyFileSync does: the source's mode bits, umask aside.
    fchmodSync(fd, e.stat.mode & 0o7777);
  } finally {
    closeSync(fd);
  }
}

function ownerOf(st: FileStat, w: EntryWriter): Owner {
  return w.owner ?? { uid: st.uid, gid: st.gid };
}

/**
 * The mode a copied entry gets: its own, or --chmod's (an octal one over its setuid,
 * setgid and sticky bits, which BuildKit 20.10 keeps: conformance case
 * copy-from-links-and-modes; a symbolic one applied to its mode, util/chmod.ts).
 */
export function chmodded(mode: number, chmod: ModeChange | undefined): number {
  return chmod === undefined ? mode & 0o7777 : chmod.apply(mode);
}

/** Owner first (chown clears setuid bits), then mode, then times. */
function setMeta(host: string, st: FileStat, w: EntryWriter, withTimes: boolean): void {
  if (w.asRoot) {
    const { uid, gid } = ownerOf(st, w);
    lchownSync(host, uid, gid);
  }
  chmodSync(host, chmodded(st.mode, w.chmod));
  if (withTimes) lutimesSync(host, ...times(st));
}

/** The source's atime and mtime, as lutimes takes them. */
const times = (st: FileStat): [number | Date, number | Date] => [
  seconds(nanoseconds(st.atimeSec, st.atimeNsec)),
  seconds(nanoseconds(st.mtimeSec, st.mtimeNsec)),
];

/**
 * Nanoseconds as what utimes takes: float seconds, exact to well under a
 * microsecond; a Date before 1970, which Node would read as "now" as a number.
 */
export function seconds(ns: bigint): number | Date {
  if (ns < 0n) return new Date(Number(ns / 1_000_000n));
  return Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
}
