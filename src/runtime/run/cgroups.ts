/**
 * How to invoke a runtime on this host's cgroups.
 *
 * crun 1.8 refuses any "hybrid" host (cgroup v1 controllers plus a v2 tree at
 * /sys/fs/cgroup/unified that has controllers of its own, e.g. hugetlb) with
 * "cgroups in hybrid mode not supported, drop all controllers from cgroupv2",
 * whatever --cgroup-manager says: it checks the mode first. There we start it
 * in a private mount namespace with the v2 tree unmounted (the host keeps it),
 * and with --cgroup-manager=disabled, since such hosts (CI sandboxes) also
 * refuse the writes crun's v1 setup makes (cpuset.cpus). runc copes as is.
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
  /** False when the container gets no cgroup, so no device cgroup either. */
  deviceCgroup: boolean;
}

const HIDE_UNIFIED = 'umount -l /sys/fs/cgroup/unified && exec "$0" "$@"';

/** The way to run `binary` here. */
export function invocation(binary: string): Invocation {
  if (!basename(binary).startsWith('crun') || !hybridWithV2Controllers()) {
    return { file: binary, prefix: [], flags: [], deviceCgroup: true };
  }
  return {
    file: 'unshare',
    prefix: ['--mount', '--propagation', 'slave', '--', 'sh', '-c', HIDE_UNIFIED, binary],
    flags: ['--cgroup-manager=disabled'],
    deviceCgroup: false,
  };
}

function hybridWithV2Controllers(): boolean {
  try {
    return readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').trim() !== '';
  } catch {
    return false;
  }
}
