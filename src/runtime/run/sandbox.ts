/**
 * The shell script the built-in sandbox runs as pid 1 of its new namespaces
 * (`unshare --mount --uts --ipc --pid --fork [--net] --propagation private`),
 * with the host's tools. It joins the step's device cgroup, mounts what runc
 * mounts for Docker's default spec onto the rootfs (itself bound onto itself,
 * so that it is a mount point to pivot into), names the host, and then execs
 * the helper (native/sandbox-init.c), which does what a shell cannot:
 *
 *   tsbuild-sandbox-init --root <rootfs> --cwd <cwd> --uid U --gid G [--groups …]
 *       --caps <Docker's, as a mask> --seccomp <filter>
 *       [--console-socket <path> --console-size ROWSxCOLS] --env K=V … -- <argv>
 *
 * It closes every inherited fd but stdio, pivot_roots into the rootfs and
 * detaches the host's tree (nothing of the host is left to reach, even with
 * CAP_SYS_CHROOT), sets groups and gid, cuts the bounding set to Docker's
 * capabilities, loads the seccomp filter, sets the capabilities and the uid,
 * and execs the command with exactly its environment. With a terminal it
 * first makes one in the sandbox's devpts and sends its master to tsbuild.
 *
 * Mounts come from two fstab files (sandboxFstabs), written into the per-run
 * dir. Setup writes its errors to a log (fd 2 until the helper's exec, the
 * step's stderr saved as fd 3) and exits SETUP_FAILED, so a failed mount is a
 * runtime error and not the command's. All mounts live in the private mount
 * namespace and go with its last process.
 */
import { statSync } from 'node:fs';
import type { Rlimit, RunMount } from './runner.js';
import { MASKED_PATHS, READONLY_PATHS, shmOptions } from './spec.js';

export const SETUP_FAILED = 125;

/** Device nodes bind-mounted from the host into the tmpfs /dev (Docker's default set). */
export const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

export interface SandboxPlan {
  /** Real path of the rootfs. */
  rootfs: string;
  /** Host paths (inside the rootfs, symlinks resolved in scope) of /proc, /dev, /sys. */
  proc: string;
  dev: string;
  sys: string;
  /** A dir whose entries (empty files, pts/ shm/ mqueue/, fd -> …) are copied into /dev. */
  devTemplate: string;
  /** Host file → host path inside the rootfs, for /etc/hosts, resolv.conf. */
  binds: { source: string; target: string }[];
  /**
   * RUN --mount's and run's mounts, in order, their targets as paths in the
   * container: the helper resolves each inside the rootfs when it mounts it.
   */
  mounts: RunMount[];
  hostname: string;
  /** The step has a network namespace of its own with only loopback: bring it up. */
  loopbackOnly: boolean;
  /** Where setup errors go. */
  log: string;
  /**
   * The cgroup.procs of the step's device cgroup (device-cgroup.ts); without
   * one, the rootfs and /dev are mounted nodev, so no node made there opens.
   */
  deviceCgroup?: string;
  /** The environment of the command, PATH and HOME filled in. */
  env: string[];
  user: { uid: number; gid: number; additionalGids: number[] };
  cwd: string;
  args: string[];
  /** The capabilities as capset's hex mask (capabilityMask). */
  caps: string;
  /** The compiled seccomp filter (seccomp-bpf.ts). */
  seccomp: string;
  /** Absolute host path of the helper. */
  init: string;
  /** A terminal (runner.ts): the console socket the helper sends its master to, and its size. */
  console?: { socket: string; rows: number; cols: number };
  /** `run --read-only`: the rootfs's own bind is made read-only (mounts onto it stay as they are). */
  readonlyRootfs?: boolean;
  /** `--shm-size` in bytes. */
  shmSize?: number;
  /** `--ulimit`s, set on the script's shell (and so inherited) by util-linux prlimit at this path. */
  rlimits?: { prlimit: string; limits: readonly Rlimit[] };
}

/**
 * The mount tables of one run, in `mount --all --fstab` form: one mount(8)
 * process each instead of one per mount (a fork and libmount's start-up,
 * ~1 ms, twenty times over). `early` comes before the /dev template is copied
 * into the fresh tmpfs, `late` binds onto what the copy made.
 */
export function sandboxFstabs(p: SandboxPlan): { early: string; late: string } {
  // Without a device cgroup nothing but nodev stops a node made in the rootfs from opening.
  const nodev = p.deviceCgroup === undefined ? ',nodev' : '';
  const early: FstabLine[] = [
    [p.rootfs, p.rootfs, 'none', `bind${nodev}`],
    ['proc', p.proc, 'proc', 'nosuid,noexec,nodev'],
    ['tmpfs', p.dev, 'tmpfs', `nosuid${nodev},strictatime,mode=755,size=65536k`],
    ['sysfs', p.sys, 'sysfs', 'nosuid,noexec,nodev,ro'],
  ];
  const late: FstabLine[] = [
    ...DEVICES.map((d): FstabLine => [`/dev/${d}`, `${p.dev}/${d}`, 'none', 'bind']),
    ['devpts', `${p.dev}/pts`, 'devpts', 'nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5'],
    ['shm', `${p.dev}/shm`, 'tmpfs', shmOptions(p.shmSize).join(',')],
    ['mqueue', `${p.dev}/mqueue`, 'mqueue', 'nosuid,noexec,nodev'],
    ...p.binds.map((b): FstabLine => [b.source, b.target, 'none', 'bind,ro']),
    ...procProtections(p),
  ];
  const text = (lines: FstabLine[]) =>
    lines.map((l) => `${l.map(fstabEscape).join(' ')} 0 0\n`).join('');
  return { early: text(early), late: text(late) };
}

/** Docker's masked paths (tmpfs or /dev/null over them) and read-only paths, in our /proc and /sys. */
function procProtections(p: SandboxPlan): FstabLine[] {
  const at = (path: string) =>
    path.startsWith('/proc/')
      ? `${p.proc}${path.slice('/proc'.length)}`
      : `${p.sys}${path.slice('/sys'.length)}`;
  return [
    ...MASKED_PATHS.flatMap((m): FstabLine[] => {
      const kind = hostKind(m);
      if (kind === 'dir') return [['tmpfs', at(m), 'tmpfs', 'ro']];
      return kind === 'file' ? [['/dev/null', at(m), 'none', 'bind']] : [];
    }),
    ...READONLY_PATHS.filter((r) => hostKind(r) !== undefined).map((r): FstabLine => [
      at(r),
      at(r),
      'none',
      'bind,ro',
    ]),
  ];
}

/** `sh -c` text for one run; every value is quoted. */
export function sandboxScript(p: SandboxPlan, fstabs: { early: string; late: string }): string {
  const fail = `|| exit ${SETUP_FAILED}`;
  const lines = [
    `exec 3>&2 2>${q(p.log)}`,
    // Before anything forks: every process of the step starts inside.
    ...(p.deviceCgroup === undefined ? [] : [`echo 0 > ${q(p.deviceCgroup)} ${fail}`]),
    `mount --all --fstab ${q(fstabs.early)} ${fail}`,
    // `run --read-only`: the rootfs's own bind only; what is mounted onto it stays writable.
    ...(p.readonlyRootfs
      ? [
          `mount -o remount,bind,ro${p.deviceCgroup === undefined ? ',nodev' : ''} ${q(p.rootfs)} ${fail}`,
        ]
      : []),
    `cp -a ${q(`${p.devTemplate}/.`)} ${q(`${p.dev}/`)} ${fail}`,
    `mount --all --fstab ${q(fstabs.late)} ${fail}`,
    // /proc/sys/kernel/hostname is the new UTS namespace's: no hostname(1) needed.
    `echo ${q(p.hostname)} > /proc/sys/kernel/hostname ${fail}`,
    ...(p.loopbackOnly ? [`ip link set lo up ${fail}`] : []),
    // Last before the exec: the limits then bind the helper and the command, not setup.
    ...(p.rlimits ? [`${prlimitCommand(p.rlimits)} ${fail}`] : []),
    `exec ${initArgv(p).map(q).join(' ')}`,
  ];
  return lines.join('\n');
}

/** `prlimit --pid $$ --nofile=1024:2048 …`: -1 is unlimited, as for the OCI runtimes. */
function prlimitCommand(r: NonNullable<SandboxPlan['rlimits']>): string {
  const v = (n: number) => (n === -1 ? 'unlimited' : String(n));
  const limits = r.limits.map((l) => q(`--${l.name}=${v(l.soft)}:${v(l.hard)}`));
  return [q(r.prlimit), '--pid', '$$', ...limits].join(' ');
}

function initArgv(p: SandboxPlan): string[] {
  const groups =
    p.user.additionalGids.length > 0 ? ['--groups', p.user.additionalGids.join(',')] : [];
  return [
    p.init,
    ...['--root', p.rootfs, '--cwd', p.cwd],
    ...['--uid', String(p.user.uid), '--gid', String(p.user.gid), ...groups],
    ...['--caps', p.caps, '--seccomp', p.seccomp],
    ...(p.console === undefined
      ? []
      : [
          '--console-socket',
          p.console.socket,
          '--console-size',
          `${p.console.rows}x${p.console.cols}`,
        ]),
    // The user's mounts are the helper's to make (sandbox-init.c): it resolves
    // each target inside the rootfs after the mounts before it, where mount(8)
    // would follow an outer mount's symlinks on the host.
    ...p.mounts.flatMap((m) => [
      '--mount',
      m.type,
      m.type === 'bind' ? m.source : 'tmpfs',
      m.target,
      m.options.join(','),
    ]),
    ...p.env.flatMap((e) => ['--env', e]),
    '--',
    ...p.args,
  ];
}

type FstabLine = [source: string, target: string, type: string, options: string];

/** fstab(5) escapes: space, tab, newline and backslash as octal. */
function fstabEscape(s: string): string {
  return s.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** What a masked or read-only /proc or /sys path is on this kernel (the sandbox's are alike). */
function hostKind(path: string): 'dir' | 'file' | undefined {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
