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
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export interface Invocation {
  /** What to spawn: the runtime, or unshare in front of it. */
  file: string;
  /** Arguments before the runtime's own (the runtime's path among them when wrapped). */
  prefix: string[];
  /** Global flags for every subcommand. */
  flags: string[];
  /** True when the runtime makes no cgroup, so the caller must provide the device cgroup. */
  ownDeviceCgroup: boolean;
}

/** `$0`: the cgroup.procs to join ('' for none); then the runtime and its arguments. */
const HIDE_UNIFIED =
  '{ [ -z "$0" ] || echo 0 > "$0"; } && umount -l /sys/fs/cgroup/unified && exec "$@"';

/**
 * The way to run `binary` here; `procs` is the cgroup.procs of the device
 * cgroup to join, when ownDeviceCgroup and one could be made.
 */
export function invocation(binary: string, procs = ''): Invocation {
  if (!basename(binary).startsWith('crun') || !hybridWithV2Controllers()) {
    return { file: binary, prefix: [], flags: [], ownDeviceCgroup: false };
  }
  return {
    file: 'unshare',
    prefix: ['--mount', '--propagation', 'slave', '--', 'sh', '-c', HIDE_UNIFIED, procs, binary],
    flags: ['--cgroup-manager=disabled'],
    ownDeviceCgroup: true,
  };
}

function hybridWithV2Controllers(): boolean {
  try {
    return readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').trim() !== '';
  } catch {
    return false;
  }
}
