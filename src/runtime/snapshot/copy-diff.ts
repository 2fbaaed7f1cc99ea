/**
 * The copy snapshotter's diff: compare the live tree with the state recorded
 * at prepare() and build what an overlayfs upper dir would hold after the same
 * changes, so that tarDirectory(upper, { overlay: true }) writes the layer:
 *
 * - a new or changed non-directory is hard linked into the upper dir (same
 *   inode: content, mode, owner, xattrs and hardlink groups come along, and
 *   nothing is copied);
 * - a new directory, or one that replaced another (a new inode), is made in
 *   full; a replaced one gets trusted.overlay.opaque=y, hiding the old contents;
 * - a directory that stayed is made only when it changed or holds changes. A
 *   directory re-made with a reused inode number looks like one that stayed:
 *   its old entries then get whiteouts one by one, which gives the same tree;
 * - a deleted entry in a directory that stayed becomes a 0/0 character device,
 *   the overlay whiteout (a deleted directory: one whiteout, nothing under it).
 *
 * Directory owner, mode and times are copied from the live tree last, deepest first.
 *
 * @example
 * await buildUpper(rootfs, recorded, join(dir, 'diff-1'));
 * tarDirectory(join(dir, 'diff-1'), { overlay: true });
 */
import {
  chmodSync,
  linkSync,
  lchownSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  type BigIntStats,
} from 'node:fs';
import { mknod } from '../../layer/devices.js';
import { OVERLAY_OPAQUE, writeXattr } from '../../layer/xattrs.js';
import {
  dirChanged,
  absPath,
  changed,
  childPath,
  listNames,
  stateOf,
  type TreeState,
} from './tree-state.js';

/** Relative posix paths left out of the diff, as PrepareOptions.exclude. */
type Exclude = ((relPath: string) => boolean) | undefined;

interface Plan {
  exclude: Exclude;
  /** Directories to make in the upper dir, parents first. */
  dirs: string[];
  opaque: string[];
  links: string[];
  whiteouts: string[];
}

export async function buildUpper(
  root: string,
  before: TreeState,
  upper: string,
  exclude?: Exclude,
): Promise<void> {
  const live = Buffer.from(root);
  const up = Buffer.from(upper);
  const plan: Plan = { exclude, dirs: [], opaque: [], links: [], whiteouts: [] };
  visit(live, before, '', false, plan);
  for (const d of plan.dirs) mkdirSync(absPath(up, d));
  const opaque = OVERLAY_OPAQUE[0] as string;
  for (const d of plan.opaque) writeXattr(absPath(up, d), opaque, Buffer.from('y'));
  for (const f of plan.links) linkSync(absPath(live, f), absPath(up, f));
  // mknod(1) takes a string: a whiteout whose name is not UTF-8 is not supported.
  for (const w of plan.whiteouts) await mknod(absPath(up, w).toString(), 'char', 0, 0, 0);
  for (const d of [...plan.dirs].reverse()) copyDirMeta(absPath(live, d), absPath(up, d));
}

/**
 * Plan the entries under `dir`; `fresh` when `dir` itself is new, so everything in it is.
 * Returns whether anything under `dir` goes into the upper dir.
 */
function visit(live: Buffer, before: TreeState, dir: string, fresh: boolean, plan: Plan): boolean {
  // Excluded paths are not even looked at: they may be bind mounts (a hard link would fail).
  const skip = (name: string) =>
    plan.exclude?.(Buffer.from(childPath(dir, name), 'latin1').toString('utf8')) === true;
  const names = listNames(absPath(live, dir)).filter((n) => !skip(n));
  let any = false;
  for (const name of names) {
    const rel = childPath(dir, name);
    const st = lstatSync(absPath(live, rel), { bigint: true });
    const prev = fresh ? undefined : before.entries.get(rel);
    if (st.isDirectory()) {
      any = visitDir(live, before, rel, st, prev, plan) || any;
    } else if (!prev || changed(prev, stateOf(st))) {
      plan.links.push(rel);
      any = true;
    }
  }
  if (!fresh) {
    const present = new Set(names);
    const gone = (before.children.get(dir) ?? []).filter((n) => !present.has(n) && !skip(n));
    for (const name of gone) plan.whiteouts.push(childPath(dir, name));
    if (gone.length > 0) any = true;
  }
  return any;
}

function visitDir(
  live: Buffer,
  before: TreeState,
  rel: string,
  st: BigIntStats,
  prev: ReturnType<TreeState['entries']['get']>,
  plan: Plan,
): boolean {
  const replaced = prev !== undefined && (prev.kind !== 'dir' || prev.ino !== st.ino);
  if (prev === undefined || replaced) {
    plan.dirs.push(rel);
    // A new directory where one was: the old one's contents must not show through.
    if (prev?.kind === 'dir') plan.opaque.push(rel);
    visit(live, before, rel, true, plan);
    return true;
  }
  const at = plan.dirs.length;
  const inner = visit(live, before, rel, false, plan);
  const abs = absPath(live, rel);
  if (!inner && !dirChanged(prev, stateOf(st), abs, before.xattrDirs.has(rel))) return false;
  plan.dirs.splice(at, 0, rel); // before its children
  return true;
}

function copyDirMeta(from: Buffer, to: Buffer): void {
  const st = lstatSync(from);
  lchownSync(to, st.uid, st.gid);
  chmodSync(to, st.mode & 0o7777);
  lutimesSync(to, st.atime, st.mtime);
}
