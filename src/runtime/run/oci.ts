/**
 * Running one process in an OCI runtime (runc or crun), one bundle per run:
 *
 *   <workRoot>/bundles/<id>/config.json   runtimeSpec(), root.path = the rootfs given
 *   <workRoot>/bundles/<id>/etc/{hosts,resolv.conf,hostname}   bind-mounted in
 *   <binary> --root <workRoot>/state run --bundle <bundle> <id>
 *
 * stdio is piped (no terminal). The runtime logs to a file in the bundle, so
 * the process's stderr carries only the process's output and a runtime failure
 * (say, `exec: "nope": executable file not found in $PATH`) comes back as one
 * TsbuildError line instead of a bare exit code. On abort or timeout the
 * container is killed through the runtime (`kill <id> KILL`: killing `runc run`
 * itself would orphan the container), then `delete -f`; the bundle and the
 * container's state always go.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { TsbuildError } from '../../errors.js';
import { missingMountPoints, mountTargets, removeMountPoints, writeEtcFiles } from './bundle.js';
import { invocation } from './cgroups.js';
import { createDeviceCgroup } from './device-cgroup.js';
import { prepareCwd } from './cwd.js';
import { supervise } from './supervise.js';
import { searchPath } from './find.js';
import { DEVICE_RULES, nameservers, runtimeSpec } from './spec.js';
import {
  DEFAULT_HOSTNAME,
  type Runner,
  type RunIo,
  type RunOptions,
  type RunSpec,
} from './runner.js';
import { resolveUser } from './users.js';

export type { RunIo, RunOptions, RunSpec } from './runner.js';

/** A runtime command line without its subcommand. */
interface Runtime {
  file: string;
  argv: string[];
}

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
    const user = resolveUser(rootfs, spec.user);
    // Before the cwd is made: an image this refuses must not be written to.
    const mountPoints = missingMountPoints(rootfs, mountTargets(spec.mounts));
    const cwd = prepareCwd(rootfs, spec.cwd, user);
    const hostname = spec.hostname ?? DEFAULT_HOSTNAME;

    const id = `tsbuild-${randomBytes(8).toString('hex')}`;
    const bundle = join(opts.workRoot, 'bundles', id);
    const state = join(opts.workRoot, 'state');
    mkdirSync(state, { recursive: true });
    mkdirSync(bundle, { recursive: true });
    const devices = invocation(binary).ownDeviceCgroup
      ? createDeviceCgroup(id, DEVICE_RULES)
      : undefined;
    const log = join(bundle, 'runtime.log');
    const runtime = (procs?: string): Runtime => {
      const how = invocation(binary, procs);
      const flags = [...how.flags, '--root', state, '--log', log, '--log-format', 'json'];
      return { file: how.file, argv: [...how.prefix, ...flags] };
    };
    // Only `run` joins the device cgroup; kill and delete need none.
    const rt = runtime();
    try {
      const binds = writeEtcFiles(join(bundle, 'etc'), hostname, nameservers(spec.network));
      const config = runtimeSpec({
        ...{ rootfs, args: spec.args, env: spec.env, cwd, user, hostname, binds },
        ...(spec.mounts === undefined ? {} : { mounts: spec.mounts }),
        network: spec.network,
        deviceCgroup: !invocation(binary).ownDeviceCgroup || devices !== undefined,
      });
      writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
      const code = await superviseContainer(runtime(devices?.procs), rt, id, bundle, io, opts);
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
      // `run` deletes the container when it ends; state is left after a kill or a failure.
      if (existsSync(join(state, id))) await quiet(rt, ['delete', '-f', id]);
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

/**
 * Run the container to its end (`start` runs it); on abort or timeout kill it
 * through the runtime (`rt`), then reject.
 */
function superviseContainer(
  start: Runtime,
  rt: Runtime,
  id: string,
  bundle: string,
  io: RunIo,
  opts: RunOptions,
): Promise<number> {
  const child = spawn(start.file, [...start.argv, 'run', '--bundle', bundle, id], {
    stdio: [io.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  // Killing `runc run` itself would orphan the container: kill through the
  // runtime, retrying while it is still creating it.
  const kill = (exited: () => boolean) => {
    const attempt = async (): Promise<void> => {
      if (exited()) return;
      const ok = await quiet(rt, ['kill', id, 'KILL']);
      if (!ok && !exited()) setTimeout(() => void attempt(), KILL_RETRY_MS);
    };
    void attempt();
  };
  return supervise({ child, id, runtime: rt.file, kill }, io, opts);
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
function quiet(rt: Runtime, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn(rt.file, [...rt.argv, ...args], { stdio: 'ignore' });
    p.on('error', () => resolve(false));
    p.on('close', (code) => resolve(code === 0));
  });
}
