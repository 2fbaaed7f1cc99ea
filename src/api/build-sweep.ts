/**
 * What a killed build left in the store's tmp/: its work dir, with overlay mounts
 * still in it. Each build's dir records its owner (pid + start time); a dir whose
 * owner is gone is unmounted and removed before the next build starts. A live
 * build's dir, or one too new to have its owner file yet, is left alone.
 */
import { readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { failingAs } from '../errors.js';
import { stopStaleNetwork } from '../runtime/network/index.js';
import { ownerAlive, writeOwner } from '../runtime/snapshot/owner.js';
import { removeSnapshotDir } from '../runtime/snapshot/stale.js';

export const BUILD_DIR_PREFIX = 'build-';

/**
 * A new work dir under `tmp`, its owner recorded at once so that, if this
 * process dies, the next build's sweep removes it. `what` names it in errors.
 */
export async function makeWorkDir(tmp: string, what = "the build's work dir"): Promise<string> {
  const work = await failingAs({ writing: what, to: tmp }, () =>
    mkdtemp(join(tmp, BUILD_DIR_PREFIX)),
  );
  try {
    await failingAs({ writing: what, to: work }, async () => writeOwner(work));
  } catch (e) {
    // Without an owner the sweep would take it for a build still starting.
    await removeSnapshotDir(work).catch(() => undefined);
    throw e;
  }
  return work;
}

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
    await stopStaleNetwork(dir);
    // Unmounts every snapshot under it (deepest first), then deletes it.
    await removeSnapshotDir(dir);
    removed.push(dir);
  }
  return removed;
}
