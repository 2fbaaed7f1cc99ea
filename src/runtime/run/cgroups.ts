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
 * That wrapper is the launcher (native/launcher.c, --hide-cgroup2), set up
 * once a process; when npm did not build it, util-linux's unshare and a shell
 * for each run (four execs), every program by absolute path: bare names made
 * execvp try every PATH directory before /usr/bin, twice per step.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { findTool } from './find.js';

export interface Invocation {
  /** What to spawn: the runtime, or unshare in front of it (an absolute path). */
  file: string;
  /** Arguments before the runtime's own (the runtime's path among them when wrapped). */
  prefix: string[];
  /** Global flags for every subcommand. */
  flags: string[];
  /** True when the runtime makes no cgroup, so the caller must provide the device cgroup. */
  ownDeviceCgroup: boolean;
}

/** The runtime's global flags where the v2 tree is hidden from it. */
export const WITHOUT_CGROUPS = ['--cgroup-manager=disabled'];

/**
 * The shell form of the launcher's --hide-cgroup2. `$0`: the cgroup.procs to
 * join ('' for none); `$1`: umount's path; then the runtime and its arguments.
 */
const HIDE_UNIFIED =
  '{ [ -z "$0" ] || echo 0 > "$0"; } && "$1" -l /sys/fs/cgroup/unified && shift && exec "$@"';

/**
 * True when `binary` must run with the v2 tree hidden, without cgroups, and
 * in a device cgroup of ours: crun on a hybrid host with v2 controllers.
 */
export function hidesCgroup2(binary: string): boolean {
  return basename(binary).startsWith('crun') && hybridWithV2Controllers();
}

/**
 * How to spawn `binary` for one run, without the launcher; `procs` is the
 * cgroup.procs of the device cgroup to join, when ownDeviceCgroup and one
 * could be made.
 */
export function invocation(binary: string, procs = ''): Invocation {
  if (!hidesCgroup2(binary)) return { file: binary, prefix: [], flags: [], ownDeviceCgroup: false };
  const [unshare, sh, umount] = ['unshare', 'sh', 'umount'].map((t) => findTool(t)) as [
    string,
    string,
    string,
  ];
  const wrapper = ['--mount', '--propagation', 'slave', '--', sh, '-c', HIDE_UNIFIED];
  return {
    file: unshare,
    prefix: [...wrapper, procs, umount, binary],
    flags: WITHOUT_CGROUPS,
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
