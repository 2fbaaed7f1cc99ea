/**
 * `tsbuild run --init` makes a mount point for Docker's init at
 * /sbin/docker-init and takes it away after the run. A container that made
 * /sbin a symlink to a host path meanwhile must not have tsbuild delete that
 * host path's docker-init (api/run-start.ts initMountPoint): the clean-up is
 * done in the upper dir, each path resolved inside it again.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';
import { storeWithBusybox } from '../build/harness.js';

describe.each(['runc', 'crun', 'builtin'] as const)('run --init under %s', (runtime) => {
  it('a container that points /sbin at a host dir does not make tsbuild delete a file there', async () => {
    const root = await storeWithBusybox();
    const decoy = join(tempRoot(), 'decoy');
    mkdirSync(decoy);
    writeFileSync(join(decoy, 'docker-init'), 'host file\n');
    const script = `mv /sbin /sbin.old && ln -s ${decoy} /sbin && echo swapped`;
    const r = await cli([
      'run',
      '--root',
      root,
      '--rm',
      '--init',
      '--network',
      'none',
      '--runtime',
      runtime,
      'busybox',
      'sh',
      '-c',
      script,
    ]);
    expect(r).toMatchObject({ code: 0, stdout: 'swapped\n' });
    expect(existsSync(join(decoy, 'docker-init'))).toBe(true);
    expect(readdirSafe(join(root, 'containers'))).toEqual([]);
  }, 60_000);
});

function readdirSafe(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}
