/**
 * Who made a snapshot dir, so that cleanupStale() removes only what a dead
 * process left and never a live snapshot of a build running beside it. The
 * owner is the pid and its start time (field 22 of /proc/<pid>/stat), which
 * together survive pid reuse.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTime } from '../../util/temp-owner.js';

export const OWNER_FILE = 'owner';

interface Owner {
  pid: number;
  start: string;
}

/** Record this process as the owner of the snapshot dir `dir`. */
export function writeOwner(dir: string): void {
  const owner: Owner = { pid: process.pid, start: startTime('self') ?? '' };
  writeFileSync(join(dir, OWNER_FILE), JSON.stringify(owner));
}

/** Whether the process that made `dir` is still running; undefined when the dir has no owner. */
export function ownerAlive(dir: string): boolean | undefined {
  let owner: Owner;
  try {
    owner = JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')) as Owner;
  } catch {
    return undefined;
  }
  return startTime(owner.pid) === owner.start;
}
