/**
 * What killed writers left in the store's tmp/: temp blobs, records, snapshots
 * and unpacked archives named by util/temp-owner.ts. The first command that
 * takes the store's lock removes every one whose writer is dead, however new;
 * a live writer's (this process's or another's) stays, however old. Build work
 * dirs (`build-*`) hold mounts and have their own sweep (api/build-sweep.ts);
 * names without an owner are left to `prune`'s age rule.
 */
import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { failingAs } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { tempName, tempOwnerAlive } from '../util/temp-owner.js';

/** Remove the temp files and dirs in `tmp` whose writer is dead; returns their names. */
export async function sweepDeadTemps(tmp: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(tmp);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (tempOwnerAlive(name) !== false) continue;
    await rm(join(tmp, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * A small record replaced whole (index.json, a cache or layer record): its temp
 * file in tmp/, where a killed writer's is found, and a full disk named as
 * `no space left on device writing <what> to <path>`. Renamed into place, not
 * fsynced — journal.ts says when the store syncs — unless `durable` (index.json,
 * which lists images only after a sync and must itself survive a power loss).
 */
export async function writeRecord(
  path: string,
  data: string,
  tmp: string,
  what: string,
  opts: { durable?: boolean } = {},
): Promise<void> {
  const temp = tempName(tmp, 'record');
  await failingAs({ writing: what, to: path }, async () => {
    if (opts.durable) return writeFileAtomic(path, data, 0o644, temp);
    try {
      await writeFile(temp, data, { flag: 'wx', mode: 0o644 });
      await rename(temp, path);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
  });
}
