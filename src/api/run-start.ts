/**
 * Starting a created container and waiting for it: its root mounted, its
 * volumes and network made, the process run by the runner with the signals
 * the caller forwards, and everything undone when it ends (container-rootfs.ts
 * for what a killed supervisor leaves).
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { TsbuildError } from '../errors.js';
import { openNetwork, type SandboxNetwork } from '../runtime/network/index.js';
import { searchPath } from '../runtime/run/find.js';
import type {
  Runner,
  RunMount,
  RunNetwork,
  SizeSource,
  StartedProcess,
} from '../runtime/run/runner.js';
import { resolveInRoot } from '../runtime/run/scope.js';
import { startTime } from '../util/temp-owner.js';
import { selfRef, type ContainerRecord } from '../store/containers.js';
import type { Store } from '../store/store.js';
import { ContainerLog } from './container-log.js';
import { mountRootfs, removeContainer, unmountContainer } from './container-rootfs.js';
import { processEnvironment } from './run-config.js';
import { runnerMounts } from './run-mounts.js';

/** Where Docker puts its init in the container. */
const INIT_TARGET = '/sbin/docker-init';
/** How often a signal is retried while the runtime is still creating the container. */
const RETRY_MS = 20;

export interface RunResult {
  id: string;
  name: string;
  /** The process's exit status (128 + n when signal n ended it). */
  exitCode: number;
}

export interface StartIo {
  stdout: Writable;
  stderr: Writable;
  stdin?: Readable;
  relay: SignalRelay;
  signal?: AbortSignal;
  /** With a terminal: where its size comes from (default: `stdout` when it is a TTY). */
  size?: SizeSource;
  /**
   * Told once the process has started: its pid is recorded (what `stop` and
   * `kill` signal), or it has already ended. A detached run returns then.
   */
  onStarted?: () => void;
}

export async function startContainer(
  store: Store,
  record: ContainerRecord,
  runner: Runner,
  io: StartIo,
): Promise<RunResult> {
  const { id, config } = record;
  const c = store.containers;
  const log = new ContainerLog(c.logPath(id));
  const out = log.tee('stdout', io.stdout);
  const err = log.tee('stderr', io.stderr);
  let network: SandboxNetwork | undefined;
  let exitCode = 128;
  let error: string | undefined;
  let ran = false;
  let ended = false;
  let initPoint: ((upper: string) => void) | undefined;
  try {
    const init = config.init ? initBinary() : undefined;
    const rootfs = await mountRootfs(store, record);
    const mounts: RunMount[] = await runnerMounts(store, rootfs, config.mounts);
    if (init) {
      initPoint = initMountPoint(rootfs);
      mounts.push({ type: 'bind', source: init, target: INIT_TARGET, options: ['ro'] });
    }
    let net: RunNetwork = config.network === 'host' ? 'host' : 'none';
    if (config.network === 'default' || config.network === 'bridge') {
      network = await openNetwork(join(c.runDir(id), 'net'));
      if (network.netns !== undefined)
        net = {
          netns: network.netns,
          ...(network.nameservers ? { nameservers: network.nameservers } : {}),
        };
      else net = 'host';
    }
    const startedAt = new Date().toISOString();
    await c.update(id, (r) => ({
      ...r,
      state: { status: 'running', supervisor: selfRef(), exitCode: 0, startedAt },
    }));
    ran = true;
    exitCode = await runner.run(
      rootfs,
      {
        args: init ? [INIT_TARGET, '--', ...config.args] : config.args,
        env: processEnvironment(config.env, config.hostname, config.tty),
        cwd: config.cwd || '/',
        user: config.user,
        hostname: config.hostname,
        network: net,
        ...(config.extraHosts
          ? {
              // Stored as docker keeps HostConfig.ExtraHosts: HOST:IP (split at the first colon).
              extraHosts: config.extraHosts.map((h) => ({
                host: h.slice(0, h.indexOf(':')),
                ip: h.slice(h.indexOf(':') + 1),
              })),
            }
          : {}),
        mounts,
        ...(config.readOnly ? { readonlyRootfs: true } : {}),
        primaryGroupSupplementary: true,
        ...(config.tty ? { terminal: terminalSize(io) } : {}),
      },
      {
        stdout: out,
        stderr: err,
        ...(io.stdin ? { stdin: io.stdin } : {}),
        // The log's tee is no TTY: the size follows the caller's own stream.
        ...(config.tty && sizeOf(io) ? { size: sizeOf(io)! } : {}),
      },
      {
        workRoot: c.runDir(id),
        ...(io.signal ? { signal: io.signal } : {}),
        started: (p) => {
          io.relay.attach(p);
          void recordProcess(store, id, p, () => ended).then((recorded) => {
            if (recorded) io.onStarted?.();
          });
        },
      },
    );
    io.onStarted?.();
    return { id, name: record.name, exitCode };
  } catch (e) {
    if (e instanceof TsbuildError) {
      const code = e.data.exitCode;
      exitCode = code === 126 || code === 127 ? code : 128;
      error = e.message;
      // The process never ran: Docker leaves such a container `created`.
      if (['COMMAND_NOT_FOUND', 'RUNTIME_FAILED', 'UNKNOWN_USER', 'UNSAFE_CWD'].includes(e.code))
        ran = false;
    }
    throw addId(e, id);
  } finally {
    ended = true;
    io.relay.end();
    await Promise.all([endOf(out), endOf(err)]);
    await log.close();
    await network?.close().catch(() => undefined);
    await unmountContainer(c.path(id));
    // After the unmount, in the upper dir: see initMountPoint.
    initPoint?.(c.upperDir(id));
    const finishedAt = new Date().toISOString();
    const done = await c.update(id, (r) => ({
      ...r,
      state: {
        status: ran ? 'exited' : 'created',
        exitCode,
        ...(ran && r.state.startedAt ? { startedAt: r.state.startedAt } : {}),
        ...(ran ? { finishedAt } : {}),
        ...(error !== undefined ? { error } : {}),
      },
    }));
    if (done && config.autoRemove) await removeContainer(store, done, { volumes: true });
  }
}

/** Where a terminal's size comes from: the caller's, or its stdout when that is a TTY. */
function sizeOf(io: StartIo): SizeSource | undefined {
  if (io.size) return io.size;
  const out = io.stdout as Writable & Partial<SizeSource> & { isTTY?: boolean };
  return out.isTTY && typeof out.columns === 'number' ? (out as unknown as SizeSource) : undefined;
}

/** The terminal's first size; 0×0 (unknown) when nothing says, as Docker gives a non-TTY caller. */
function terminalSize(io: StartIo): { rows: number; cols: number } {
  const s = sizeOf(io);
  return s ? { rows: s.rows, cols: s.columns } : { rows: 0, cols: 0 };
}

function endOf(w: Writable): Promise<void> {
  return new Promise((resolve) => w.end(() => resolve()));
}

function addId(e: unknown, id: string): unknown {
  if (!(e instanceof TsbuildError)) return e;
  const out = new TsbuildError(e.code, e.message, { ...e.data, id });
  out.stack = e.stack;
  return out;
}

/**
 * Note the container's process (pid and start time): `stop`, `kill` and
 * `rm -f` signal it, a dead supervisor's is killed. Tried until the runtime
 * has made it (a loaded machine can take seconds) or the run has ended;
 * true once recorded.
 */
async function recordProcess(
  store: Store,
  id: string,
  p: StartedProcess,
  ended: () => boolean,
): Promise<boolean> {
  while (!ended()) {
    const pid = await p.pid().catch(() => undefined);
    const start = pid === undefined ? undefined : startTime(pid);
    if (pid !== undefined && start !== undefined) {
      const r = await store.containers
        .update(id, (r) =>
          r.state.status === 'running'
            ? { ...r, state: { ...r.state, process: { pid, start } } }
            : r,
        )
        .catch(() => undefined);
      return r?.state.process?.pid === pid;
    }
    await new Promise((res) => setTimeout(res, RETRY_MS));
  }
  return false;
}

/**
 * The mount point of the init: an empty executable file (the built-in
 * sandbox looks the command up before it mounts anything), made with the
 * directories it needs and taken away again after the run, so that it is no
 * change of the container's. Nothing when the image has a file there.
 *
 * Taken away from the upper dir once the rootfs is unmounted, each path
 * resolved again inside it: the container may have made one of those
 * directories a symlink meanwhile, and a host path remembered from before the
 * run would then be a path on the host (`/sbin` -> `/usr/bin` would have us
 * unlink the host's /usr/bin/docker-init).
 */
function initMountPoint(rootfs: string): (upper: string) => void {
  const at = resolveInRoot(rootfs, INIT_TARGET);
  if (at.missing.length === 0) return () => undefined;
  const made: string[] = [];
  let dir = at.hostPath;
  let inRoot = `/${at.existing.join('/')}`;
  for (const name of at.missing.slice(0, -1)) {
    dir = join(dir, name);
    inRoot = join(inRoot, name);
    mkdirSync(dir, { mode: 0o755 });
    made.push(inRoot);
  }
  const file = join(dir, at.missing[at.missing.length - 1]!);
  writeFileSync(file, '', { mode: 0o755 });
  const fileInRoot = join(inRoot, at.missing[at.missing.length - 1]!);
  return (upper) => {
    const gone = (path: string, isDir: boolean) => {
      const there = resolveInRoot(upper, path);
      if (there.missing.length > 0) return;
      const st = lstatSync(there.hostPath, { throwIfNoEntry: false });
      if (!st || (isDir ? !st.isDirectory() : !st.isFile())) return;
      try {
        if (isDir) rmdirSync(there.hostPath);
        else unlinkSync(there.hostPath);
      } catch {
        // Not empty (the container wrote there): it stays, as its change.
      }
    };
    gone(fileInRoot, false);
    for (const d of made.reverse()) gone(d, true);
  };
}

/**
 * Docker's `--init` is tini, bind-mounted at /sbin/docker-init: Debian's
 * docker.io links /usr/bin/docker-init to tini-static (a static binary runs
 * in any image).
 */
function initBinary(): string {
  const dirs = [...searchPath(), '/usr/libexec/docker', '/usr/bin', '/usr/sbin'];
  for (const name of ['docker-init', 'tini-static'])
    for (const d of dirs) {
      const p = join(d, name);
      if (existsSync(p) && statSync(p).isFile()) return p;
    }
  throw new TsbuildError(
    'INIT_NOT_FOUND',
    `--init needs Docker's init: docker-init or tini-static (Debian's tini package) on PATH, in ${dirs.join(':')}`,
  );
}

/**
 * Signals for the container's process, from before it starts to its end:
 * queued until the runner says it is starting, retried while the runtime is
 * still creating it, dropped once it has ended.
 */
export class SignalRelay {
  private process: StartedProcess | undefined;
  private pending: NodeJS.Signals[] = [];
  private ended = false;

  attach(p: StartedProcess): void {
    this.process = p;
    for (const s of this.pending.splice(0)) this.send(s);
  }

  send(signal: NodeJS.Signals): void {
    if (this.ended) return;
    if (!this.process) {
      this.pending.push(signal);
      return;
    }
    const p = this.process;
    const attempt = async (left: number): Promise<void> => {
      if (this.ended || (await p.kill(signal))) return;
      if (left > 0) setTimeout(() => void attempt(left - 1), RETRY_MS);
    };
    void attempt(250);
  }

  end(): void {
    this.ended = true;
  }
}
