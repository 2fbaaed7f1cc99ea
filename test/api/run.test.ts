/**
 * `tsbuild run` under every runtime: exit statuses, binds, read-only roots,
 * the default hostname, stdin, volumes, tmpfs, --init, --rm leaving nothing,
 * a killed process leaving nothing mounted, ps/rm/inspect, name conflicts,
 * signals forwarded, and the seeds' du lesson.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/api/run.js';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { buildIn, contextOf, storeWithBusybox } from '../build/harness.js';

let root: string;

beforeAll(async () => {
  root = await storeWithBusybox();
  // The seeds' base-plus-du (000_…: "COPY Dockerfile /usr/share", then ENTRYPOINT/CMD).
  const du = contextOf({
    Dockerfile:
      'FROM busybox\nCOPY Dockerfile /usr/share/\nENTRYPOINT ["/bin/du","-ks"]\nCMD ["/bin"]\n',
  });
  await buildIn(root, { context: du, tags: ['localhost:5000/base-plus-du'], network: 'none' });
}, 120_000);

/** The containers' dirs in the store. */
function containerDirs(): string[] {
  const dir = join(root, 'containers');
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** Paths under the store that are mount points in this mount namespace. */
function storeMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(root));
}

describe.each(['runc', 'crun', 'builtin'] as const)('tsbuild run under %s', (runtime) => {
  const tsrun = (args: string[], opts: Parameters<typeof cli>[1] = {}) =>
    cli(['run', '--root', root, '--runtime', runtime, '--network', 'none', ...args], opts);

  it('exits with the process status: 0, 3, 126 (not executable), 127 (not found)', async () => {
    expect((await tsrun(['--rm', 'busybox', 'true'])).code).toBe(0);
    expect(
      await tsrun(['--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']),
    ).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect((await tsrun(['--rm', 'busybox', '/etc/passwd'])).code).toBe(126);
    const missing = await tsrun(['--rm', 'busybox', 'no-such-command']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('no-such-command');
    expect(storeMounts()).toEqual([]);
    expect(containerDirs()).toEqual([]);
  });

  it('a command that cannot start leaves the container Created, with exit code 127 and the error', async () => {
    const name = `nocmd-${runtime}`;
    expect((await tsrun(['--name', name, 'busybox', 'no-such-command'])).code).toBe(127);
    const ps = await cli(['ps', '-a', '--root', root, '--format', '{{.Names}}: {{.Status}}']);
    expect(ps.stdout).toBe(`${name}: Created\n`);
    const [info] = JSON.parse(
      (await cli(['container', 'inspect', '--root', root, name])).stdout,
    ) as {
      State: { Status: string; ExitCode: number; Error: string; StartedAt: string };
    }[];
    expect(info!.State).toMatchObject({
      Status: 'created',
      ExitCode: 127,
      StartedAt: '0001-01-01T00:00:00Z',
    });
    expect(info!.State.Error).toContain('no-such-command');
    expect((await cli(['rm', '--root', root, name])).code).toBe(0);
  });

  it("runs the seeds' du image with and without /usr, and with -v /usr:/mnt", async () => {
    const image = 'localhost:5000/base-plus-du';
    expect((await tsrun(['--rm', image])).stdout).toMatch(/^\d+\t\/bin\n$/);
    expect((await tsrun(['--rm', '--name=ctr2', image, '/usr'])).stdout).toMatch(/^\d+\t\/usr\n$/);
    const host = execFileSync('/bin/busybox', ['du', '-ks', '/usr'], { encoding: 'utf8' });
    const mnt = await tsrun(['-v', '/usr:/mnt', '--rm', '--name=ctr3', image, '/mnt']);
    expect(mnt.stdout).toBe(host.replace('/usr', '/mnt'));
    expect(containerDirs()).toEqual([]);
  });

  it('-e, -w and -u reach the process', async () => {
    const r = await tsrun([
      '--rm',
      '-e',
      'A=1',
      '-w',
      '/work/dir',
      '-u',
      'app',
      'busybox',
      'sh',
      '-c',
      'echo $A; pwd; id -u; id -g',
    ]);
    expect(r.stdout).toBe('1\n/work/dir\n1000\n1000\n');
  });

  it('a rw bind writes through to the host; a ro bind refuses', async () => {
    const dir = tempRoot('tsbuild-run-bind-');
    writeFileSync(join(dir, 'in'), 'from host\n');
    const rw = await tsrun([
      '--rm',
      '-v',
      `${dir}:/data`,
      'busybox',
      'sh',
      '-c',
      'cat /data/in; echo from container > /data/out',
    ]);
    expect(rw).toMatchObject({ code: 0, stdout: 'from host\n' });
    expect(readFileSync(join(dir, 'out'), 'utf8')).toBe('from container\n');
    const ro = await tsrun([
      '--rm',
      '-v',
      `${dir}:/data:ro`,
      'busybox',
      'sh',
      '-c',
      'echo x > /data/ro',
    ]);
    expect(ro.code).toBe(1);
    expect(ro.stderr).toContain('Read-only file system');
    expect(existsSync(join(dir, 'ro'))).toBe(false);
    const mount = await tsrun([
      '--rm',
      '--mount',
      `type=bind,src=${dir},dst=/m,readonly`,
      'busybox',
      'cat',
      '/m/in',
    ]);
    expect(mount.stdout).toBe('from host\n');
  });

  it('--read-only refuses writes to the root, not to a bind or a tmpfs', async () => {
    const dir = tempRoot('tsbuild-run-ro-');
    const r = await tsrun([
      '--rm',
      '--read-only',
      '-v',
      `${dir}:/data`,
      '--mount',
      'type=tmpfs,dst=/scratch',
      'busybox',
      'sh',
      '-c',
      'touch /x 2>&1; echo ok > /data/f && echo ok > /scratch/f && cat /scratch/f',
    ]);
    expect(r.stdout).toBe('touch: /x: Read-only file system\nok\n');
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('ok\n');
  });

  it('the hostname is the short container ID unless --hostname; HOSTNAME says the same', async () => {
    const name = `hn-${runtime}`;
    const r = await tsrun(['--name', name, 'busybox', 'sh', '-c', 'hostname; echo $HOSTNAME']);
    const [inspected] = JSON.parse(
      (await cli(['container', 'inspect', '--root', root, name])).stdout,
    ) as { Id: string }[];
    const short = inspected!.Id.slice(0, 12);
    expect(r.stdout).toBe(`${short}\n${short}\n`);
    expect((await cli(['rm', '--root', root, name])).stdout).toBe(`${name}\n`);
    expect((await tsrun(['--rm', '--hostname', 'box', 'busybox', 'hostname'])).stdout).toBe(
      'box\n',
    );
  });

  it("--network default is a namespace of its own with more than loopback; host shares the host's name", async () => {
    const def = await tsrun(['--rm', '--network', 'default', 'busybox', 'ls', '/sys/class/net']);
    expect(def.code).toBe(0);
    expect(def.stdout.split('\n').filter((n) => n !== '' && n !== 'lo').length).toBeGreaterThan(0);
    const none = await tsrun(['--rm', 'busybox', 'ls', '/sys/class/net']);
    expect(none.stdout).toBe('lo\n');
    const host = await tsrun(['--rm', '--network', 'host', 'busybox', 'hostname']);
    expect(host.stdout).toBe(`${hostname()}\n`);
  });

  it('-i forwards stdin; without it the process reads nothing', async () => {
    expect((await tsrun(['--rm', '-i', 'busybox', 'cat'], { stdin: 'hello\n' })).stdout).toBe(
      'hello\n',
    );
    expect((await tsrun(['--rm', 'busybox', 'cat'], { stdin: 'hello\n' })).stdout).toBe('');
  });

  it('a named volume is filled from the image once and outlives the container', async () => {
    const vol = `vol-${runtime}`;
    const first = await tsrun([
      '--rm',
      '-v',
      `${vol}:/etc`,
      'busybox',
      'sh',
      '-c',
      'cat /etc/group | head -1; echo kept > /etc/kept',
    ]);
    expect(first.stdout).toBe('root:x:0:\n');
    const second = await tsrun([
      '--rm',
      '--mount',
      `type=volume,src=${vol},dst=/v`,
      'busybox',
      'cat',
      '/v/kept',
    ]);
    expect(second.stdout).toBe('kept\n');
    expect(readFileSync(join(root, 'volumes', vol, '_data', 'kept'), 'utf8')).toBe('kept\n');
  });

  it("--init runs Docker's init as pid 1 with the command under it", async () => {
    const r = await tsrun([
      '--rm',
      '--init',
      'busybox',
      'sh',
      '-c',
      "tr '\\0' ' ' < /proc/1/cmdline; echo; echo $$",
    ]);
    expect(r.stdout).toMatch(/^\/sbin\/docker-init -- sh -c .*\n(?!1\n)\d+\n$/);
  });

  it('--rm leaves no container dir and nothing mounted', async () => {
    const r = await tsrun([
      '--rm',
      '--name',
      `gone-${runtime}`,
      'busybox',
      'sh',
      '-c',
      'echo data > /newfile',
    ]);
    expect(r.code).toBe(0);
    expect(containerDirs()).toEqual([]);
    expect(storeMounts()).toEqual([]);
    expect((await cli(['ps', '-a', '-q', '--root', root])).stdout).toBe('');
  });

  it('a container process killed with SIGKILL leaves nothing mounted, and shows as exited', async () => {
    const name = `killed-${runtime}`;
    const c = run({
      root,
      env: {},
      image: 'busybox',
      name,
      runtime,
      network: 'none',
      command: ['sh', '-c', 'echo ready; sleep 100'],
    });
    await new Promise<void>((resolve) => c.stdout.once('data', () => resolve()));
    // Its pid as inspect shows it, once recorded (however many looks that takes here).
    let pid = 0;
    await until(async () => {
      const [info] = JSON.parse(
        (await cli(['container', 'inspect', '--root', root, name])).stdout,
      ) as { State: { Pid: number } }[];
      pid = info!.State.Pid;
      return pid > 0;
    });
    process.kill(pid, 'SIGKILL');
    // 137 under the built-in sandbox too, although util-linux's `unshare --fork` exits 1
    // (runtime/run/unshare-stderr.ts); its message is not the container's output.
    const status = 137;
    const err: Buffer[] = [];
    c.stderr.on('data', (b: Buffer) => err.push(b));
    expect((await c.result).exitCode).toBe(status);
    expect(Buffer.concat(err).toString()).toBe('');
    expect(storeMounts()).toEqual([]);
    const ps = await cli(['ps', '-a', '--root', root, '--format', '{{.Names}} {{.Status}}']);
    expect(ps.stdout).toMatch(
      new RegExp(`^${name} Exited \\(${status}\\) (Less than a second|\\d+ seconds?) ago\\n$`),
    );
    expect((await cli(['rm', '--root', root, name])).code).toBe(0);
  });

  it('ps, container inspect and rm show and remove containers as docker does', async () => {
    const name = `web-${runtime}`;
    expect((await tsrun(['--name', name, 'busybox', 'sh', '-c', 'exit 3'])).code).toBe(3);
    const ps = await cli(['ps', '-a', '--root', root]);
    const [header, row, ...rest] = ps.stdout.split('\n');
    expect(header).toMatch(/^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$/);
    expect(row).toMatch(
      new RegExp(
        `^[0-9a-f]{12} +busybox +"sh -c 'exit 3'" +(Less than a second|\\d+ seconds?) ago +Exited \\(3\\) .* ago +${name}$`,
      ),
    );
    expect(rest).toEqual(['']);
    expect((await cli(['ps', '--root', root])).stdout.split('\n').length).toBe(2);
    const [info] = JSON.parse(
      (await cli(['container', 'inspect', '--root', root, name])).stdout,
    ) as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(info).toMatchObject({
      Path: 'sh',
      Args: ['-c', 'exit 3'],
      Name: `/${name}`,
      State: { Status: 'exited', Running: false, ExitCode: 3, Pid: 0 },
      Config: {
        Cmd: ['sh', '-c', 'exit 3'],
        Entrypoint: null,
        Image: 'busybox',
        WorkingDir: '',
        User: '',
      },
      HostConfig: { NetworkMode: 'none', AutoRemove: false, ReadonlyRootfs: false, Binds: null },
    });
    expect(info!.Config.Hostname).toBe(info!.Id.slice(0, 12));
    expect(await tsrun(['--name', name, 'busybox', 'true'])).toMatchObject({
      code: 125,
      stderr: `error: Conflict. The container name "/${name}" is already in use by container "${info!.Id}". You have to remove (or rename) that container to be able to reuse that name.\n`,
    });
    expect((await cli(['rm', '--root', root, info!.Id.slice(0, 10)])).stdout).toBe(
      `${info!.Id.slice(0, 10)}\n`,
    );
    expect(await cli(['rm', '--root', root, name])).toMatchObject({
      code: 1,
      stderr: `Error: No such container: ${name}\n`,
    });
    expect((await cli(['ps', '-a', '-q', '--root', root])).stdout).toBe('');
  });

  it('-t gives the process a terminal: stderr on stdout, TERM=xterm, CRLF line ends', async () => {
    const r = await tsrun(['--rm', '-t', 'busybox', 'sh', '-c', 'tty; echo err >&2; echo $TERM']);
    expect(r).toMatchObject({ code: 0, stdout: '/dev/pts/0\r\nerr\r\nxterm\r\n', stderr: '' });
  });

  it('-it at a real terminal: input typed reaches the process, its status is ours', async () => {
    const vite = join(process.cwd(), 'node_modules', '.bin', 'vite-node');
    const entry = join(import.meta.dirname, 'run-child.ts');
    const script = 'read x; echo "got $x"; exit 3';
    const steps = [
      ['send', 'hello\r'],
      ['expect', 'got hello'],
    ];
    const driver = join(process.cwd(), 'test', 'runtime', 'run', 'pty-driver.py');
    const argv = [
      vite,
      entry,
      '--',
      'run',
      '--root',
      root,
      '--runtime',
      runtime,
      '--network',
      'none',
      '--rm',
      '-it',
      'busybox',
      'sh',
      '-c',
      script,
    ];
    const child = spawn(
      'python3',
      [driver, JSON.stringify({ rows: 30, cols: 100, steps }), '--', ...argv],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise((resolve) => child.on('close', resolve));
    const session = JSON.parse(out) as { code: number; output: string; failed: unknown };
    expect(session.failed, session.output).toBeNull();
    expect(session.code).toBe(3);
    expect(containerDirs()).toEqual([]);
  }, 60_000);

  it('forwards SIGTERM sent to tsbuild run to the container process', async () => {
    const vite = join(process.cwd(), 'node_modules', '.bin', 'vite-node');
    const entry = join(import.meta.dirname, 'run-child.ts');
    const script = 'trap "echo got TERM; exit 7" TERM; echo ready; while true; do sleep 0.1; done';
    const child = spawn(
      vite,
      [
        entry,
        '--',
        'run',
        '--root',
        root,
        '--runtime',
        runtime,
        '--network',
        'none',
        '--rm',
        'busybox',
        'sh',
        '-c',
        script,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('ready')) resolve();
      }),
    );
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, out }, err).toEqual({ code: 7, out: 'ready\ngot TERM\n' });
    expect(storeMounts()).toEqual([]);
  }, 60_000);
});

describe('tsbuild run -it', () => {
  it('refuses an input that is not a terminal, as docker does', async () => {
    const r = await cli(['run', '--root', root, '-it', 'busybox', 'sh'], { stdin: 'x' });
    expect(r).toMatchObject({ code: 1, stderr: 'the input device is not a TTY\n' });
  });
});

describe('tsbuild run refuses bad input with exit 125', () => {
  it.each([
    [['--entrypoint', '', 'busybox'], 'error: No command specified\n'],
    [
      ['localhost:1/no-such-image:1'],
      "Unable to find image 'localhost:1/no-such-image:1' locally\nerror: ",
    ],
    [['--bogus', 'busybox'], "tsbuild: unknown flag: --bogus\nSee 'tsbuild run --help'.\n"],
    [
      ['-v', 'rel/dir:/x', 'busybox', 'true'],
      'error: create rel/dir: "rel/dir" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path\n',
    ],
  ])('%j', async (args, stderr) => {
    const r = await cli(['run', '--root', root, ...args]);
    expect(r.code).toBe(125);
    expect(r.stderr.slice(0, stderr.length)).toBe(stderr);
    expect(containerDirs()).toEqual([]);
  });
});
