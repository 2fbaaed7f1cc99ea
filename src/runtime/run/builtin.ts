/**
 * The built-in sandbox, for machines with no OCI runtime: util-linux and the
 * helper npm builds (native/sandbox-init.c).
 *
 *   unshare --mount --uts --ipc --pid --fork [--net] --propagation private -- sh -c <sandbox.ts script>
 *
 * One per-run dir <workRoot>/bundles/<id> holds the /etc files (bundle.ts, as
 * OciRunner writes them), the fstab files, the /dev template, the seccomp
 * filter and the setup log. The process group is ours (spawned detached): on
 * abort or timeout it is killed, and with it the namespace's pid 1, which
 * takes every process of the namespace along and, being the last, the mount
 * namespace and all its mounts.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { constants } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { TsbuildError } from '../../errors.js';
import {
  ETC_FILES,
  missingMountPoints,
  mountTargets,
  removeMountPoints,
  writeEtcFiles,
  type MountTarget,
} from './bundle.js';
import { findCommand } from './command.js';
import { prepareCwd } from './cwd.js';
import { createDeviceCgroup } from './device-cgroup.js';
import { sandboxInit } from './init-binary.js';
import { supervise } from './supervise.js';
import { TerminalSession } from './terminal.js';
import { findTool, searchPath } from './find.js';
import {
  DEFAULT_HOSTNAME,
  type Runner,
  type RunIo,
  type RunOptions,
  type RunSpec,
} from './runner.js';
import {
  DEVICES,
  SETUP_FAILED,
  sandboxFstabs,
  sandboxScript,
  type SandboxPlan,
} from './sandbox.js';
import { resolveInRoot } from './scope.js';
import { UnshareStderr } from './unshare-stderr.js';
import { defaultSeccomp } from './seccomp.js';
import { compileSeccomp } from './seccomp-bpf.js';
import {
  capabilityMask,
  DEFAULT_CAPABILITIES,
  DEVICE_RULES,
  nameservers,
  processEnv,
} from './spec.js';
import { resolveUser } from './users.js';

/**
 * The host tools the sandbox needs; `ip` only for network 'none', `nsenter` to
 * join one, `prlimit` (util-linux) for `--ulimit`.
 */
export const BUILTIN_TOOLS = ['unshare', 'mount', 'cp', 'sh'] as const;

const RUNTIME_DIRS = ['/proc', '/dev', '/sys'];

/** Docker's seccomp filter for its default capabilities, compiled once a process. */
let filter: Buffer | undefined;

export class BuiltinRunner implements Runner {
  readonly name = 'builtin';

  /**
   * Run `spec` in `rootfs`; resolves to the exit code (128+n for a signal).
   *
   * @example
   * const code = await new BuiltinRunner().run(rootfs,
   *   { args: ['sh', '-c', 'echo hi'], env: [], cwd: '/', user: '', network: 'none' },
   *   { stdout: process.stdout, stderr: process.stderr }, { workRoot: '/var/tmp/tsbuild-run' });
   */
  async run(rootfsGiven: string, spec: RunSpec, io: RunIo, opts: RunOptions): Promise<number> {
    opts.signal?.throwIfAborted();
    const tools = Object.fromEntries(BUILTIN_TOOLS.map((t) => [t, findTool(t)])) as Record<
      (typeof BUILTIN_TOOLS)[number],
      string
    >;
    if (spec.network === 'none') findTool('ip');
    const nsenter = typeof spec.network === 'object' ? findTool('nsenter') : undefined;
    const prlimit = spec.rlimits && spec.rlimits.length > 0 ? findTool('prlimit') : undefined;
    const init = sandboxInit();
    filter ??= compileSeccomp(defaultSeccomp({ caps: DEFAULT_CAPABILITIES }));
    const rootfs = realpathSync(rootfsGiven);
    const user = resolveUser(rootfs, spec.user, spec.primaryGroupSupplementary);
    // Before the cwd is made: an image this refuses must not be written to.
    const targets = mountTargets(spec.mounts);
    const points = missingMountPoints(rootfs, targets);
    const cwd = prepareCwd(rootfs, spec.cwd, user);
    const env = processEnv(spec.env, user.home, spec.terminal !== undefined).filter((e) =>
      e.includes('='),
    );
    findCommand(rootfs, spec.args, env, cwd);

    const id = `tsbuild-${randomBytes(8).toString('hex')}`;
    const dir = join(opts.workRoot, 'bundles', id);
    const devices = createDeviceCgroup(id, DEVICE_RULES);
    let terminal: TerminalSession | undefined;
    try {
      mkdirSync(dir, { recursive: true });
      if (spec.terminal !== undefined) terminal = TerminalSession.open(dir, io);
      createMountPoints(
        rootfs,
        targets.filter((t) => !inDev(t.path)),
      );
      const dev = resolveInRoot(rootfs, '/dev').hostPath;
      const hostname = spec.hostname ?? DEFAULT_HOSTNAME;
      const binds = writeEtcFiles(
        join(dir, 'etc'),
        hostname,
        nameservers(spec.network),
        spec.extraHosts,
      ).map((b) => ({
        source: b.source,
        target: resolveInRoot(rootfs, b.destination).hostPath,
      }));
      const seccomp = join(dir, 'seccomp.bpf');
      writeFileSync(seccomp, filter);
      const plan: SandboxPlan = {
        ...{ rootfs, hostname, env, cwd, args: spec.args, binds },
        loopbackOnly: spec.network === 'none',
        mounts: spec.mounts ?? [],
        proc: resolveInRoot(rootfs, '/proc').hostPath,
        dev,
        sys: resolveInRoot(rootfs, '/sys').hostPath,
        devTemplate: devTemplate(
          join(dir, 'dev'),
          targets.filter((t) => inDev(t.path)),
        ),
        log: join(dir, 'setup.log'),
        ...(devices === undefined ? {} : { deviceCgroup: devices.procs }),
        user,
        caps: capabilityMask(DEFAULT_CAPABILITIES),
        seccomp,
        init,
        ...(spec.readonlyRootfs ? { readonlyRootfs: true } : {}),
        ...(spec.shmSize === undefined ? {} : { shmSize: spec.shmSize }),
        ...(prlimit === undefined ? {} : { rlimits: { prlimit, limits: spec.rlimits! } }),
        ...(terminal && spec.terminal
          ? { console: { socket: terminal.console.path, ...spec.terminal } }
          : {}),
      };
      const tables = sandboxFstabs(plan);
      const fstabs = { early: join(dir, 'fstab.early'), late: join(dir, 'fstab.late') };
      writeFileSync(fstabs.early, tables.early);
      writeFileSync(fstabs.late, tables.late);
      const argv = [
        ...['--mount', '--uts', '--ipc', '--pid', '--fork', '--kill-child'],
        ...(spec.network === 'none' ? ['--net'] : []),
        ...['--propagation', 'private', '--', tools.sh, '-c', sandboxScript(plan, fstabs)],
      ];
      // A namespace to join: nsenter first, then unshare makes the others.
      const [file, args] =
        nsenter !== undefined && typeof spec.network === 'object'
          ? [nsenter, [`--net=${spec.network.netns}`, '--', tools.unshare, ...argv]]
          : [tools.unshare, argv];
      const path = searchPath().join(':');
      const code = await superviseSandbox(file, args, { PATH: path }, io, opts, id, terminal);
      if (code === SETUP_FAILED) {
        const log = readText(plan.log).trim();
        if (log !== '') {
          const first = log.split('\n')[0]!;
          throw new TsbuildError('RUNTIME_FAILED', `builtin sandbox setup failed: ${first}`, {
            ...{ runtime: 'builtin', exitCode: 126, args: spec.args, log },
          });
        }
      }
      return code;
    } finally {
      await terminal?.finish();
      await rm(dir, { recursive: true, force: true });
      removeMountPoints(points);
      await devices?.remove();
    }
  }
}

/**
 * Create the mount points the rootfs lacks: dirs for /proc /dev /sys, empty
 * files for /etc/…, and the RUN --mount targets (as runc would make them).
 */
function createMountPoints(rootfs: string, extra: readonly MountTarget[]): void {
  const all: MountTarget[] = [
    ...RUNTIME_DIRS.map((path): MountTarget => ({ path, kind: 'dir' })),
    ...ETC_FILES.map((path): MountTarget => ({ path, kind: 'file' })),
    ...extra,
  ];
  for (const { path, kind } of all) {
    const at = resolveInRoot(rootfs, path);
    if (at.missing.length === 0) continue;
    const parent = join(at.hostPath, ...at.missing.slice(0, -1));
    mkdirSync(parent, { recursive: true, mode: 0o755 });
    const leaf = join(parent, at.missing[at.missing.length - 1]!);
    if (kind === 'dir') mkdirSync(leaf, { mode: 0o755 });
    else writeFileSync(leaf, '', { mode: 0o644 });
  }
}

/** A mount target in the sandbox's tmpfs /dev rather than in the rootfs. */
function inDev(target: string): boolean {
  return posix.normalize(target).startsWith('/dev/');
}

/**
 * What runc puts in a fresh /dev besides the device nodes: empty files to bind
 * onto, dirs, links; and the mount points of `extra` targets in /dev.
 */
function devTemplate(dir: string, extra: readonly MountTarget[]): string {
  mkdirSync(dir);
  for (const t of extra) {
    const path = join(dir, posix.normalize(t.path).slice('/dev/'.length));
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    if (t.kind === 'dir') mkdirSync(path, { recursive: true, mode: 0o755 });
    else writeFileSync(path, '', { mode: 0o644 });
  }
  for (const d of DEVICES) writeFileSync(join(dir, d), '', { mode: 0o666 });
  for (const d of ['pts', 'shm', 'mqueue']) mkdirSync(join(dir, d));
  const links: [string, string][] = [
    ['fd', '/proc/self/fd'],
    ['stdin', '/proc/self/fd/0'],
    ['stdout', '/proc/self/fd/1'],
    ['stderr', '/proc/self/fd/2'],
    ['ptmx', 'pts/ptmx'],
    ['core', '/proc/kcore'],
  ];
  for (const [name, target] of links) symlinkSync(target, join(dir, name));
  return dir;
}

/**
 * Run to the end; on abort or timeout kill our process group (and so the
 * namespace), then reject. With a terminal, input goes to it, not to unshare.
 * A pid 1 killed with SIGKILL is 137, as under runc (unshare-stderr.ts).
 */
async function superviseSandbox(
  file: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: RunIo,
  opts: RunOptions,
  id: string,
  terminal: TerminalSession | undefined,
): Promise<number> {
  const child = spawn(file, argv, {
    stdio: [io.stdin && !terminal ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: true,
    env,
  });
  const run = { child, id, runtime: file, kill: () => killAll(child.pid) };
  opts.started?.({
    kill: async (signal) => {
      const init = namespaceInit(child.pid);
      if (init === undefined) return false;
      try {
        process.kill(init, signal);
        return true;
      } catch {
        return false;
      }
    },
    pid: async () => namespaceInit(child.pid),
  });
  const stderr = new UnshareStderr(io.stderr);
  const code = await supervise(run, { ...io, stderr }, opts, terminal);
  stderr.settle();
  return code === 1 && stderr.killedBySigkill ? 128 + constants.signals.SIGKILL : code;
}

/**
 * The sandbox's pid 1 (the command, once the helper has exec'd it): the one
 * child `unshare --fork` made. unshare itself passes no signal on.
 */
function namespaceInit(unshare: number | undefined): number | undefined {
  return unshare === undefined ? undefined : childrenOf(unshare)[0];
}

/**
 * SIGKILL the process group of `unshare`, and its children by ppid: the
 * namespace's pid 1 is one of them even when it left the group (setsid), and
 * its death kills the rest of the namespace.
 */
function killAll(pid: number | undefined): void {
  if (pid === undefined) return;
  const kill = (target: number) => {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  for (const child of childrenOf(pid)) kill(child);
  kill(-pid);
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readText(`/proc/${name}/stat`);
    // "pid (comm) state ppid …"; comm may hold spaces and parens.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) out.push(Number(name));
  }
  return out;
}

function readText(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}
