/**
 * Detached containers under every runtime: `run -d` (the seeds' `run -d
 * --name=ctr` then `logs ctr`), `logs` (-f, --tail, -t), `stop`, `kill`,
 * `start`, `ps` while they run and after, a supervisor killed outright, and
 * `run -d --rm` leaving nothing. Each `run -d` starts a real supervisor
 * process (the CLI from the sources, test/helpers/cli.ts SUPERVISOR).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { containerLogs } from '../../src/api/container-logs.js';
import type { ContainerRecord } from '../../src/store/containers.js';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';
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
  const stop = contextOf({ Dockerfile: 'FROM busybox\nSTOPSIGNAL SIGUSR1\n' });
  await buildIn(root, { context: stop, tags: ['stops-on-usr1'], network: 'none' });
}, 120_000);

/** Poll until `check` holds (the test's timeout bounds it). */
async function until(check: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 50));
}

function record(id: string): ContainerRecord {
  return JSON.parse(
    readFileSync(join(root, 'containers', id, 'config.json'), 'utf8'),
  ) as ContainerRecord;
}

/** Paths under the store that are mount points in this mount namespace. */
function storeMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(root));
}

/** Whether the process `pid` with start time `start` still runs (a zombie does not). */
function lives(p: { pid: number; start: string } | undefined): boolean {
  if (!p) return false;
  try {
    const f = readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return f[19] === p.start && f[0] !== 'Z';
  } catch {
    return false;
  }
}

const LOOP = 'while true; do sleep 0.1; done';

describe.each(['runc', 'crun', 'builtin'] as const)('detached containers under %s', (runtime) => {
  const ts = (verb: string, args: string[]) => cli([verb, '--root', root, ...args]);
  const runD = (args: string[]) =>
    ts('run', ['-d', '--runtime', runtime, '--network', 'none', ...args]);
  /** The container's STATUS column in `ps -a`. */
  const status = async (name: string) =>
    (await ts('ps', ['-a', '--format', '{{.Names}}|{{.Status}}'])).stdout
      .split('\n')
      .find((l) => l.startsWith(`${name}|`))
      ?.slice(name.length + 1);
  const logged = async (name: string, text: string) =>
    (await ts('logs', [name])).stdout.includes(text);

  it("the seeds' sequence: run -d --name=ctr base-plus-du prints the ID, logs ctr its output, rm ctr", async () => {
    const name = `ctr-${runtime}`;
    const r = await runD([`--name=${name}`, 'localhost:5000/base-plus-du']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect((await ts('logs', ['-f', name])).code).toBe(0); // until it has ended
    const logs = await ts('logs', [name]);
    expect(logs).toMatchObject({ code: 0, stderr: '' });
    const foreground = await ts('run', [
      '--rm',
      '--runtime',
      runtime,
      'localhost:5000/base-plus-du',
    ]);
    expect(logs.stdout).toMatch(/^\d+\t\/bin\n$/);
    expect(logs.stdout).toBe(foreground.stdout);
    expect(await status(name)).toMatch(/^Exited \(0\) /);
    expect(await ts('rm', [name])).toMatchObject({ code: 0, stdout: `${name}\n` });
    expect(existsSync(join(root, 'containers', r.stdout.trim()))).toBe(false);
  });

  it('logs -f follows the output until the container ends; stdout and stderr apart; --tail; -t', async () => {
    const name = `follow-${runtime}`;
    const dir = tempRoot('tsbuild-detached-');
    const script = `echo one; echo two >&2; while [ ! -e /w/go ]; do sleep 0.1; done; echo three; exit 3`;
    const r = await runD(['--name', name, '-v', `${dir}:/w`, 'busybox', 'sh', '-c', script]);
    expect(r.code).toBe(0);
    expect(await status(name)).toMatch(/^Up /);
    const seen: string[] = [];
    for await (const e of await containerLogs({ root, container: name, follow: true })) {
      seen.push(`${e.stream}:${e.log}`);
      // The container waits for this file: the rest comes only while following.
      if (seen.length === 2) writeFileSync(join(dir, 'go'), '');
    }
    // One and two come down two pipes: their order in the log is not the order written.
    expect([...seen.slice(0, 2)].sort()).toEqual(['stderr:two\n', 'stdout:one\n']);
    expect(seen.slice(2)).toEqual(['stdout:three\n']);
    expect(await status(name)).toMatch(/^Exited \(3\) /);
    expect(await ts('logs', ['-f', name])).toMatchObject({
      code: 0,
      stdout: 'one\nthree\n',
      stderr: 'two\n',
    });
    expect(await ts('logs', ['--tail', '1', name])).toMatchObject({
      stdout: 'three\n',
      stderr: '',
    });
    // The last two entries in the log's order, which for one and two is the order
    // they arrived in (seen), not the order written.
    const lastTwo = seen.slice(-2);
    const of = (stream: string) =>
      lastTwo
        .filter((l) => l.startsWith(`${stream}:`))
        .map((l) => l.slice(stream.length + 1))
        .join('');
    expect(await ts('logs', ['-n', '2', name])).toMatchObject({
      stdout: of('stdout'),
      stderr: of('stderr'),
    });
    expect(await ts('logs', ['--tail', '0', name])).toMatchObject({ stdout: '', stderr: '' });
    expect(await ts('logs', ['--tail', 'all', name])).toMatchObject({ stdout: 'one\nthree\n' });
    const stamped = (await ts('logs', ['-t', name])).stdout.split('\n');
    expect(stamped[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z one$/);
    expect(stamped[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z three$/);
    expect(await ts('rm', [name])).toMatchObject({ code: 0 });
  });

  it('stop: a process that traps TERM exits with its own status, one that ignores it is killed after -t', async () => {
    const trap = `trap-${runtime}`;
    expect((await runD(['--name', trap, 'busybox', 'sh', '-c', `trap "echo term; exit 7" TERM; echo ready; ${LOOP}`])).code).toBe(0); // prettier-ignore
    await until(() => logged(trap, 'ready'));
    expect(await status(trap)).toMatch(/^Up (Less than a second|\d+ seconds?)$/);
    expect(await ts('stop', [trap])).toMatchObject({ code: 0, stdout: `${trap}\n`, stderr: '' });
    expect(await status(trap)).toMatch(/^Exited \(7\) (Less than a second|\d+ seconds?) ago$/);
    expect((await ts('logs', [trap])).stdout).toBe('ready\nterm\n');
    // Stopping a stopped container is no error, as Docker.
    expect(await ts('stop', [trap])).toMatchObject({ code: 0, stdout: `${trap}\n` });

    const deaf = `deaf-${runtime}`;
    expect((await runD(['--name', deaf, 'busybox', 'sh', '-c', `trap "" TERM; echo ready; ${LOOP}`])).code).toBe(0); // prettier-ignore
    await until(() => logged(deaf, 'ready'));
    expect(await ts('stop', ['-t', '1', deaf])).toMatchObject({ code: 0, stdout: `${deaf}\n` });
    expect(await status(deaf)).toMatch(new RegExp(`^Exited \\(137\\) `));
    expect(storeMounts()).toEqual([]);

    // The image's STOPSIGNAL is what stop sends first.
    const usr1 = `usr1-${runtime}`;
    expect((await runD(['--name', usr1, 'stops-on-usr1', 'sh', '-c', `trap "exit 10" USR1; echo ready; ${LOOP}`])).code).toBe(0); // prettier-ignore
    await until(() => logged(usr1, 'ready'));
    expect((await ts('stop', [usr1])).code).toBe(0);
    expect(await status(usr1)).toMatch(/^Exited \(10\) /);
    expect(await ts('rm', [trap, deaf, usr1])).toMatchObject({ code: 0 });
  });

  it('kill -s sends a signal; kill (KILL) ends it; a stopped one is "not running"', async () => {
    const name = `kill-${runtime}`;
    const r = await runD(['--name', name, 'busybox', 'sh', '-c', `trap "echo usr1" USR1; echo ready; ${LOOP}`]); // prettier-ignore
    const id = r.stdout.trim();
    await until(() => logged(name, 'ready'));
    expect(await ts('kill', ['-s', 'USR1', name])).toMatchObject({ code: 0, stdout: `${name}\n` });
    await until(() => logged(name, 'usr1'));
    expect(await status(name)).toMatch(/^Up /);
    expect(await ts('kill', ['-s', 'NOPE', name])).toMatchObject({
      code: 1,
      stderr: 'Error response from daemon: Invalid signal: NOPE\n',
    });
    expect(await ts('rm', [name])).toMatchObject({
      code: 1,
      stderr: `Error response from daemon: You cannot remove a running container ${id}. Stop the container before attempting removal or force remove\n`,
    });
    expect(await ts('kill', [name])).toMatchObject({ code: 0, stdout: `${name}\n` });
    expect(await status(name)).toMatch(new RegExp(`^Exited \\(137\\) `));
    expect(await ts('logs', [name])).toMatchObject({ stdout: 'ready\nusr1\n', stderr: '' });
    expect(await ts('kill', [name])).toMatchObject({
      code: 1,
      stderr: `Error response from daemon: Cannot kill container: ${name}: Container ${id} is not running\n`,
    });
    expect(await ts('rm', [name])).toMatchObject({ code: 0 });
  });

  it('a supervisor killed with SIGKILL leaves its container exited and nothing mounted', async () => {
    const r = await runD(['busybox', 'sleep', '1000']);
    const id = r.stdout.trim();
    const { supervisor, process: proc } = record(id).state;
    expect(lives(supervisor) && lives(proc)).toBe(true);
    expect(storeMounts().length).toBeGreaterThan(0);
    process.kill(supervisor!.pid, 'SIGKILL');
    // kill(2) returns before the process is gone: wait for the kernel to end it.
    await until(() => !lives(supervisor));
    const ps = await ts('ps', ['-a', '--no-trunc', '--format', '{{.ID}} {{.Status}}']);
    expect(ps.stdout).toMatch(new RegExp(`^${id} Exited \\(255\\) `, 'm'));
    expect(storeMounts()).toEqual([]);
    // The settle sent it SIGKILL; kill(2) returns before it is gone.
    await until(() => !lives(proc));
    expect(record(id).state).toMatchObject({ status: 'exited', exitCode: 255 });
    expect(await ts('rm', [id])).toMatchObject({ code: 0 });
  });

  it('run -d --rm leaves nothing once the container ends; a command not found is 127, as docker run -d', async () => {
    const r = await runD(['--rm', 'busybox', 'sh', '-c', 'echo bye']);
    expect(r.code).toBe(0);
    const dir = join(root, 'containers', r.stdout.trim());
    await until(() => !existsSync(dir));
    const missing = await runD(['--rm', 'busybox', 'no-such-command']);
    expect(missing.code).toBe(127);
    expect(missing.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(missing.stderr).toMatch(/^error: .*no-such-command.*\n$/);
    expect(existsSync(join(root, 'containers', missing.stdout.trim()))).toBe(false);
    expect((await runD(['--rm', 'busybox', '/etc/passwd'])).code).toBe(126);
    expect(storeMounts()).toEqual([]);
    expect((await ts('ps', ['-a', '-q'])).stdout).toBe('');
  });

  it('start runs a stopped container again, detached or with -a; the log grows', async () => {
    const name = `again-${runtime}`;
    expect((await runD(['--name', name, 'busybox', 'sh', '-c', 'echo run >> /kept; cat /kept; exit 5'])).code).toBe(0); // prettier-ignore
    await ts('logs', ['-f', name]);
    expect(await ts('start', [name])).toMatchObject({ code: 0, stdout: `${name}\n` });
    await ts('logs', ['-f', name]);
    expect(await status(name)).toMatch(/^Exited \(5\) /);
    expect(await ts('start', ['-a', name])).toMatchObject({
      code: 5,
      stdout: 'run\nrun\nrun\n',
    });
    expect((await ts('logs', [name])).stdout).toBe('run\nrun\nrun\nrun\nrun\nrun\n');
    expect(await ts('start', [name, 'nosuch'])).toMatchObject({
      code: 1,
      stdout: `${name}\n`,
      stderr:
        'Error response from daemon: No such container: nosuch\nError: failed to start containers: nosuch\n',
    });
    await ts('logs', ['-f', name]);
    expect(await ts('rm', [name])).toMatchObject({ code: 0 });
  });

  it('-dit keeps a shell running on an open, empty stdin until it is stopped', async () => {
    const name = `shell-${runtime}`;
    expect((await runD(['-dit', '--name', name, 'busybox', 'sh'])).code).toBe(0);
    expect(await status(name)).toMatch(/^Up /);
    expect(await ts('stop', ['-t', '1', name])).toMatchObject({ code: 0, stdout: `${name}\n` });
    expect(await status(name)).toMatch(new RegExp(`^Exited \\(137\\) `));
    expect(await ts('rm', [name])).toMatchObject({ code: 0 });
    expect(storeMounts()).toEqual([]);
  });
});
