/**
 * Every runner against the real thing, one suite for runc, crun and the
 * built-in sandbox, over a busybox rootfs. Tests that write into the rootfs use
 * their own copy. Where the built-in sandbox differs, the test says so.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickRunner, type Runner, type RunSpec } from '../../../src/runtime/run/index.js';
import { rejected } from '../../helpers/caught.js';
import { collector } from '../../helpers/streams.js';
import { busyboxRootfs, copyRootfs } from './rootfs.js';

/** Docker's default capability mask, as /proc/self/status prints CapEff for root. */
const DOCKER_CAP_EFF = '00000000a80425fb';

/** Lines of the host's mount table that mention `path`. */
const mountsUnder = (path: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(path));

/** Entries of a dir under workRoot; the built-in sandbox keeps no runtime state dir. */
const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

describe.each(['runc', 'crun', 'builtin'] as const)('runner %s', (kind) => {
  let rootfs: string;
  let workRoot: string;
  let runner: Runner;
  const made: string[] = [];

  beforeAll(async () => {
    rootfs = await busyboxRootfs();
    workRoot = mkdtempSync(join(tmpdir(), 'tsbuild-run-'));
    runner = pickRunner(kind);
  });
  afterAll(() => {
    for (const d of [rootfs, workRoot, ...made]) rmSync(d, { recursive: true, force: true });
  });

  const copy = () => {
    const d = copyRootfs(rootfs);
    made.push(d);
    return d;
  };

  async function run(
    spec: Partial<RunSpec> & { args: string[] },
    root = rootfs,
    signal?: AbortSignal,
  ) {
    const out = collector();
    const err = collector();
    const code = await runner.run(
      root,
      { env: [], cwd: '/', user: '', network: 'none', ...spec },
      { stdout: out.stream, stderr: err.stream },
      { workRoot, ...(signal ? { signal } : {}) },
    );
    return { code, out: out.text(), err: err.text() };
  }

  it('captures stdout and stderr apart', async () => {
    const r = await run({ args: ['sh', '-c', 'echo hi; echo oops >&2'] });
    expect(r).toEqual({ code: 0, out: 'hi\n', err: 'oops\n' });
  });

  it('feeds stdin', async () => {
    const out = collector();
    const code = await runner.run(
      rootfs,
      { args: ['tr', 'a-z', 'A-Z'], env: [], cwd: '/', user: '', network: 'none' },
      { stdout: out.stream, stderr: out.stream, stdin: Readable.from(['piped ', 'in\n']) },
      { workRoot },
    );
    expect({ code, out: out.text() }).toEqual({ code: 0, out: 'PIPED IN\n' });
  });

  it('returns the exit code', async () => {
    expect((await run({ args: ['sh', '-c', 'exit 3'] })).code).toBe(3);
    // pid 1 ignores even SIGKILL from inside its namespace; a killed child is 128+9.
    expect((await run({ args: ['sh', '-c', 'sh -c "kill -9 \\$\\$"; exit $?'] })).code).toBe(137);
  });

  it('passes env, with a default PATH and HOME', async () => {
    const r = await run({ args: ['sh', '-c', 'echo "$FOO|$PATH|$HOME"'], env: ['FOO=bar baz'] });
    expect(r.out).toBe(
      'bar baz|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|/root\n',
    );
    const own = await run({ args: ['/bin/sh', '-c', 'echo "$PATH"'], env: ['PATH=/bin'] });
    expect(own.out).toBe('/bin\n');
  });

  it('creates a missing working directory, owned by the user', async () => {
    const root = copy();
    const r = await run(
      { args: ['sh', '-c', 'pwd; stat -c %u:%g .'], cwd: '/work/deep/dir', user: 'app' },
      root,
    );
    expect(r.out).toBe('/work/deep/dir\n1000:1000\n');
  });

  it('refuses a working directory that resolves into /proc (CVE-2024-21626 class)', async () => {
    const root = copy();
    symlinkSync('/proc/self/fd/7', join(root, 'escape'));
    const e = await rejected(run({ args: ['pwd'], cwd: '/escape' }, root));
    expect(e.code).toBe('UNSAFE_CWD');
    expect(existsSync(join(root, 'proc/self'))).toBe(false);
  });

  it('switches user by name and by id, with supplementary groups and HOME', async () => {
    const root = copy();
    execFileSync('sh', ['-c', `echo 'wheel:x:10:app' >> ${root}/etc/group`]);
    const byName = await run(
      { args: ['sh', '-c', 'id -u; id -g; id -G; echo $HOME'], user: 'app' },
      root,
    );
    expect(byName.out).toBe('1000\n1000\n1000 10\n/home/app\n');
    const byId = await run({ args: ['sh', '-c', 'id -u; id -g'], user: '1000:10' }, root);
    expect(byId.out).toBe('1000\n10\n');
    const unknownId = await run(
      { args: ['sh', '-c', 'id -u; id -g; echo $HOME'], user: '4242' },
      root,
    );
    expect(unknownId.out).toBe('4242\n0\n/\n');
  });

  it('refuses an unknown user before running anything', async () => {
    const e = await rejected(run({ args: ['sh', '-c', 'echo ran'], user: 'app2' }));
    expect(e.code).toBe('UNKNOWN_USER');
    expect(e.message).toBe('unable to find user app2: no matching entries in passwd file');
    expect(readdirSync(join(workRoot, 'bundles'))).toEqual([]);
  });

  it('reports a missing command as one runtime error', async () => {
    const e = await rejected(run({ args: ['no-such-command'] }));
    expect(e.code).toBe('COMMAND_NOT_FOUND');
    expect(e.message).toMatch(/no-such-command.* not found/);
    expect(e.message).not.toContain('\n');
    expect((e as unknown as { data: { exitCode: number } }).data.exitCode).toBe(127);
  });

  it('reports a sandbox that cannot be set up as one runtime error, not an exit code', async () => {
    const root = copy();
    rmSync(join(root, 'dev'), { recursive: true, force: true });
    execFileSync('sh', ['-c', `echo not a dir > ${root}/dev`]);
    const e = await rejected(run({ args: ['true'] }, root));
    expect(e.code).toBe('RUNTIME_FAILED');
    expect(e.message).not.toContain('\n');
    expect(mountsUnder(root)).toEqual([]);
  });

  it('accepts a rootfs given through a symlink (runc refuses one in config.json)', async () => {
    const link = join(mkdtempSync(join(tmpdir(), 'tsbuild-link-')), 'rootfs');
    made.push(join(link, '..'));
    symlinkSync(rootfs, link);
    expect((await run({ args: ['true'] }, link)).code).toBe(0);
  });

  it('takes away the mount points the runtime had to create', async () => {
    const root = copy();
    rmSync(join(root, 'etc'), { recursive: true });
    const r = await run({ args: ['sh', '-c', 'ls /etc'] }, root);
    expect(r.out.split('\n').sort().join(' ').trim()).toBe('hosts resolv.conf');
    expect(existsSync(join(root, 'etc'))).toBe(false);
  });

  it('gives network none only a loopback that is up', async () => {
    const r = await run({ args: ['sh', '-c', 'ls /sys/class/net; ip -o link'] });
    expect(r.out.split('\n')[0]).toBe('lo');
    expect(r.out).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/m);
    expect(r.out.trim().split('\n')).toHaveLength(2);
  });

  it('shares the host network for host', async () => {
    const r = await run({ args: ['ls', '/sys/class/net'], network: 'host' });
    const host = readdirSync('/sys/class/net').sort();
    expect(r.out.trim().split(/\s+/).sort()).toEqual(host);
  });

  it('kills the container on abort, leaving no process and no state', async () => {
    const ac = new AbortController();
    const marker = { runc: '4241', crun: '4243', builtin: '4245' }[kind];
    const p = run({ args: ['sleep', marker] }, rootfs, ac.signal);
    setTimeout(() => ac.abort(), 300);
    const e = await rejected(p);
    expect(e.code).toBe('RUN_ABORTED');
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps.split('\n').filter((l) => l.trim() === `sleep ${marker}`)).toEqual([]);
    expect(entries(join(workRoot, 'state'))).toEqual([]);
    expect(readdirSync(join(workRoot, 'bundles'))).toEqual([]);
    expect(mountsUnder(rootfs)).toEqual([]);
    expect(mountsUnder(workRoot)).toEqual([]);
  });

  it('kills the container on timeout', async () => {
    const out = collector();
    const marker = { runc: '4251', crun: '4253', builtin: '4255' }[kind];
    const e = await rejected(
      runner.run(
        rootfs,
        { args: ['sleep', marker], env: [], cwd: '/', user: '', network: 'none' },
        { stdout: out.stream, stderr: out.stream },
        { workRoot, timeoutMs: 200 },
      ),
    );
    expect(e.code).toBe('RUN_TIMEOUT');
    // Killed at the timeout, not left running: no sleep of ours is left.
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps.split('\n').filter((l) => l.trim() === `sleep ${marker}`)).toEqual([]);
    expect(entries(join(workRoot, 'state'))).toEqual([]);
    expect(mountsUnder(rootfs)).toEqual([]);
  });

  it("bind-mounts /etc/hosts and resolv.conf read-only, never into the rootfs; /etc/hostname stays the image's", async () => {
    const root = copy();
    const r = await run(
      {
        args: ['sh', '-c', 'cat /etc/hosts; hostname; cat /etc/hostname; echo x >> /etc/hosts'],
        hostname: 'box',
      },
      root,
    );
    // BuildKit's behaviour (Docker 20.10: "can't create /etc/hosts: Read-only file system").
    expect(r.code).not.toBe(0);
    expect(r.out).toBe(
      '127.0.0.1\tlocalhost box\n::1\tlocalhost ip6-localhost ip6-loopback\nbox\n',
    );
    expect(r.err).toContain('/etc/hostname');
    expect(r.err).toContain('Read-only file system');
    for (const f of ['hosts', 'resolv.conf', 'hostname'])
      expect(existsSync(join(root, 'etc', f))).toBe(false);
  });

  it("leaves an image's own /etc/hosts as it was", async () => {
    const root = copy();
    execFileSync('sh', ['-c', `printf 'image\\n' > ${root}/etc/hosts`]);
    const r = await run({ args: ['sh', '-c', 'cat /etc/hosts'] }, root);
    expect(r.out).toContain('localhost buildkitsandbox');
    expect(readFileSync(join(root, 'etc/hosts'), 'utf8')).toBe('image\n');
  });

  it("runs with Docker's default capabilities, and without no_new_privs as under BuildKit", async () => {
    const r = await run({
      args: ['sh', '-c', 'grep -E "^(CapEff|CapInh|NoNewPrivs)" /proc/self/status'],
    });
    const caps = Object.fromEntries(
      r.out
        .trim()
        .split('\n')
        .map((l) => l.split(/:\s+/)),
    );
    // crun without cgroups and the built-in sandbox keep CAP_MKNOD too: a device
    // cgroup of tsbuild's own stands behind it (see the device-node test).
    expect(caps).toEqual({ CapEff: DOCKER_CAP_EFF, CapInh: '0000000000000000', NoNewPrivs: '0' });
    const app = await run({ args: ['sh', '-c', 'grep CapEff /proc/self/status'], user: 'app' });
    expect(app.out).toBe('CapEff:\t0000000000000000\n');
  });

  it('runs the command as pid 1 of its own pid namespace, named by the hostname', async () => {
    const r = await run({ args: ['sh', '-c', 'echo $$; hostname; ls /proc | grep -c "^[0-9]"'] });
    // sh and ls, and grep when it has started by the time ls reads /proc: the host's
    // namespace would show hundreds.
    expect(r.out).toMatch(/^1\nbuildkitsandbox\n[23]\n$/);
  });

  it('shows the process only its own mounts, none of the host tree', async () => {
    const r = await run({ args: ['cat', '/proc/self/mountinfo'] });
    const points = r.out
      .trim()
      .split('\n')
      .map((l) => l.split(' ')[4]);
    expect(points).toContain('/');
    expect(points).toContain('/etc/hosts');
    expect(points.filter((m) => m!.includes(tmpdir()) || m!.startsWith('/usr'))).toEqual([]);
  });

  it('lets no device node made in the rootfs be opened but those Docker allows', async () => {
    // Docker: mknod succeeds, the device cgroup refuses the open of /dev/mem.
    const root = copy();
    const script =
      'mknod /mem c 1 1 && mknod /null c 1 3 && echo made; echo x > /null && echo null-opened; ' +
      'head -c1 /mem >/dev/null && echo mem-opened';
    const r = await run({ args: ['sh', '-c', script] }, root);
    expect(r.out).toBe('made\nnull-opened\n');
    expect(r.err).toBe('head: /mem: Operation not permitted\n');
  });

  it('masks /proc/keys and makes /proc/sys read-only', async () => {
    const script = 'stat -c %t:%T /proc/keys; echo 1 > /proc/sys/kernel/ns_last_pid && echo wrote';
    const r = await run({ args: ['sh', '-c', script] });
    expect(r.out).toBe('1:3\n'); // /dev/null bound over it
    expect(r.err).toMatch(/Read-only file system/);
  });
  it('adds bind and tmpfs mounts, read-only or not, and takes away the targets it made', async () => {
    const root = copy();
    const host = mkdtempSync(join(tmpdir(), 'tsbuild-mounts-'));
    made.push(host);
    mkdirSync(join(host, 'dir'));
    writeFileSync(join(host, 'dir', 'in'), 'from the host\n');
    writeFileSync(join(host, 'file'), 'a file\n');
    const script = [
      'cat /srv/ro/in /etc/one.conf',
      'echo x > /srv/ro/new || echo ro-refused',
      'echo y > /srv/rw/new && echo rw-written',
      'echo z > /scratch/t/z && df -k /scratch/t | tail -1 | awk "{print \\$2}"',
    ].join('; ');
    const r = await run(
      {
        args: ['sh', '-c', script],
        mounts: [
          { type: 'bind', source: join(host, 'dir'), target: '/srv/ro', options: ['ro'] },
          { type: 'bind', source: join(host, 'dir'), target: '/srv/rw', options: ['rw'] },
          { type: 'bind', source: join(host, 'file'), target: '/etc/one.conf', options: ['ro'] },
          { type: 'tmpfs', source: '', target: '/scratch/t', options: ['size=1m'] },
        ],
      },
      root,
    );
    expect(r.out).toBe('from the host\na file\nro-refused\nrw-written\n1024\n');
    expect(readFileSync(join(host, 'dir', 'new'), 'utf8')).toBe('y\n');
    for (const p of ['srv', 'scratch', 'etc/one.conf'])
      expect(existsSync(join(root, p))).toBe(false);
  });

  it('mounts in its own /dev, leaving nothing of it in the rootfs', async () => {
    const root = copy();
    const host = mkdtempSync(join(tmpdir(), 'tsbuild-mounts-'));
    made.push(host);
    writeFileSync(join(host, 'script'), '#!/bin/sh\necho from a pipe\n', { mode: 0o755 });
    const r = await run(
      {
        args: ['sh', '-c', '/dev/pipes/script'],
        mounts: [
          {
            type: 'bind',
            source: join(host, 'script'),
            target: '/dev/pipes/script',
            options: ['ro'],
          },
        ],
      },
      root,
    );
    expect(r).toEqual({ code: 0, out: 'from a pipe\n', err: '' });
    expect(readdirSync(join(root, 'dev'))).toEqual([]);
  });

  it('refuses a mount in /proc or /sys', async () => {
    const e = await rejected(
      run({
        args: ['true'],
        mounts: [{ type: 'tmpfs', source: '', target: '/proc/sys/x', options: [] }],
      }),
    );
    expect(e.code).toBe('UNSAFE_MOUNT_TARGET');
    expect(e.message).toBe('cannot mount on /proc/sys/x: it is in /proc');
  });
});
