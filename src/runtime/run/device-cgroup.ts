/**
 * A device cgroup of our own, for the runners that get none from their
 * runtime: the built-in sandbox always, and crun on a hybrid-cgroup host (see
 * cgroups.ts), which it must run without cgroups. Docker's device rules are
 * what let a step keep CAP_MKNOD safely: `mknod /x c 1 3` works and the node
 * opens, a node for a host disk can be made but not opened (EPERM).
 *
 * cgroup v1's devices controller takes the rules as text (devices.deny,
 * devices.allow). A cgroup v2-only host has no such files (runc and crun
 * attach an eBPF program there); `create` then returns undefined and the
 * caller falls back to nodev mounts.
 *
 * The process to confine moves itself in (`echo 0 > <procs>`) before it
 * forks, so everything it starts is inside; the cgroup is removed once the
 * run has ended.
 */
import { mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceRule } from './spec.js';

export interface DeviceCgroup {
  /** The cgroup.procs file the confined process writes `0` into. */
  procs: string;
  /** Remove the cgroup once its processes have gone. */
  remove(): Promise<void>;
}

/** Parent of our cgroups inside the devices hierarchy, so they are easy to find and sweep. */
const PARENT = 'tsbuild';

/**
 * A fresh devices cgroup named `id` that allows only `rules`, or undefined
 * when this host has no writable cgroup v1 devices hierarchy.
 *
 * @example
 * const cg = createDeviceCgroup('tsbuild-1f2e', DEVICE_RULES);
 * // the sandbox's first command: echo 0 > cg.procs
 */
export function createDeviceCgroup(
  id: string,
  rules: readonly DeviceRule[],
): DeviceCgroup | undefined {
  const base = devicesHierarchy();
  if (base === undefined) return undefined;
  const dir = join(base, PARENT, id);
  sweep(join(base, PARENT));
  try {
    mkdirSync(dir, { recursive: true });
  } catch {
    return undefined; // read-only cgroupfs, or not ours to write
  }
  const cgroup: DeviceCgroup = { procs: join(dir, 'cgroup.procs'), remove: () => removeDir(dir) };
  try {
    writeFileSync(join(dir, 'devices.deny'), 'a');
    for (const r of rules) {
      if (r.type === undefined && r.allow === false) continue; // the 'a' above
      writeFileSync(join(dir, r.allow ? 'devices.allow' : 'devices.deny'), ruleText(r));
    }
  } catch {
    void cgroup.remove();
    return undefined;
  }
  return cgroup;
}

/** A cgroup is joined within milliseconds of being made; one empty for this long is a leftover. */
const STALE_MS = 60_000;

/**
 * Remove the cgroups a killed tsbuild left: empty and old. rmdir refuses one
 * that still has a task, so a live run's is never taken.
 */
function sweep(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith('tsbuild-')) continue;
    const dir = join(parent, name);
    try {
      if (Date.now() - statSync(dir).mtimeMs < STALE_MS) continue;
      if (readFileSync(join(dir, 'cgroup.procs'), 'utf8') !== '') continue;
      rmdirSync(dir);
    } catch {
      // Gone already, or busy after all.
    }
  }
}

/** `c 1:3 rwm`, `b *:* m`: the v1 devices file syntax. */
function ruleText(r: DeviceRule): string {
  const num = (n: number | undefined) => (n === undefined || n < 0 ? '*' : String(n));
  return `${r.type ?? 'a'} ${num(r.major)}:${num(r.minor)} ${r.access}`;
}

/** Our own cgroup's directory in the v1 devices hierarchy, if it is mounted. */
function devicesHierarchy(): string | undefined {
  let mountinfo: string;
  let own: string;
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
    own = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return undefined;
  }
  const path = own
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f.length >= 3 && f[1]!.split(',').includes('devices'))
    ?.slice(2)
    .join(':');
  if (path === undefined) return undefined;
  for (const line of mountinfo.split('\n')) {
    // "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices"
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const [fstype, , options] = right.split(' ');
    if (fstype !== 'cgroup' || !options?.split(',').includes('devices')) continue;
    const [, , , root, mountPoint] = left.split(' ');
    if (root === undefined || mountPoint === undefined) continue;
    // Our path is relative to the hierarchy's root; the mount may show a subtree of it.
    if (root !== '/' && !`${path}/`.startsWith(`${root}/`)) continue;
    return join(mountPoint, root === '/' ? path : path.slice(root.length));
  }
  return undefined;
}

/**
 * rmdir, retried for a second: the kernel frees a cgroup only once its last
 * task is reaped, a moment after the run's own process has exited.
 */
async function removeDir(dir: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || (code === 'EBUSY' && i === 100)) return;
      if (code !== 'EBUSY') throw e;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
