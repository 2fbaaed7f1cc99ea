/**
 * How a runtime is started on this host's cgroups when it is spawned for one
 * run (no launcher): runc itself, crun on a hybrid host behind unshare and a
 * shell, every program by absolute path (bare names made execvp walk PATH,
 * twice per RUN step).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hidesCgroup2, invocation } from '../../../src/runtime/run/cgroups.js';
import { findRuntime, findTool } from '../../../src/runtime/run/find.js';

/** What cgroups.ts checks: a v2 tree beside v1 controllers, with controllers of its own. */
function hybrid(): boolean {
  try {
    return readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').trim() !== '';
  } catch {
    return false;
  }
}

const PROCS = '/sys/fs/cgroup/devices/x/cgroup.procs';
const direct = (binary: string) => ({
  file: binary,
  prefix: [],
  flags: [],
  ownDeviceCgroup: false,
});

describe('invocation', () => {
  it('starts runc itself, by the path given', () => {
    const runc = findRuntime('runc');
    expect(hidesCgroup2(runc)).toBe(false);
    expect(invocation(runc, PROCS)).toEqual(direct(runc));
  });

  it('starts crun on a hybrid host behind unshare, sh and umount, each by absolute path', () => {
    const crun = findRuntime('crun');
    expect(hidesCgroup2(crun)).toBe(hybrid());
    const how = invocation(crun, PROCS);
    if (!hybrid()) return expect(how).toEqual(direct(crun));
    const [unshare, sh, umount] = ['unshare', 'sh', 'umount'].map((t) => findTool(t));
    expect(how.file).toBe(unshare);
    expect(how.prefix.slice(0, 5)).toEqual(['--mount', '--propagation', 'slave', '--', sh]);
    expect(how.prefix.slice(-3)).toEqual([PROCS, umount, crun]);
    expect(how.flags).toEqual(['--cgroup-manager=disabled']);
  });
});
