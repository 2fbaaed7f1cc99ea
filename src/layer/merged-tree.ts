/**
 * A stack of overlay-form trees (snapshots, a container's upper dir: whiteouts
 * as 0/0 character devices, opaque dirs by xattr) read as the one tree
 * overlayfs would show, without mounting anything — what `export` writes and
 * `diff` compares. Overlayfs's lookup rules (fs/overlayfs/namei.c):
 *
 * - a name is what its topmost tree has there; a whiteout hides it below;
 * - a directory merges the directories of that name below it, down to the
 *   first tree where the name is not a directory (a file or a whiteout stops
 *   the merge) or where the directory is opaque (its own contents only).
 *
 *   top:    etc/ (opaque)  etc/passwd        tmp/x (0/0 device)
 *   below:  etc/group      etc/passwd        tmp/x  tmp/y
 *   shows:  etc/passwd (top's)               tmp/y
 *
 * Names are bytes throughout, children sorted bytewise: the order of walk.ts.
 */
import { readdirSync } from 'node:fs';
import { fileType, lstatFile } from '../util/lstat.js';
import { sourceError, sysReason } from './errors.js';
import type { WalkEntry } from './walk.js';
import { OVERLAY_OPAQUE, isAddonMissing, readXattrs } from './xattrs.js';

/** One tree's directory that makes up a merged directory. */
export interface Place {
  /** The tree's index, 0 = top. */
  tree: number;
  abs: Buffer;
}

export interface MergedEntry extends WalkEntry {
  kind: 'dir' | 'file' | 'symlink' | 'char' | 'block' | 'fifo';
  /** The tree the entry shows from (the topmost that has it). */
  tree: number;
  /** A directory's parts, top first: the trees whose contents it merges. */
  places: Place[];
}

export interface MergedTreeOptions {
  /** Paths (relative, no leading slash) of tree `tree` to read as absent there. */
  exclude?: (relPath: string, tree: number) => boolean;
}

const SLASH = Buffer.from('/');

export class MergedTree {
  constructor(
    /** The trees' roots, top first. */
    readonly trees: string[],
    private readonly opts: MergedTreeOptions = {},
  ) {}

  /** The root directory's parts: every tree. */
  root(): Place[] {
    return this.trees.map((t, tree) => ({ tree, abs: Buffer.from(t) }));
  }

  /** The entries of the merged directory `rel` made of `places`, sorted by name. */
  children(rel: Buffer | undefined, places: Place[]): MergedEntry[] {
    // Per name: what shows, null when a whiteout or a socket hides it; `open`:
    // whether a directory still merges what lies below.
    const found = new Map<string, { entry: MergedEntry; open: boolean } | null>();
    for (const place of places) {
      for (const base of this.list(place, rel)) {
        const key = base.toString('latin1');
        const above = found.get(key);
        if (above === null) continue;
        const name = rel ? Buffer.concat([rel, SLASH, base]) : base;
        if (this.opts.exclude?.(name.toString('utf8'), place.tree)) continue;
        const abs = Buffer.concat([place.abs, SLASH, base]);
        const stat = lstatFile(abs);
        if (stat === undefined) continue; // gone meanwhile (a running container)
        const type = fileType(stat);
        if (above !== undefined) {
          if (!above.open) continue;
          if (type === 'dir') {
            above.entry.places.push({ tree: place.tree, abs });
            above.open = !opaque(abs, name);
          } else above.open = false;
          continue;
        }
        if (type === undefined || type === 'socket' || (type === 'char' && stat.rdev === 0)) {
          found.set(key, null);
          continue;
        }
        const entry: MergedEntry = { kind: type, name, abs, stat, tree: place.tree, places: [] };
        if (type === 'dir') entry.places.push({ tree: place.tree, abs });
        found.set(key, { entry, open: type === 'dir' && !opaque(abs, name) });
      }
    }
    const out: MergedEntry[] = [];
    for (const f of found.values()) if (f) out.push(f.entry);
    return out.sort((a, b) => Buffer.compare(a.name, b.name));
  }

  private list(place: Place, rel: Buffer | undefined): Buffer[] {
    try {
      return readdirSync(place.abs, { encoding: 'buffer' });
    } catch (e) {
      // A directory that went while we read its parent (a running container).
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      const shown = (rel ?? Buffer.from('/')).toString();
      throw sourceError('LAYER_IO', shown, `cannot list the directory: ${sysReason(e)}`, e);
    }
  }
}

/**
 * Every entry of the merged tree in tar order (a directory before its
 * contents), as tarEntries (writer.ts) takes them; depth first without
 * recursion, so a deep tree costs no stack.
 */
export function* walkMerged(tree: MergedTree): Generator<MergedEntry> {
  const stack: { children: MergedEntry[]; next: number }[] = [
    { children: tree.children(undefined, tree.root()), next: 0 },
  ];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const child = top.children[top.next++];
    if (child === undefined) {
      stack.pop();
      continue;
    }
    yield child;
    if (child.kind === 'dir')
      stack.push({ children: tree.children(child.name, child.places), next: 0 });
  }
}

function opaque(abs: Buffer, name: Buffer): boolean {
  try {
    return [...readXattrs(abs, OVERLAY_OPAQUE).values()].some((v) => v.toString() === 'y');
  } catch (e) {
    if (isAddonMissing(e)) throw e;
    throw sourceError('LAYER_IO', name.toString(), `cannot read its xattrs: ${sysReason(e)}`, e);
  }
}
