/**
 * What a killed build left in the store's tmp/: its work dir, with overlay mounts
 * still in it. Each build's dir records its owner (pid + start time); a dir whose
 * owner is gone is unmounted and removed before the next build starts. A live
 * build's dir, or one too new to have its owner file yet, is left alone.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { stopStaleNetwork } from '../runtime/network/index.js';
import { ownerAlive } from '../runtime/snapshot/owner.js';
import { removeSnapshotDir } from '../runtime/snapshot/stale.js';

export const BUILD_DIR_PREFIX = 'build-';

export async function sweepStaleBuilds(tmp: string): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(tmp);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(BUILD_DIR_PREFIX)) continue;
    const dir = join(tmp, name);
    if (ownerAlive(dir) !== false) continue;
    stopStaleNetwork(dir);
    // Unmounts every snapshot under it (deepest first), then deletes it.
    await removeSnapshotDir(dir);
    removed.push(dir);
  }
  return removed;
}
