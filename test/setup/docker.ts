/**
 * Vitest globalSetup: one private Docker 20.10 engine for the whole run,
 * independent of any dockerd/containerd already on the machine. Tests reach it
 * through test/helpers/docker.ts.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  openSync,
  readFileSync,
  statSync,
} from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { DOCKER_CLI } from '../helpers/docker-cli.js';

const run = promisify(execFile);
/** Literal /tmp, not os.tmpdir(): unix socket paths must stay under 108 bytes. */
const PREFIX = '/tmp/tsbuild-dockerd-';
/** dockerd finds containerd, runc and docker-init on PATH; they live in sbin too. */
const PATH = `${process.env.PATH ?? ''}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;

/**
 * dockerd 20.10 uses the machine's containerd instead of starting its own
 * whenever /run/containerd/containerd.sock exists (it only lstats that fixed
 * path; --exec-root does not change it). Inside dockerd's mount namespace a
 * tmpfs over /run/containerd hides it, and keeps our shims' sockets
 * (/run/containerd/s/) private too. The host keeps at most an empty dir.
 */
const HIDE_CONTAINERD =
  'mkdir -p /run/containerd && mount -t tmpfs -o mode=0711 tsbuild /run/containerd && exec "$@"';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dockerd = PATH.split(':')
    .map((d) => join(d, 'dockerd'))
    .find(executable);
  if (!dockerd || !executable(DOCKER_CLI)) {
    throw new Error('dockerd not found: install docker.io (see .ci/run)');
  }
  await sweepStale();
  const dir = await mkdtemp(PREFIX);
  await writeFile(join(dir, 'owner'), String(process.pid)); // lets a later run sweep us
  // Our own config (not /etc/docker/daemon.json); the key path keeps it from
  // writing /etc/docker/key.json (20.10 has no command-line flag for it).
  const config = { 'deprecated-key-path': join(dir, 'key.json') };
  await writeFile(join(dir, 'daemon.json'), JSON.stringify(config));
  await mkdir(join(dir, 'cli'));
  const sock = join(dir, 'sock');
  const log = join(dir, 'log');
  const started = Date.now();
  const args = [
    ...['-H', `unix://${sock}`],
    // No NAT/bridge: tests run with --network=none; leave the host's firewall alone.
    ...['--iptables=false', '--ip-masq=false', '--bridge=none'],
    // Paths of its own, so a developer's dockerd is untouched and ours starts
    // its own containerd under <exec-root>/containerd (see HIDE_CONTAINERD).
    ...['--data-root', join(dir, 'root'), '--exec-root', join(dir, 'exec')],
    ...['--pidfile', join(dir, 'pid'), '--config-file', join(dir, 'daemon.json')],
  ];
  const fd = openSync(log, 'w');
  // setpriv --pdeathsig: dockerd gets SIGTERM if vitest dies without teardown.
  // unshare --mount: dockerd's mounts (overlays, its data-root bind) stay in
  // a namespace of its own that vanishes with it; slave propagation still
  // shows it host mounts made later (bind-mount sources of tests).
  const child = spawn(
    'setpriv',
    [
      ...['--pdeathsig', 'SIGTERM', '--', 'unshare', '--mount', '--propagation', 'slave', '--'],
      ...['sh', '-c', HIDE_CONTAINERD, 'sh', dockerd, ...args],
    ],
    { stdio: ['ignore', fd, fd], env: { ...process.env, PATH } },
  );
  closeSync(fd);
  let exited = false;
  child.once('exit', () => (exited = true));
  const stop = () => teardown(child, dir, sock);
  try {
    await waitReady(sock, () => exited, log);
    const containerd = join(dir, 'exec', 'containerd', 'containerd.sock');
    if (!existsSync(containerd))
      throw new Error(`dockerd did not start its own containerd at ${containerd}`);
  } catch (e) {
    await stop();
    throw e;
  }
  if (process.env.TSBUILD_DOCKERD_TIMING) console.log(`dockerd up in ${Date.now() - started} ms`);
  project.provide('dockerHost', `unix://${sock}`);
  project.provide('dockerConfig', join(dir, 'cli'));
  return stop;
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

async function waitReady(sock: string, exited: () => boolean, log: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await run(DOCKER_CLI, ['-H', `unix://${sock}`, 'info'], { timeout: 10_000 });
      return;
    } catch {
      if (exited() || Date.now() > deadline) {
        const tail = readFileSync(log, 'utf8').split('\n').slice(-30).join('\n');
        throw new Error(
          `dockerd ${exited() ? 'exited' : 'did not answer within 60 s'}; tail of ${log}:\n${tail}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function teardown(child: ChildProcess, dir: string, sock: string): Promise<void> {
  const started = Date.now();
  // dockerd's shutdown gives each running container its stop timeout (10 s,
  // whatever --shutdown-timeout says) and sh as pid 1 ignores SIGTERM: kill
  // leftovers now. Harmless when dockerd never came up.
  const cli = (...a: string[]) =>
    run(DOCKER_CLI, ['-H', `unix://${sock}`, ...a], { timeout: 20_000 });
  const ids = await cli('ps', '-q').then(
    (r) => r.stdout.split('\n').filter(Boolean),
    () => [],
  );
  if (ids.length) await cli('rm', '-f', ...ids).catch(() => {});
  const gone = new Promise<void>((r) =>
    child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r()),
  );
  const within = (ms: number) =>
    Promise.race([
      gone.then(() => true),
      new Promise<boolean>((r) => setTimeout(r, ms, false).unref()),
    ]);
  child.kill('SIGTERM');
  if (!(await within(20_000))) {
    child.kill('SIGKILL');
    await within(5_000);
    // Its containerd outlives a killed dockerd.
    signalPidFile(join(dir, 'exec', 'containerd', 'containerd.pid'), 'SIGKILL');
  }
  await removeDir(dir);
  if (process.env.TSBUILD_DOCKERD_TIMING) console.log(`dockerd down in ${Date.now() - started} ms`);
}

/** Sends sig to the pid in file; false when the file or the process is gone. */
function signalPidFile(file: string, sig: NodeJS.Signals | 0): boolean {
  try {
    const pid = Number(readFileSync(file, 'utf8'));
    // kill(0) would signal our own process group.
    return pid > 0 && process.kill(pid, sig);
  } catch {
    return false;
  }
}

/**
 * Deletes dir after unmounting anything under it. dockerd's own mounts stay in
 * its namespace, so this is a backstop (e.g. a test's bind mount left behind).
 */
async function removeDir(dir: string): Promise<void> {
  try {
    const { stdout } = await run('findmnt', ['-rn', '-o', 'TARGET']);
    const targets = stdout.split('\n').filter((t) => t === dir || t.startsWith(`${dir}/`));
    for (const t of targets.sort((a, b) => b.length - a.length)) {
      await run('umount', ['-R', t]).catch(() => run('umount', ['-R', '-l', t]));
    }
    await rm(dir, { recursive: true, force: true });
  } catch (e) {
    // A leftover dir must not fail a green run; the next run sweeps it.
    console.warn(`could not remove ${dir}: ${(e as Error).message}`);
  }
}

/** Removes dirs of earlier runs whose vitest died (owner pid gone) and whose dockerd has stopped. */
async function sweepStale(): Promise<void> {
  for (const name of await readdir('/tmp')) {
    const dir = `/tmp/${name}`;
    if (!dir.startsWith(PREFIX)) continue;
    const alive = (file: string) => signalPidFile(join(dir, file), 0);
    try {
      // No owner file yet: a run being set up right now, unless the dir is old.
      const owned = existsSync(join(dir, 'owner'));
      if (owned ? alive('owner') : Date.now() - statSync(dir).mtimeMs < 60_000) continue;
      if (alive('pid')) continue;
    } catch {
      continue; // swept by a concurrent run
    }
    await removeDir(dir);
  }
}
