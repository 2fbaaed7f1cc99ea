/**
 * The mount points a runner makes in the image, and what a RUN can do to them:
 * removing them afterwards never follows a symlink the RUN put in their place,
 * an image whose /proc (or an /etc file) is a symlink into the kernel's
 * filesystems is refused, and every runner leaves the same tree behind.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickRunner, type Runner, type RunSpec } from '../../../src/runtime/run/index.js';
import { rejected } from '../../helpers/caught.js';
import { busyboxRootfs, copyRootfs } from './rootfs.js';

const sink = () => new Writable({ write: (_c, _e, done) => done() });
const spec = (script: string): RunSpec => ({
  args: ['sh', '-c', script],
  env: [],
  cwd: '/',
  user: '',
  network: 'none',
});

let base: string;
const tmp = mkdtempSync(join(tmpdir(), 'tsbuild-mountpoints-'));
beforeAll(async () => {
  base = await busyboxRootfs();
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  rmSync(base, { recursive: true, force: true });
});

describe.each(['runc', 'crun', 'builtin'] as const)('%s', (kind) => {
  let runner: Runner;
  beforeAll(() => {
    runner = pickRunner(kind);
  });
  const run = (rootfs: string, script: string) =>
    runner.run(
      rootfs,
      spec(script),
      { stdout: sink(), stderr: sink() },
      { workRoot: join(tmp, kind) },
    );

  it('never follows a symlink the RUN put where its mount points were', async () => {
    const rootfs = copyRootfs(base);
    rmSync(join(rootfs, 'etc', 'hosts'), { force: true });
    rmSync(join(rootfs, 'etc', 'hostname'), { force: true });
    // What a careless cleanup would take for its own empty mount points.
    const outside = mkdtempSync(join(tmp, 'outside-'));
    writeFileSync(join(outside, 'hostname'), '');
    mkdirSync(join(outside, 'hosts'));
    const code = await run(rootfs, `mv /etc /etc.real && ln -s ${outside} /etc`);
    expect(code).toBe(0);
    expect(readdirSync(outside).sort()).toEqual(['hostname', 'hosts']);
  });

  it('refuses an image whose /proc or /etc/hosts is a symlink into the kernel filesystems', async () => {
    const proc = copyRootfs(base);
    renameSync(join(proc, 'proc'), join(proc, 'x'));
    symlinkSync('/x', join(proc, 'proc'));
    const e = await rejected(run(proc, 'true'));
    expect(e).toMatchObject({
      code: 'UNSAFE_ROOTFS',
      message: "the image's /proc is a symlink (it resolves to /x)",
    });
    expect(existsSync(join(proc, 'x', '1'))).toBe(false);
    const hosts = copyRootfs(base);
    rmSync(join(hosts, 'etc', 'hosts'), { force: true });
    symlinkSync('/proc/self/root/etc/passwd', join(hosts, 'etc', 'hosts'));
    expect((await rejected(run(hosts, 'true'))).code).toBe('UNSAFE_ROOTFS');
  });

  it('leaves no /proc, /dev or /sys behind in an image that had none', async () => {
    const rootfs = copyRootfs(base);
    for (const d of ['proc', 'dev', 'sys'])
      rmSync(join(rootfs, d), { recursive: true, force: true });
    expect(await run(rootfs, 'true')).toBe(0);
    for (const d of ['proc', 'dev', 'sys']) expect(existsSync(join(rootfs, d))).toBe(false);
  });
});
