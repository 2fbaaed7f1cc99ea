/**
 * Directories overlayfs copied up without anything in them changing. Creating
 * or deleting a name inside a lower directory copies that directory into the
 * upper dir; when the name is gone again (a runner's empty mount point for
 * /etc/hosts, a RUN's temp file) the copy is left behind, empty, with the
 * lower's metadata. Such a directory is no change at all, and a layer that
 * listed it would differ from Docker's for nothing; containerd's overlay
 * differ leaves it out too. A directory counts as unchanged when, in the upper
 * dir, it holds no entries (or only unchanged directories and excluded paths),
 * is not opaque, and its mode, owner, mtime and extended attributes equal the
 * topmost lower's.
 */
import { readdirSync } from 'node:fs';
import {
  isDirectory,
  lstatExisting,
  lstatFile,
  nanoseconds,
  type FileStat,
} from '../../util/lstat.js';
import { sameTime } from './tree-state.js';
import { join } from 'node:path';
import { OVERLAY_OPAQUE, getXattr, listXattrs, readXattrs } from '../../layer/xattrs.js';

/** Relative paths (no leading slash) of the upper dir's unchanged copied-up directories. */
export function unchangedCopiedUpDirs(
  upper: string,
  lowersTopFirst: string[],
  exclude: (relPath: string) => boolean = () => false,
): Set<string> {
  const out = new Set<string>();
  // `fresh`: under an opaque directory, nothing of the lowers shows, so nothing is "unchanged".
  const visit = (rel: string, fresh: boolean): boolean => {
    const path = join(upper, rel);
    const isFresh = fresh || (rel !== '' && opaque(path));
    let unchanged = true;
    // The entry's type from readdir (Node lstats a file system's unknown ones):
    // only directories need a closer look, so a 10,000-file COPY costs no lstat per file.
    for (const ent of readdirSync(path, { withFileTypes: true })) {
      const child = rel === '' ? ent.name : `${rel}/${ent.name}`;
      if (exclude(child)) continue;
      if (!(ent.isDirectory() && visit(child, isFresh))) unchanged = false;
    }
    if (rel === '' || !unchanged || isFresh) return false;
    const lower = visibleLowerDir(lowersTopFirst, rel);
    if (!lower || !sameMetadata(lstatExisting(path), lower.st)) return false;
    if (!sameXattrs(path, lower.path)) return false;
    out.add(rel);
    return true;
  };
  visit('', false);
  return out;
}

/**
 * The directory at `rel` as the lowers show it to overlayfs: looked up one
 * component at a time with lstat (a lower's symlink is never followed: it
 * hides what is below), stopping at a whiteout or file, and at an opaque
 * directory, below which the lower layers do not show.
 */
function visibleLowerDir(
  lowers: string[],
  rel: string,
): { path: string; st: FileStat } | undefined {
  const names = rel.split('/');
  for (const lower of lowers) {
    let path = lower;
    let hidesBelow = false;
    let found: FileStat | undefined;
    for (const name of names) {
      path = join(path, name);
      const st = lstatFile(path);
      if (st === undefined) {
        found = undefined;
        break;
      }
      if (!isDirectory(st)) return undefined;
      if (opaque(path)) hidesBelow = true;
      found = st;
    }
    if (found) return { path, st: found };
    if (hidesBelow) return undefined;
  }
  return undefined;
}

/** The same extended attributes with the same values, overlay's own left aside. */
function sameXattrs(a: string, b: string): boolean {
  const read = (p: string) =>
    new Map(
      listXattrs(p)
        .filter((n) => !n.startsWith('trusted.overlay.') && !n.startsWith('user.overlay.'))
        .map((n) => [n, getXattr(p, n).toString('base64')]),
    );
  const [x, y] = [read(a), read(b)];
  return x.size === y.size && [...x].every(([n, v]) => y.get(n) === v);
}

function sameMetadata(a: FileStat, b: FileStat): boolean {
  const mtimeNs = (st: FileStat) => nanoseconds(st.mtimeSec, st.mtimeNsec);
  return (
    a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && sameTime(mtimeNs(a), mtimeNs(b))
  );
}

function opaque(path: string): boolean {
  const found = readXattrs(Buffer.from(path), OVERLAY_OPAQUE);
  return [...found.values()].some((v) => v.toString() === 'y');
}
