/**
 * `diff`: what a container changed, as `docker diff` lists it. Docker 20.10's
 * overlay2 driver computes it the "naive" way (pkg/archive ChangesDirs): the
 * container's filesystem is compared with its image's, name by name —
 *
 * - `A` a name the image has not; everything under an added directory is `A` too;
 * - `D` a name the image has and the container not (not what was under it);
 * - `C` a name both have whose mode (type and permissions), owner, device or
 *   capability differ, or for a non-directory its size or mtime (equal when
 *   the seconds are and either nanosecond part is 0); and every directory
 *   above a change (Docker lists the parents of its changes as `C`).
 *
 * Docker's order comes from Go map iteration and changes from run to run; its
 * one constant is a directory's line before the lines of what is in it, and
 * the deletions in a directory after its other changes. tsbuild prints that
 * order with names sorted bytewise, so one container always gives one listing.
 * Only directories the upper dir holds are compared: what the container did
 * not touch is the image's, unchanged.
 */
import { isDirectory } from '../util/lstat.js';
import { MergedTree, type MergedEntry, type Place } from '../layer/merged-tree.js';
import { CAPABILITY, readXattrs } from '../layer/xattrs.js';
import { containerView } from './container-view.js';
import { openStore, type StoreOptions } from './store.js';

export interface DiffRequest extends StoreOptions {
  /** The container: ID, name or unique ID prefix. */
  container: string;
}

export interface Change {
  kind: 'A' | 'C' | 'D';
  /** Absolute, e.g. `/etc/passwd`. */
  path: string;
}

/**
 * @example
 *   for (const c of await diff({ container: 'web' })) console.log(`${c.kind} ${c.path}`);
 */
export async function diff(req: DiffRequest): Promise<Change[]> {
  const store = await openStore(req);
  const view = await containerView(store, req.container, { whileRunning: true });
  const now = new MergedTree([view.upper, ...view.lowers], {
    exclude: (p, tree) => tree === 0 && view.exclude(p),
  });
  const before = new MergedTree(view.lowers);
  const out: Change[] = [];
  compareDir(now, before, undefined, now.root(), before.root(), out);
  return out;
}

/**
 * Append the changes inside directory `rel` (its parts now and in the image;
 * `was` undefined when the image has no directory there).
 */
function compareDir(
  now: MergedTree,
  before: MergedTree,
  rel: Buffer | undefined,
  places: Place[],
  was: Place[] | undefined,
  out: Change[],
): void {
  const old = new Map<string, MergedEntry>();
  for (const e of was ? before.children(rel, was) : []) old.set(key(e), e);
  for (const e of now.children(rel, places)) {
    const o = old.get(key(e));
    old.delete(key(e));
    if (!o) {
      out.push(change('A', e));
      if (e.kind === 'dir') compareDir(now, before, e.name, e.places, undefined, out);
      continue;
    }
    // Shown from a lower tree (a directory: the upper dir has none there): the image's own.
    if (e.tree !== 0) continue;
    const at = out.length;
    const changed = differs(e, o);
    if (changed) out.push(change('C', e));
    if (e.kind !== 'dir') continue;
    compareDir(now, before, e.name, e.places, o.kind === 'dir' ? o.places : undefined, out);
    // A directory with changes inside is listed before them, changed or not.
    if (!changed && out.length > at) out.splice(at, 0, change('C', e));
  }
  for (const o of old.values()) out.push(change('D', o));
}

function key(e: MergedEntry): string {
  return e.name.toString('latin1');
}

function change(kind: Change['kind'], e: MergedEntry): Change {
  return { kind, path: `/${e.name.toString()}` };
}

/** Docker's comparison (pkg/archive/changes.go addChanges). */
function differs(n: MergedEntry, o: MergedEntry): boolean {
  const a = n.stat;
  const b = o.stat;
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.rdev !== b.rdev) return true;
  if (!isDirectory(a)) {
    if (a.size !== b.size) return true;
    const sameTime =
      a.mtimeSec === b.mtimeSec &&
      (a.mtimeNsec === b.mtimeNsec || a.mtimeNsec === 0 || b.mtimeNsec === 0);
    if (!sameTime) return true;
  }
  if (n.kind !== 'file') return false;
  const cap = (e: MergedEntry) => readXattrs(e.abs, [CAPABILITY]).get(CAPABILITY);
  const [x, y] = [cap(n), cap(o)];
  return x === undefined ? y !== undefined : y === undefined || !x.equals(y);
}
