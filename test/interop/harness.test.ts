/**
 * The integration harness itself: the private dockerd answers, the busybox
 * rootfs is a working image, and `docker save` gives an image tarball. A
 * failure here means the machine lacks what .ci/run installs, not a tsbuild bug.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { busyboxRootfsTar } from '../helpers/busybox.js';
import { docker, dockerOk } from '../helpers/docker.js';

describe('integration harness', () => {
  it('builds one cached, deterministic rootfs tarball', async () => {
    const path = await busyboxRootfsTar();
    expect(await busyboxRootfsTar()).toBe(path);
    const list = execFileSync('tar', ['-tvf', path], { encoding: 'utf8' });
    const names = list.split('\n').map((l) => l.split(/\s+/).slice(5).join(' '));
    for (const n of [
      'bin/busybox',
      'bin/sh -> busybox',
      'bin/[ -> busybox',
      'etc/passwd',
      'tmp/',
    ]) {
      expect(names).toContain(n);
    }
    expect(list).toMatch(/^drwxrwxrwt 0\/0 +0 1970-01-01 00:00 tmp\/$/m);
    expect(list).toMatch(/^drwxr-xr-x 1000\/1000 .* home\/app\/$/m);
  });

  it('talks to its own dockerd, not the machine default', async () => {
    expect(inject('dockerHost')).toMatch(/^unix:\/\/\/tmp\/tsbuild-dockerd-/);
    const { stdout } = await dockerOk([
      'info',
      '--format',
      '{{.DockerRootDir}} {{.ServerVersion}}',
    ]);
    expect(stdout).toMatch(/^\/tmp\/tsbuild-dockerd-\S+\/root 20\.10\./);
  });

  it('imports the rootfs, runs it and saves it', async () => {
    await dockerOk(['import', await busyboxRootfsTar(), 'bb:test']);
    const run = await dockerOk([
      'run',
      '--rm',
      '--network=none',
      'bb:test',
      'sh',
      '-c',
      'echo hi; id',
    ]);
    expect(run.stdout).toMatch(/^hi\nuid=0\(root\) gid=0\(root\)/);
    const app = await dockerOk(['run', '--rm', '--network=none', '-u', 'app', 'bb:test', 'id']);
    expect(app.stdout).toMatch(/^uid=1000\(app\) gid=1000\(app\)/);
    expect((await docker(['run', '--rm', '--network=none', 'bb:test', 'false'])).code).toBe(1);

    const dir = await mkdtemp(join(tmpdir(), 'tsbuild-save-'));
    try {
      await dockerOk(['save', '-o', join(dir, 'bb.tar'), 'bb:test']);
      execFileSync('tar', ['-xf', join(dir, 'bb.tar'), '-C', dir, 'manifest.json']);
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
      expect(manifest).toMatchObject([{ RepoTags: ['bb:test'] }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('feeds stdin and reports a failing command', async () => {
    const r = await dockerOk(['run', '--rm', '-i', '--network=none', 'bb:test', 'wc', '-c'], {
      input: 'abc',
    });
    expect(r.stdout.trim()).toBe('3');
    await expect(dockerOk(['inspect', 'no-such-image'])).rejects.toThrow(/No such/i);
  });
});
