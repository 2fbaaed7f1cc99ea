/**
 * Snapshot dirs left under a work root by a process that was killed before
 * release(): found by their owner record, unmounted and deleted.
 */
import { existsSync, lstatSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SnapshotError } from './errors.js';
import { mountsUnder, unmount } from './mount.js';
import { ownerAlive } from './owner.js';

/** The prefixes of the dirs prepare() makes under a work root. */
export const SNAPSHOT_DIR = /^(ovl|copy)-/;
/** A dir with no owner record yet may be one being created right now. */
const UNOWNED_GRACE_MS = 60_000;

/**
 * Unmount and delete the snapshot dirs under `workRoot` whose owner process is gone. Live
 * snapshots (of this process or another) are left alone. Returns the dirs removed.
 *
 * @example
 * await cleanupStale(join(storeRoot, 'tmp')); // at startup, before the first prepare()
 */
export async function cleanupStale(workRoot: string): Promise<string[]> {
  if (!existsSync(workRoot)) return [];
  const root = realpathSync(workRoot);
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    if (!SNAPSHOT_DIR.test(name)) continue;
    const dir = join(root, name);
    const alive = ownerAlive(dir);
    if (alive === true) continue;
    if (alive === undefined && Date.now() - lstatSync(dir).mtimeMs < UNOWNED_GRACE_MS) continue;
    await removeSnapshotDir(dir);
    removed.push(dir);
  }
  return removed;
}

/** Unmount whatever is mounted under `dir` (deepest first), then delete it. */
export async function removeSnapshotDir(dir: string): Promise<void> {
  for (const m of mountsUnder(dir)) await unmount(m);
  // Never recurse into a mount: under a bind mount is someone else's data.
  const left = mountsUnder(dir);
  if (left.length > 0) {
    const msg = `cannot remove ${JSON.stringify(dir)}: ${JSON.stringify(left[0])} is still mounted`;
    throw new SnapshotError('SNAPSHOT_UNMOUNT', msg, { dir, mounts: left });
  }
  rmSync(dir, { recursive: true, force: true });
}
