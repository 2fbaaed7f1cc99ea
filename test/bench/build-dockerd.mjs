// A Docker engine for the build bench: the one on DOCKER_HOST or
// /var/run/docker.sock when there is one (as run.bench.mjs finds it), else a
// private dockerd started the way test/setup/docker.ts starts the suite's, so
// `npm run bench` measures docker on a fresh machine too, and stopped after.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout } from 'node:timers';

const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
const PATH = `${process.env.PATH ?? ''}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
/**
 * dockerd 20.10 uses the machine's containerd whenever
 * /run/containerd/containerd.sock exists; a tmpfs over /run/containerd in
 * dockerd's own mount namespace makes it start a private one (see
 * test/setup/docker.ts).
 */
const HIDE_CONTAINERD =
  'mkdir -p /run/containerd && mount -t tmpfs -o mode=0711 tsbuild /run/containerd && exec "$@"';

const answers = (host) =>
  spawnSync(DOCKER, ['-H', host, 'info'], { stdio: 'ignore', timeout: 10_000 }).status === 0;

/**
 * { host, private, stop() } for an engine that answers, or { reason } when
 * none can be had. `dir` must be short (a unix socket path stays under 108
 * bytes) and is the private engine's whole state.
 */
export async function dockerEngine(dir) {
  const existing =
    process.env.DOCKER_HOST ??
    (existsSync('/var/run/docker.sock') ? 'unix:///var/run/docker.sock' : undefined);
  if (existing !== undefined) {
    return answers(existing)
      ? { host: existing, private: false, stop: async () => {} }
      : { reason: `${existing} does not answer` };
  }
  const dockerd = PATH.split(':')
    .map((d) => join(d, 'dockerd'))
    .find(executable);
  if (!dockerd || !executable(DOCKER))
    return { reason: 'dockerd or the docker client not installed' };
  // Our own config keeps dockerd 20.10 from writing /etc/docker/key.json.
  await writeFile(
    join(dir, 'daemon.json'),
    JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json') }),
  );
  const sock = join(dir, 'sock');
  const args = [
    ...['-H', `unix://${sock}`, '--iptables=false', '--ip-masq=false', '--bridge=none'],
    ...['--data-root', join(dir, 'root'), '--exec-root', join(dir, 'exec')],
    ...['--pidfile', join(dir, 'pid'), '--config-file', join(dir, 'daemon.json')],
  ];
  const log = join(dir, 'log');
  const fd = openSync(log, 'w');
  // --pdeathsig: dockerd gets SIGTERM if the bench dies; its mounts live in a
  // mount namespace of its own that vanishes with it.
  const child = spawn(
    'setpriv',
    [
      ...['--pdeathsig', 'SIGTERM', '--', 'unshare', '--mount', '--propagation', 'slave', '--'],
      ...['sh', '-c', HIDE_CONTAINERD, 'sh', dockerd, ...args],
    ],
    { stdio: ['ignore', fd, fd], env: { ...process.env, PATH } },
  );
  closeSync(fd);
  const host = `unix://${sock}`;
  const stop = () => stopDockerd(child, dir, host);
  const deadline = Date.now() + 60_000;
  while (!answers(host)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      const tail = readFileSync(log, 'utf8').split('\n').slice(-5).join(' | ');
      return { reason: `private dockerd did not start: ${tail}` };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host, private: true, stop };
}

async function stopDockerd(child, dir, host) {
  // Leftover containers would hold dockerd's shutdown for their 10 s stop timeout.
  const ids = spawnSync(DOCKER, ['-H', host, 'ps', '-aq'], { encoding: 'utf8' }).stdout ?? '';
  const list = ids.split('\n').filter(Boolean);
  if (list.length) spawnSync(DOCKER, ['-H', host, 'rm', '-f', ...list], { stdio: 'ignore' });
  const gone = new Promise((r) =>
    child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', r),
  );
  const within = (ms) =>
    Promise.race([gone.then(() => true), new Promise((r) => setTimeout(r, ms, false).unref())]);
  child.kill('SIGTERM');
  if (!(await within(20_000))) {
    child.kill('SIGKILL');
    await within(5_000);
    // Its containerd outlives a killed dockerd.
    try {
      const pid = Number(readFileSync(join(dir, 'exec', 'containerd', 'containerd.pid'), 'utf8'));
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // dockerd's mounts died with its namespace; this is a backstop.
  const mounts = execFileSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' })
    .split('\n')
    .filter((t) => t.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const t of mounts) spawnSync('umount', ['-R', '-l', t], { stdio: 'ignore' });
}

function executable(p) {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
