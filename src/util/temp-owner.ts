/**
 * Temp files that say who writes them, so that a later command can tell a
 * killed writer's leftovers from a live writer's work in progress, whatever
 * their age: `blob-41872-9171234-3fa2c1d0-5e0b…` is kind, pid, the pid's start
 * time (field 22 of /proc/<pid>/stat, so a reused pid is not taken for its old
 * owner), a tag of the machine's boot and pid namespace, and random bytes.
 *
 * A name made under another boot, machine or pid namespace (a store shared with
 * a container, or over NFS) cannot be judged from here: its pid means another
 * process. Such names, and names without an owner, are left to `prune`'s age rule.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** `<kind>-<pid>-<start>-<host tag>-<random>` */
const NAME = /^([a-z]+)-(\d+)-(\d+)-([0-9a-f]{8})-[0-9a-f]+$/;

/** When `pid` started, in clock ticks since boot; undefined when there is no such process. */
export function startTime(pid: number | 'self'): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may hold spaces and parentheses; the fields after it follow the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

let hostTag: string | undefined;
let selfOwner: string | undefined;

/** Which boot of which machine, and which pid namespace, pids are counted in. */
function host(): string {
  hostTag ??= createHash('sha256')
    .update(readOr('/proc/sys/kernel/random/boot_id'))
    .update('\0')
    .update(linkOr('/proc/self/ns/pid'))
    .digest('hex')
    .slice(0, 8);
  return hostTag;
}

/**
 * A new temp path in `dir` owned by this process.
 * @example
 *   tempName('/store/tmp', 'blob'); // '/store/tmp/blob-41872-9171234-3fa2c1d0-5e0b9a…'
 */
export function tempName(dir: string, kind: string): string {
  return join(dir, `${kind}-${owner()}${randomBytes(8).toString('hex')}`);
}

/** `<pid>-<start>-<host tag>-`; without /proc, no telling a reused pid: no owner claimed. */
function owner(): string {
  if (selfOwner === undefined) {
    const start = startTime('self');
    selfOwner = start ? `${process.pid}-${start}-${host()}-` : '';
  }
  return selfOwner;
}

/**
 * Whether the process that made the temp file `name` (a base name from tempName)
 * is still running: false when it is gone or its pid now belongs to another
 * process; undefined when `name` has no owner, or one this process cannot judge.
 */
export function tempOwnerAlive(name: string): boolean | undefined {
  const m = NAME.exec(name);
  if (!m || m[4] !== host()) return undefined;
  return startTime(Number(m[2])) === m[3];
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function linkOr(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}
