/**
 * Running one process in an OCI runtime (runc or crun), one bundle per run:
 *
 *   <workRoot>/bundles/<id>/config.json   runtimeSpec(), root.path = the rootfs given
 *   <workRoot>/bundles/<id>/etc/{hosts,resolv.conf,hostname}   bind-mounted in
 *   <binary> --root <workRoot>/state run --bundle <bundle> <id>
 *
 * stdio is piped; with a terminal (runner.ts), the runtime runs detached
 * (`run -d --console-socket`: runc sends a terminal over the socket only
 * then) under tsbuild-reaper (native/reaper.c), which waits for the
 * container's process as containerd's shim does, and the terminal's master
 * comes over the socket (terminal.ts). The runtime logs to a file in the bundle, so
 * the process's stderr carries only the process's output and a runtime failure
 * (say, `exec: "nope": executable file not found in $PATH`) comes back as one
 * TsbuildError line instead of a bare exit code. On abort or timeout the
 * container is killed through the runtime (`kill <id> KILL`: killing `runc run`
 * itself would orphan the container), then `delete -f`; the bundle and the
 * container's state always go.
 *
 * The runtime is started by the process's launcher (launcher.ts: no fork of
 * Node per run), or spawned when npm did not build it.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  constants as fsConstants,
  existsSync,
  mkdirSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { TsbuildError } from '../../errors.js';
import { missingMountPoints, mountTargets, removeMountPoints, writeEtcFiles } from './bundle.js';
import { hidesCgroup2, invocation, WITHOUT_CGROUPS } from './cgroups.js';
import { createDeviceCgroup } from './device-cgroup.js';
import { prepareCwd } from './cwd.js';
import { sharedLauncher, type Child } from './launcher.js';
import { supervise, type Finishing } from './supervise.js';
import { TerminalSession } from './terminal.js';
import { nativeFile } from '../native.js';
import { searchPath } from './find.js';
import { DEVICE_RULES, nameservers, runtimeSpec, specJson } from './spec.js';
import {
  DEFAULT_HOSTNAME,
  type Runner,
  type RunIo,
  type RunOptions,
  type RunSpec,
} from './runner.js';
import { resolveUser } from './users.js';

export type { RunIo, RunOptions, RunSpec } from './runner.js';

/**
 * Start the runtime with `args` (a subcommand and its arguments), stdin piped
 * when `stdin`; under tsbuild-reaper when `reap` names the pid file `args`
 * write, and the subcommand it runs once the container has ended.
 */
type Start = (args: string[], stdin: boolean, reap?: Reap) => Child;

interface Reap {
  reaper: string;
  pidFile: string;
  /** `delete -f ID`: as `run` in the foreground deletes its container, even if tsbuild is gone by then. */
  after: string[];
}

export const REAPER = 'tsbuild-reaper';

/** How often a kill is retried while the runtime is still creating the container. */
const KILL_RETRY_MS = 20;

export class OciRunner implements Runner {
  readonly binary: string;
  readonly name: string;

  /** `binary`: 'runc', 'crun', or a path; a bare name is looked up on PATH when run. */
  constructor(binary: 'runc' | 'crun' | string) {
    this.binary = binary;
    this.name = basename(binary);
  }

  /**
   * Run `spec` with `rootfs` as its root; resolves to the exit code (128+n for a signal).
   *
   * @example
   * const code = await new OciRunner('/usr/sbin/runc').run(rootfs,
   *   { args: ['sh', '-c', 'echo hi'], env: [], cwd: '/', user: '', network: 'none' },
   *   { stdout: process.stdout, stderr: process.stderr }, { workRoot: '/var/tmp/tsbuild-run' });
   */
  async run(rootfsGiven: string, spec: RunSpec, io: RunIo, opts: RunOptions): Promise<number> {
    opts.signal?.throwIfAborted();
    const binary = this.located();
    // runc refuses a root.path that is a symlink ("invalid rootfs").
    const rootfs = realpathSync(rootfsGiven);
    const user = resolveUser(rootfs, spec.user, spec.primaryGroupSupplementary);
    // Before the cwd is made: an image this refuses must not be written to.
    const mountPoints = missingMountPoints(rootfs, mountTargets(spec.mounts));
    const cwd = prepareCwd(rootfs, spec.cwd, user);
    const hostname = spec.hostname ?? DEFAULT_HOSTNAME;

    const id = `tsbuild-${randomBytes(8).toString('hex')}`;
    const bundle = join(opts.workRoot, 'bundles', id);
    const state = join(opts.workRoot, 'state');
    mkdirSync(state, { recursive: true });
    mkdirSync(bundle, { recursive: true });
    const hide = hidesCgroup2(binary);
    const shared = sharedLauncher(hide);
    // Without the launcher, a device cgroup of the run's own, joined by the wrapper.
    const devices = shared === undefined && hide ? createDeviceCgroup(id, DEVICE_RULES) : undefined;
    const log = join(bundle, 'runtime.log');
    const flags = [...(hide ? WITHOUT_CGROUPS : []), '--root', state, '--log', log];
    const start: Start = (args, stdin, reap) => {
      // Only `run` joins the device cgroup; kill and delete need none.
      const line = (a: string[]) => {
        const how = shared ? undefined : invocation(binary, a[0] === 'run' ? devices?.procs : '');
        const runtime = how === undefined ? [binary] : [how.file, ...how.prefix];
        return [...runtime, ...flags, '--log-format', 'json', ...a];
      };
      const argv =
        reap === undefined
          ? line(args)
          : [reap.reaper, reap.pidFile, '--', ...line(args), '--', ...line(reap.after)];
      if (shared !== undefined) return shared.launcher.start(argv, stdin);
      const [file, ...rest] = argv as [string, ...string[]];
      return spawn(file, rest, { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    };
    let terminal: TerminalSession | undefined;
    try {
      const reaper = spec.terminal === undefined ? undefined : reaperBinary();
      terminal = spec.terminal === undefined ? undefined : TerminalSession.open(bundle, io);
      const binds = writeEtcFiles(
        join(bundle, 'etc'),
        hostname,
        nameservers(spec.network),
        spec.extraHosts,
      );
      const config = runtimeSpec({
        ...{ rootfs, args: spec.args, env: spec.env, cwd, user, hostname, binds },
        ...(spec.mounts === undefined ? {} : { mounts: spec.mounts }),
        network: spec.network,
        ...(spec.readonlyRootfs ? { readonlyRootfs: true } : {}),
        ...(spec.shmSize === undefined ? {} : { shmSize: spec.shmSize }),
        ...(spec.rlimits === undefined ? {} : { rlimits: spec.rlimits }),
        deviceCgroup: !hide || (shared ? shared.devices : devices) !== undefined,
        ...(spec.terminal === undefined ? {} : { terminal: spec.terminal }),
      });
      writeFileSync(join(bundle, 'config.json'), specJson(config));
      const how = runHow(
        bundle,
        id,
        terminal && reaper ? { session: terminal, reaper } : undefined,
        opts.started !== undefined,
      );
      const code = await superviseContainer(start, binary, id, how, io, opts);
      const failure = await runtimeFailure(log, code);
      if (failure !== undefined) {
        const notFound = /exec/.test(failure) && /not found|no such file/i.test(failure);
        throw new TsbuildError(
          notFound ? 'COMMAND_NOT_FOUND' : 'RUNTIME_FAILED',
          `${basename(binary)}: ${failure}`,
          // exitCode: what `docker run` exits with for it (127 not found, 126 not executable).
          { runtime: binary, exitCode: notFound ? 127 : 126, runtimeExit: code, args: spec.args },
        );
      }
      return code;
    } finally {
      await terminal?.finish();
      // `run` deletes the container when it ends; state is left after a kill, a failure or `run -d`.
      if (existsSync(join(state, id))) await quiet(start, ['delete', '-f', id]);
      await rm(join(state, id), { recursive: true, force: true });
      await rm(bundle, { recursive: true, force: true });
      removeMountPoints(mountPoints);
      await devices?.remove();
    }
  }

  /** The binary's absolute path; RUNTIME_NOT_FOUND when it is not installed. */
  private located(): string {
    const b = this.binary;
    const candidates = b.includes('/') ? [b] : searchPath().map((d) => join(d, b));
    const found = candidates.find((p) => existsSync(p) && statSync(p).isFile());
    if (found === undefined) {
      throw new TsbuildError('RUNTIME_NOT_FOUND', `OCI runtime ${b} is not installed`, {
        runtime: b,
      });
    }
    return found;
  }
}

/** The runtime's `run` and its arguments; with a terminal, detached under the reaper. */
interface How {
  args: string[];
  /**
   * Where the runtime writes the container process's host pid; only when it is
   * asked for. runc writes it after the process has started: a RUN that fills
   * the store's disk in that moment made runc fail ("write …/.pid: no space
   * left on device") and kill the RUN, whose own exit status was then lost. A
   * build's RUN never asks for the pid (it is stopped through `kill ID`).
   */
  pidFile: string | undefined;
  reap?: Reap;
  terminal?: Finishing;
}

function runHow(
  bundle: string,
  id: string,
  terminal: { session: TerminalSession; reaper: string } | undefined,
  wantPid: boolean,
): How {
  const pidFile = join(bundle, 'pid');
  if (terminal === undefined) {
    if (!wantPid) return { args: ['run', '--bundle', bundle, id], pidFile: undefined };
    return { args: ['run', '--pid-file', pidFile, '--bundle', bundle, id], pidFile };
  }
  const socket = terminal.session.console.path;
  return {
    args: ['run', '-d', '--pid-file', pidFile, '--console-socket', socket, '--bundle', bundle, id],
    pidFile,
    reap: { reaper: terminal.reaper, pidFile, after: ['delete', '-f', id] },
    terminal: terminal.session,
  };
}

/** The reaper's absolute path; TERMINAL_UNAVAILABLE when npm did not build it. */
function reaperBinary(): string {
  const found = nativeFile(REAPER, fsConstants.X_OK);
  if (found !== undefined) return found;
  throw new TsbuildError(
    'TERMINAL_UNAVAILABLE',
    `a terminal (-t) under an OCI runtime needs build/Release/${REAPER}, which npm builds at install with node-gyp: run \`npm rebuild tsbuild\` or \`npm ci\``,
    { tool: REAPER },
  );
}

/**
 * Run the container to its end (`run` runs it); on abort or timeout kill it
 * through the runtime, then reject.
 */
function superviseContainer(
  start: Start,
  binary: string,
  id: string,
  how: How,
  io: RunIo,
  opts: RunOptions,
): Promise<number> {
  // With a terminal, input goes to the terminal, not to the runtime.
  const child = start(how.args, io.stdin !== undefined && how.terminal === undefined, how.reap);
  // Killing `runc run` itself would orphan the container: kill through the
  // runtime, retrying while it is still creating it.
  const kill = (exited: () => boolean) => {
    const attempt = async (): Promise<void> => {
      if (exited()) return;
      const ok = await quiet(start, ['kill', id, 'KILL']);
      if (!ok && !exited()) setTimeout(() => void attempt(), KILL_RETRY_MS);
    };
    void attempt();
  };
  // Signalled directly, as `<runtime> kill` does (the init's pid): a runtime
  // subcommand that fails (the container not created yet, or gone) would
  // write to the run's log, and be taken for the run's own failure.
  let ended = false;
  child.on('close', () => (ended = true));
  const pid = async () => (ended ? undefined : containerPid(how.pidFile));
  opts.started?.({
    pid,
    kill: async (signal) => {
      const p = await pid();
      if (p === undefined) return false;
      try {
        process.kill(p, signal);
        return true;
      } catch {
        return false;
      }
    },
  });
  return supervise({ child, id, runtime: binary, kill }, io, opts, how.terminal);
}

/** The pid the runtime wrote to `pidFile` once it made the container; undefined before. */
async function containerPid(pidFile: string | undefined): Promise<number | undefined> {
  if (pidFile === undefined) return undefined;
  try {
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The runtime's own error message when the run failed before or around the process. */
async function runtimeFailure(log: string, code: number): Promise<string | undefined> {
  if (code === 0) return undefined;
  let text: string;
  try {
    text = await readFile(log, 'utf8');
  } catch {
    return undefined;
  }
  const errors = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(parseLogLine)
    .filter((e) => e.level === 'error' || e.level === 'fatal');
  return errors.length === 0 ? undefined : errors[errors.length - 1]!.msg;
}

function parseLogLine(line: string): { level: string; msg: string } {
  try {
    const v = JSON.parse(line) as { level?: unknown; msg?: unknown };
    return { level: String(v.level ?? ''), msg: String(v.msg ?? '') };
  } catch {
    return { level: 'error', msg: line };
  }
}

/** Run a runtime subcommand, output discarded; true when it exits 0. */
function quiet(start: Start, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const p = start(args, false);
    p.stdout?.resume();
    p.stderr?.resume();
    p.on('error', () => resolve(false));
    p.on('close', (code) => resolve(code === 0));
  });
}
