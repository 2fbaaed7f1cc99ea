/**
 * How to invoke a runtime on this host's cgroups.
 *
 * crun 1.8 refuses any "hybrid" host (cgroup v1 controllers plus a v2 tree at
 * /sys/fs/cgroup/unified that has controllers of its own, e.g. hugetlb) with
 * "cgroups in hybrid mode not supported, drop all controllers from cgroupv2",
 * whatever --cgroup-manager says: it checks the mode first. There we start it
 * in a private mount namespace with the v2 tree unmounted (the host keeps it),
 * and with --cgroup-manager=disabled, since such hosts (CI sandboxes) also
 * refuse the writes crun's v1 setup makes (cpuset.cpus). Its device rules then
 * come from a device cgroup of our own (device-cgroup.ts) that the wrapper
 * joins before it execs crun. runc copes as is.
 *
 * That wrapper is native/hide-cgroup2.c (one exec), or, when npm did not build
 * it, util-linux's unshare and a shell (four), each by absolute path: a bare
 * name made execvp try every PATH directory before /usr/bin, twice per step.
 */
import { constants, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { nativeFile } from '../native.js';
import { findTool } from './find.js';

export interface Invocation {
  /** What to spawn: the runtime, or a wrapper in front of it (an absolute path). */
  file: string;
  /** Arguments before the runtime's own (the runtime's path among them when wrapped). */
  prefix: string[];
  /** Global flags for every subcommand. */
  flags: string[];
  /** True when the runtime makes no cgroup, so the caller must provide the device cgroup. */
  ownDeviceCgroup: boolean;
}

export const HIDE_CGROUP2 = 'tsbuild-hide-cgroup2';

/**
 * The shell form of HIDE_CGROUP2. `$0`: the cgroup.procs to join ('' for
 * none); `$1`: umount's path; then the runtime and its arguments.
 */
const HIDE_UNIFIED =
  '{ [ -z "$0" ] || echo 0 > "$0"; } && "$1" -l /sys/fs/cgroup/unified && shift && exec "$@"';

/**
 * The way to run `binary` here; `procs` is the cgroup.procs of the device
 * cgroup to join, when ownDeviceCgroup and one could be made; `helper` is
 * HIDE_CGROUP2's path, null when npm did not build it.
 */
export function invocation(
  binary: string,
  procs = '',
  helper: string | null = nativeFile(HIDE_CGROUP2, constants.X_OK) ?? null,
): Invocation {
  if (!basename(binary).startsWith('crun') || !hybridWithV2Controllers()) {
    return { file: binary, prefix: [], flags: [], ownDeviceCgroup: false };
  }
  const flags = ['--cgroup-manager=disabled'];
  if (helper !== null)
    return { file: helper, prefix: [procs, binary], flags, ownDeviceCgroup: true };
  const [unshare, sh, umount] = ['unshare', 'sh', 'umount'].map((t) => findTool(t)) as [
    string,
    string,
    string,
  ];
  return {
    file: unshare,
    prefix: [
      '--mount',
      '--propagation',
      'slave',
      '--',
      sh,
      '-c',
      HIDE_UNIFIED,
      procs,
      umount,
      binary,
    ],
    flags,
    ownDeviceCgroup: true,
  };
}

/** The host's cgroup layout, read once: it does not change under a running process. */
let hybrid: boolean | undefined;

function hybridWithV2Controllers(): boolean {
  if (hybrid !== undefined) return hybrid;
  try {
    hybrid = readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').trim() !== '';
  } catch {
    hybrid = false;
  }
  return hybrid;
}
