/**
 * How a runtime is started on this host's cgroups: every program by its
 * absolute path (bare names made execvp walk PATH, twice per RUN step), and
 * crun on a hybrid host through the one-process helper npm builds.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HIDE_CGROUP2, invocation } from '../../../src/runtime/run/cgroups.js';
import { findRuntime, findTool } from '../../../src/runtime/run/find.js';
import { nativeFile } from '../../../src/runtime/native.js';

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
    expect(invocation(runc, PROCS)).toEqual(direct(runc));
  });

  it('starts crun on a hybrid host through the helper npm built: one exec before crun', () => {
    const crun = findRuntime('crun');
    const helper = nativeFile(HIDE_CGROUP2);
    expect(helper).toBeDefined();
    expect(invocation(crun, PROCS)).toEqual(
      hybrid()
        ? {
            file: helper,
            prefix: [PROCS, crun],
            flags: ['--cgroup-manager=disabled'],
            ownDeviceCgroup: true,
          }
        : direct(crun),
    );
  });

  it('without the helper, names unshare, sh and umount by absolute path', () => {
    const crun = findRuntime('crun');
    const [unshare, sh, umount] = ['unshare', 'sh', 'umount'].map((t) => findTool(t));
    const how = invocation(crun, PROCS, null);
    if (!hybrid()) return expect(how).toEqual(direct(crun));
    expect(how.file).toBe(unshare);
    expect(how.prefix.slice(0, 5)).toEqual(['--mount', '--propagation', 'slave', '--', sh]);
    expect(how.prefix.slice(-3)).toEqual([PROCS, umount, crun]);
  });
});
