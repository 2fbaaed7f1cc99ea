/**
 * Creating one layer entry under the root, as containerd's createTarFile does:
 * whatever is at the path is replaced (a directory onto a directory merges),
 * then owner, xattrs, mode and mtime are set in that order — chown clears
 * setuid bits and file capabilities, so it must come first. Directory mtimes
 * wait until the whole layer is applied (their contents change them).
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  chmodSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { timeOf, type ApplyContext } from './apply-context.js';
import { mknod } from './devices.js';
import { entryError } from './errors.js';
import { bytePath, cleanName, fsPath, shown, utf8Path, type BytePath } from './paths.js';
import type { TarEntry } from './tar-reader.js';
import { CAPABILITY, isAddonMissing, isUnsupported, writeXattr } from './xattrs.js';

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Create the entry `e` at `path` (its parent exists and is inside the root). */
export async function createEntry(ctx: ApplyContext, e: TarEntry, path: BytePath): Promise<void> {
  switch (e.type) {
    case 'file':
      return writeFile(ctx, e, path);
    case 'dir':
      return makeDir(ctx, e, path);
    case 'symlink':
      ctx.clear(path, false);
      symlinkSync(e.linkname, fsPath(path));
      if (ctx.asRoot) lchownSync(fsPath(path), e.uid, e.gid);
      lutimesSync(fsPath(path), timeOf(e.mtime), timeOf(e.mtime));
      return;
    case 'link':
      return hardlink(ctx, e, path);
    case 'char':
    case 'block':
    case 'fifo': {
      ctx.clear(path, false);
      await mknod(utf8Path(path, e.label), e.type, 0, e.devmajor, e.devminor);
      setMeta(ctx, e, path);
      lutimesSync(fsPath(path), timeOf(e.mtime), timeOf(e.mtime));
      return;
    }
  }
}

async function writeFile(ctx: ApplyContext, e: TarEntry, path: BytePath): Promise<void> {
  ctx.clear(path, false);
  const fd = openSync(fsPath(path), CREATE, 0o600);
  try {
    for await (const chunk of e.body) {
      for (let at = 0; at < chunk.length;) at += writeSync(fd, chunk, at);
    }
    if (ctx.asRoot) fchownSync(fd, e.uid, e.gid);
    setXattrs(e, path, fd);
    fchmodSync(fd, e.mode & 0o7777);
    futimesSync(fd, timeOf(e.mtime), timeOf(e.mtime));
  } finally {
    closeSync(fd);
  }
}

function makeDir(ctx: ApplyContext, e: TarEntry, path: BytePath): void {
  if (ctx.clear(path, true) === undefined) mkdirSync(fsPath(path), 0o700);
  setMeta(ctx, e, path);
  ctx.deferDirTime(path, e.mtime);
}

/** Owner, xattrs and mode of something that is not a symlink. */
function setMeta(ctx: ApplyContext, e: TarEntry, path: BytePath): void {
  if (ctx.asRoot) lchownSync(fsPath(path), e.uid, e.gid);
  setXattrs(e, path);
  chmodSync(fsPath(path), e.mode & 0o7777);
}

/**
 * Every `SCHILY.xattr.*` record, but never `trusted.*` or `user.overlay.*`: on an
 * overlayfs lower dir those would forge whiteouts, opaque dirs or redirects.
 * A file system without xattrs is not an error (containerd ignores it too); other
 * failures are, for security.capability only. No xattr addon is an error for any.
 */
function setXattrs(e: TarEntry, path: BytePath, fd?: number): void {
  for (const [name, value] of e.xattrs) {
    if (name.startsWith('trusted.') || name.startsWith('user.overlay.')) continue;
    try {
      writeXattr(fsPath(path), name, value, fd);
    } catch (err) {
      if (isAddonMissing(err) || (name === CAPABILITY && !isUnsupported(err))) throw err;
    }
  }
}

/**
 * A hard link to an existing non-directory in the root. The target's name is
 * cleaned and resolved like any entry name (never above the root, symlinks
 * among its parents followed inside the root); its last component is not
 * followed, so a link to a symlink links the symlink itself, as link(2) does.
 */
function hardlink(ctx: ApplyContext, e: TarEntry, path: BytePath): void {
  const comps = cleanName(bytePath(e.linkname), e.label, 'hardlink target');
  const last = comps.pop();
  const dir = last === undefined ? undefined : ctx.fs.find(comps, e.label);
  const target = dir === undefined ? undefined : `${dir}/${last}`;
  const shownTarget = JSON.stringify(e.linkname.toString('utf8'));
  const st = target && lstatSync(fsPath(target), { throwIfNoEntry: false });
  if (!target || !st) {
    throw entryError('LAYER_CORRUPT', e.label, `hardlink target ${shownTarget} does not exist`);
  }
  if (st.isDirectory()) {
    throw entryError('LAYER_CORRUPT', e.label, `hardlink target ${shownTarget} is a directory`);
  }
  if (target === path) {
    throw entryError('LAYER_CORRUPT', e.label, `links to itself (${shown(ctx.fs.relative(path))})`);
  }
  ctx.clear(path, false);
  linkSync(fsPath(target), fsPath(path));
}
