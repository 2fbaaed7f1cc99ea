/**
 * What a tree looked like when the copy snapshotter handed it out, so that
 * diff() can tell what a process changed without reading file contents.
 *
 * An entry counts as changed when its inode, type, mode, owner, size, mtime
 * or ctime differ. ctime catches what the others miss: a same-size rewrite
 * with the mtime put back, a new hardlink, an xattr set. The kernel stamps
 * times from a coarse clock (one tick, up to 10 ms), so recordTree() returns
 * only once the clock has moved past every ctime it recorded: a change made
 * afterwards always gets a later ctime.
 *
 * Names are bytes: keys are the relative path in latin1, which maps each byte
 * to one char, so names that are not UTF-8 survive the round trip.
 */
import { lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import { hasXattrs } from '../../layer/xattrs.js';
import { setTimeout as sleep } from 'node:timers/promises';

export type EntryKind = 'dir' | 'file' | 'symlink' | 'other';

export interface EntryState {
  kind: EntryKind;
  ino: bigint;
  mode: bigint;
  uid: bigint;
  gid: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

export interface TreeState {
  entries: Map<string, EntryState>;
  /** Directories that had extended attributes when the tree was recorded. */
  xattrDirs: Set<string>;
  /** The names in each directory ('' is the root), for finding what was deleted. */
  children: Map<string, string[]>;
}

const TICK_NS = 20_000_000n;

export function kindOf(st: BigIntStats): EntryKind {
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

export function stateOf(st: BigIntStats): EntryState {
  const { ino, mode, uid, gid, size, mtimeNs, ctimeNs } = st;
  return { kind: kindOf(st), ino, mode, uid, gid, size, mtimeNs, ctimeNs };
}

/**
 * Whether the directory at `abs` changed itself (its own metadata, not its
 * entries, which are diffed one by one). A directory's ctime and size move
 * whenever an entry comes or goes — a runner's mount point for /etc/hosts,
 * created and removed again with the times put back, must not make /etc a
 * change — so they count only where an extended attribute could be what
 * changed: when the directory has or had any.
 */
export function dirChanged(
  before: EntryState,
  now: EntryState,
  abs: Buffer,
  hadXattrs: boolean,
): boolean {
  if (!sameInode(before, now) || !sameTime(before.mtimeNs, now.mtimeNs)) return true;
  return before.ctimeNs !== now.ctimeNs && (hadXattrs || hasXattrs(abs));
}

/**
 * Two mtimes are the same within a microsecond: Node sets times as float
 * seconds, so a time put back (a runner restoring /etc's) lands within a few
 * hundred nanoseconds of where it was, not on it.
 */
export function sameTime(a: bigint, b: bigint): boolean {
  const d = a - b;
  return d < 1000n && d > -1000n;
}

/** Whether `now` is another inode, or the same one with anything about it changed. */
export function changed(before: EntryState, now: EntryState): boolean {
  return (
    !sameInode(before, now) ||
    before.size !== now.size ||
    before.mtimeNs !== now.mtimeNs ||
    before.ctimeNs !== now.ctimeNs
  );
}

/** The same inode, of the same type, with the same mode and owner. */
function sameInode(a: EntryState, b: EntryState): boolean {
  return (
    a.kind === b.kind && a.ino === b.ino && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid
  );
}

export function childPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

export function absPath(root: Buffer, rel: string): Buffer {
  return rel === '' ? root : Buffer.concat([root, Buffer.from(`/${rel}`, 'latin1')]);
}

export function listNames(abs: Buffer): string[] {
  return readdirSync(abs, { encoding: 'buffer' }).map((n) => n.toString('latin1'));
}

/** Every entry under `root`, then a wait until the clock has passed their ctimes. */
export async function recordTree(root: string): Promise<TreeState> {
  const rootBuf = Buffer.from(root);
  const entries = new Map<string, EntryState>();
  const children = new Map<string, string[]>();
  const xattrDirs = new Set<string>();
  let newest = 0n;
  const stack = [''];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    const names = listNames(absPath(rootBuf, dir));
    children.set(dir, names);
    for (const name of names) {
      const rel = childPath(dir, name);
      const st = lstatSync(absPath(rootBuf, rel), { bigint: true });
      const state = stateOf(st);
      entries.set(rel, state);
      if (state.ctimeNs > newest) newest = state.ctimeNs;
      if (state.kind === 'dir') {
        stack.push(rel);
        if (hasXattrs(absPath(rootBuf, rel))) xattrDirs.add(rel);
      }
    }
  }
  const wait = newest + TICK_NS - BigInt(Date.now()) * 1_000_000n;
  if (wait > 0n) await sleep(Number(wait / 1_000_000n) + 1);
  return { entries, children, xattrDirs };
}
