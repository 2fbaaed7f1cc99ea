/**
 * The launcher (native/launcher.c) that starts each run's runtime instead of
 * a fork of Node: a program's stdio apart, its exit status or signal, stdin,
 * no descriptor but 0-2, mounts Node made after it started, and clear errors
 * for what it cannot start.
 */
import { constants, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { nativeFile, syscalls } from '../../../src/runtime/native.js';
import { createDeviceCgroup } from '../../../src/runtime/run/device-cgroup.js';
import { LAUNCHER, Launcher, type Child } from '../../../src/runtime/run/launcher.js';
import { DEVICE_RULES } from '../../../src/runtime/run/spec.js';
import { unmount } from '../../../src/runtime/snapshot/mount.js';
import { collector } from '../../helpers/streams.js';

const helper = nativeFile(LAUNCHER, constants.X_OK)!;
const calls = syscalls()!;
const made: string[] = [];
afterAll(async () => {
  for (const d of made) {
    await unmount(join(d, 'm'));
    rmSync(d, { recursive: true, force: true });
  }
});

/** Everything a started program did. */
function ended(child: Child, input?: string) {
  const out = collector();
  const err = collector();
  child.stdout!.pipe(out.stream);
  child.stderr!.pipe(err.stream);
  if (input !== undefined) Readable.from([input]).pipe(child.stdin!);
  return new Promise<{ code: number | null; signal: string | null; out: string; err: string }>(
    (resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) =>
        resolve({ code, signal, out: out.text(), err: err.text() }),
      );
    },
  );
}

describe('Launcher', () => {
  it('was built by npm, with the addon it needs', () => {
    expect(helper).toMatch(/\/build\/Release\/tsbuild-launcher$/);
    expect(calls).toBeDefined();
  });

  const launcher = new Launcher(helper, [], calls);

  it('runs a program with stdout and stderr apart, and gives its exit code', async () => {
    const child = launcher.start(['/bin/sh', '-c', 'echo out; echo err >&2; exit 3'], false);
    expect(await ended(child)).toEqual({ code: 3, signal: null, out: 'out\n', err: 'err\n' });
  });

  it('gives the signal that ended a program', async () => {
    const child = launcher.start(['/bin/sh', '-c', 'kill -TERM $$'], false);
    expect(await ended(child)).toMatchObject({ code: null, signal: 'SIGTERM' });
  });

  it('feeds stdin when asked, and /dev/null otherwise', async () => {
    expect(await ended(launcher.start(['/bin/cat'], true), 'fed\n')).toMatchObject({
      code: 0,
      out: 'fed\n',
    });
    expect(await ended(launcher.start(['/bin/cat'], false))).toMatchObject({ code: 0, out: '' });
  });

  it('hands a program no descriptor but 0, 1 and 2', async () => {
    const r = await ended(launcher.start(['/bin/sh', '-c', 'ls /proc/$$/fd'], false));
    expect(r.out.split('\n').filter((l) => l !== '')).toEqual(['0', '1', '2']);
  });

  it('runs programs side by side, each answered on its own', async () => {
    const slow = ended(launcher.start(['/bin/sh', '-c', 'sleep 0.3; echo slow'], false));
    const fast = ended(launcher.start(['/bin/sh', '-c', 'echo fast'], false));
    expect((await fast).out).toBe('fast\n');
    expect((await slow).out).toBe('slow\n');
  });

  it('says why a program could not start', async () => {
    expect(await ended(launcher.start(['/nonexistent/prog'], false))).toEqual({
      code: 127,
      signal: null,
      out: '',
      err: 'tsbuild-launcher: exec /nonexistent/prog: No such file or directory\n',
    });
    const relative = await ended(launcher.start(['sh', '-c', 'true'], false)).catch((e) => e);
    expect(relative).toBeInstanceOf(Error);
    expect(relative.message).toBe(`${helper}: a program that is not an absolute path`);
  });

  it('with --hide-cgroup2, runs each program in a mount namespace made as it starts', async () => {
    const hiding = new Launcher(helper, ['--hide-cgroup2', ''], calls);
    // Mounted after the launcher started, as a step's rootfs is.
    const dir = mkdtempSync(join(tmpdir(), 'tsbuild-launcher-'));
    made.push(dir);
    for (const d of ['l', 'u', 'w', 'm']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'l/f'), 'seen\n');
    calls.mount('overlay', join(dir, 'm'), 'overlay', 'lowerdir=l,upperdir=u,workdir=w', dir);
    const script = `cat ${join(dir, 'm/f')}; grep -c ' /sys/fs/cgroup/unified ' /proc/self/mountinfo`;
    const r = await ended(hiding.start(['/bin/sh', '-c', script], false));
    expect(r.out).toBe('seen\n0\n');
  });

  it('joins the device cgroup once, and removes it when Node goes', async () => {
    const cgroup = createDeviceCgroup(`tsbuild-test-${process.pid}`, DEVICE_RULES)!;
    const dir = dirname(cgroup.procs);
    const hiding = new Launcher(helper, ['--hide-cgroup2', cgroup.procs], calls);
    const r = await ended(hiding.start(['/bin/sh', '-c', 'cat /proc/self/cgroup'], false));
    const devices = r.out.split('\n').find((l) => /:devices:/.test(l));
    expect(devices?.replace(/^\d+:devices:/, '')).toBe(
      dir.replace(/^.*\/sys\/fs\/cgroup\/devices/, ''),
    );
    await hiding.close();
    expect(existsSync(dir)).toBe(false);
  });

  it('fails what it was asked once it has ended, naming why it ended', async () => {
    const broken = new Launcher(helper, ['--bogus'], calls);
    const why = `${helper} ended (exit 125): usage: tsbuild-launcher [--hide-cgroup2 PROCS]`;
    // Asked before it has ended, and after.
    const first = await ended(broken.start(['/bin/true'], false)).catch((e) => e);
    expect(first).toBeInstanceOf(Error);
    expect(first.message).toBe(why);
    expect(broken.alive).toBe(false);
    const second = await ended(broken.start(['/bin/true'], false)).catch((e) => e);
    expect(second.message).toBe(why);
  });
});
