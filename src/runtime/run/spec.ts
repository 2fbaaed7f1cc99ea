/**
 * The OCI runtime-spec config.json of one RUN, as Docker 20.10 writes it for
 * `docker run` (moby oci/defaults.go + daemon/oci_linux.go), so a RUN here
 * sees the same sandbox as under `docker build`:
 *
 * - capabilities: Docker's 14 defaults (CapEff 00000000a80425fb for root).
 *   Inheritable is empty (CVE-2022-24769); a non-root user gets them in the
 *   bounding set only, "to match what execve does" (oci.SetCapabilities).
 * - Docker's default seccomp profile (seccomp.ts), and no no_new_privs: BuildKit
 *   sets none for a step, so a setuid binary (sudo) works in RUN as it does there.
 * - the masked and read-only /proc and /sys paths, the device cgroup
 *   allow-list, and namespaces mount/uts/pid/ipc (+ net for 'none').
 * - no cgroup namespace: Docker 20.10 on cgroup v1 shares the host's.
 * - no rlimits: Docker 20.10 sets none unless asked (--ulimit, default-ulimits),
 *   so the process inherits ours. Raising NOFILE needs CAP_SYS_RESOURCE, which
 *   the caller may lack (CI sandboxes drop it); setting one then fails the run.
 *   `--ulimit` sets `process.rlimits`, which the runtime applies before exec.
 * - /dev/shm is 64 MiB unless `--shm-size` says otherwise (size= in bytes, as dockerd writes it).
 */

import { TsbuildError } from '../../errors.js';
import type { Rlimit, RunMount, RunNetwork, TerminalSize } from './runner.js';
import { defaultSeccomp, type OciSeccomp } from './seccomp.js';
import { compileSeccomp } from './seccomp-bpf.js';

/** The parts of runtime-spec we write; enough to type-check what we build. */
export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    consoleSize?: { height: number; width: number };
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: Record<'bounding' | 'effective' | 'permitted', string[]>;
    rlimits?: OciRlimit[];
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  annotations: Record<string, string>;
  mounts: OciMount[];
  linux: {
    namespaces: { type: string; path?: string }[];
    maskedPaths: string[];
    readonlyPaths: string[];
    resources: { devices: DeviceRule[] };
    seccomp: OciSeccomp;
  };
}

/**
 * runtime-spec's rlimit. A limit of 'unlimited' stands for RLIM_INFINITY (2^64-1,
 * more than a JS number holds exactly): specJson writes it as that number.
 */
export interface OciRlimit {
  type: string;
  soft: number | 'unlimited';
  hard: number | 'unlimited';
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface DeviceRule {
  allow: boolean;
  type?: 'a' | 'b' | 'c';
  major?: number;
  minor?: number;
  access: string;
}

export interface SpecOptions {
  rootfs: string;
  args: string[];
  env: string[];
  cwd: string;
  user: { uid: number; gid: number; additionalGids: number[]; home: string };
  hostname: string;
  network: RunNetwork;
  /**
   * False when the runtime runs without cgroups (see cgroups.ts): with no device
   * cgroup, CAP_MKNOD would let the process make and open a node for a host disk,
   * so it is dropped.
   */
  deviceCgroup?: boolean;
  /** Files bind-mounted read-write over the rootfs, e.g. /etc/hosts from the bundle. */
  binds: { source: string; destination: string }[];
  /** RUN --mount's, after the sandbox's own. */
  mounts?: readonly RunMount[];
  /** A terminal of this size (`-t`): the runtime makes it and sends it over --console-socket. */
  terminal?: TerminalSize;
  /** `run --read-only`: the runtime remounts the root read-only once its mounts are made. */
  readonlyRootfs?: boolean;
  /** `--shm-size` in bytes (default 64 MiB). */
  shmSize?: number;
  /** `--ulimit`s. */
  rlimits?: readonly Rlimit[];
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** moby oci.DefaultCapabilities. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

export const MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
];

export const READONLY_PATHS = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

const char = (
  major: number | undefined,
  minor: number | undefined,
  access = 'rwm',
): DeviceRule => ({
  allow: true,
  type: 'c',
  ...(major === undefined ? {} : { major }),
  ...(minor === undefined ? {} : { minor }),
  access,
});

/**
 * Docker's list (deny all; null, zero, full, random, urandom, tty, console; never
 * fuse), then runc's AllowedDevices that runc appends anyway (mknod of any
 * node, /dev/pts/*, ptmx, tun), written out so crun grants the same.
 */
export const DEVICE_RULES: DeviceRule[] = [
  { allow: false, access: 'rwm' },
  char(1, 5),
  char(1, 3),
  char(1, 9),
  char(1, 8),
  char(5, 0),
  char(5, 1),
  { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
  char(undefined, undefined, 'm'),
  { allow: true, type: 'b', access: 'm' },
  char(1, 7),
  char(136, undefined),
  char(5, 2),
  char(10, 200),
];

/**
 * The config.json for one process.
 *
 * @example
 * const spec = runtimeSpec({ rootfs, args: ['sh', '-c', 'id'], env: [], cwd: '/', hostname: 'buildkitsandbox',
 *   user: { uid: 0, gid: 0, additionalGids: [], home: '/root' }, network: 'none', binds: [] });
 * spec.process.env // ['PATH=/usr/local/sbin:…', 'HOME=/root']
 */
export function runtimeSpec(opts: SpecOptions): OciSpec {
  const caps =
    opts.deviceCgroup === false
      ? DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_MKNOD')
      : DEFAULT_CAPABILITIES;
  const root = opts.user.uid === 0;
  const { seccomp, annotations } = seccompFor(caps);
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: opts.terminal !== undefined,
      // runc and crun size the terminal before the process starts: no race with its first `stty size`.
      ...(opts.terminal !== undefined && opts.terminal.rows > 0 && opts.terminal.cols > 0
        ? { consoleSize: { height: opts.terminal.rows, width: opts.terminal.cols } }
        : {}),
      user: {
        uid: opts.user.uid,
        gid: opts.user.gid,
        ...(opts.user.additionalGids.length > 0
          ? { additionalGids: opts.user.additionalGids }
          : {}),
      },
      args: opts.args,
      env: processEnv(opts.env, opts.user.home, opts.terminal !== undefined),
      cwd: opts.cwd,
      capabilities: { bounding: caps, effective: root ? caps : [], permitted: root ? caps : [] },
      ...(opts.rlimits && opts.rlimits.length > 0 ? { rlimits: opts.rlimits.map(ociRlimit) } : {}),
    },
    root: { path: opts.rootfs, readonly: opts.readonlyRootfs === true },
    hostname: opts.hostname,
    annotations: { ...annotations },
    mounts: [
      ...defaultMounts(opts.shmSize),
      ...opts.binds.map(bindMount),
      ...(opts.mounts ?? []).map(runMount),
    ],
    linux: {
      namespaces: [
        { type: 'mount' },
        ...networkNamespace(opts.network),
        { type: 'uts' },
        { type: 'pid' },
        { type: 'ipc' },
      ],
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
      resources: { devices: DEVICE_RULES },
      seccomp,
    },
  };
}

/** The capability numbers of linux/capability.h, for the built-in sandbox's bit mask. */
const CAPABILITY_BITS = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
];

/**
 * `caps` as the hex bit mask capset(2) takes.
 *
 * @example
 * capabilityMask(DEFAULT_CAPABILITIES) // 'a80425fb'
 */
export function capabilityMask(caps: readonly string[]): string {
  let mask = 0n;
  for (const c of caps) {
    const bit = CAPABILITY_BITS.indexOf(c.replace(/^CAP_/, ''));
    if (bit < 0) throw new Error(`unknown capability ${c}`);
    mask |= 1n << BigInt(bit);
  }
  return mask.toString(16);
}

/**
 * The profile and its compiled filter for `caps`, made once a process per set
 * of capabilities (there are two): compiling it was a millisecond and a half
 * of every RUN step, on the thread that runs the build.
 */
const seccompCache = new Map<
  string,
  { seccomp: OciSeccomp; annotations: Record<string, string> }
>();

function seccompFor(caps: readonly string[]) {
  const key = caps.join(',');
  let entry = seccompCache.get(key);
  if (entry === undefined) {
    const seccomp = defaultSeccomp({ caps });
    entry = { seccomp, annotations: precompiledSeccomp(seccomp) };
    seccompCache.set(key, entry);
  }
  return entry;
}

/**
 * crun loads the filter from this annotation, as given, instead of compiling
 * the profile with libseccomp; runc ignores it. The filter is ours
 * (seccomp-bpf.ts), with runc's ENOSYS answer past the newest named system
 * call that crun 1.8's own compilation lacks (it answers EPERM there, where
 * Docker's runc answers ENOSYS). Only on x86, the one family it compiles for.
 */
function precompiledSeccomp(seccomp: OciSeccomp): Record<string, string> {
  try {
    return { 'run.oci.seccomp_bpf_data': compileSeccomp(seccomp).toString('base64') };
  } catch (e) {
    if (e instanceof TsbuildError && e.code === 'SECCOMP_UNSUPPORTED') return {};
    throw e;
  }
}

/**
 * `env` with PATH and HOME filled in when it lacks them, as Docker and runc
 * do, and with a terminal TERM=xterm unless set (Docker's
 * CreateDaemonEnvironment for `-t`).
 */
export function processEnv(env: string[], home: string, terminal = false): string[] {
  const has = (name: string) => env.some((e) => e.startsWith(`${name}=`));
  return [
    ...env,
    ...(has('PATH') ? [] : [`PATH=${DEFAULT_PATH}`]),
    ...(has('HOME') ? [] : [`HOME=${home}`]),
    ...(terminal && !has('TERM') ? ['TERM=xterm'] : []),
  ];
}

/** Docker's /dev/shm: 64 MiB. */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** The tmpfs options of /dev/shm; Docker's default is written `65536k`, as runc's spec has it. */
export function shmOptions(size: number | undefined): string[] {
  const bytes = size === undefined || size === DEFAULT_SHM_SIZE ? '65536k' : String(size);
  return ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${bytes}`];
}

/** `nofile` → RLIMIT_NOFILE; -1 → unlimited. */
function ociRlimit(r: Rlimit): OciRlimit {
  const v = (n: number) => (n === -1 ? ('unlimited' as const) : n);
  return { type: `RLIMIT_${r.name.toUpperCase()}`, soft: v(r.soft), hard: v(r.hard) };
}

/**
 * config.json's text. An unlimited rlimit is RLIM_INFINITY, 2^64-1, which a
 * JS number cannot hold exactly: it is written as the literal. Only an rlimit
 * object has `"soft":` / `"hard":` members outside a string (a quote inside a
 * string is escaped), so the replacement touches nothing else.
 */
export function specJson(spec: OciSpec): string {
  return JSON.stringify(spec).replace(/"(soft|hard)":"unlimited"/g, '"$1":18446744073709551615');
}

function defaultMounts(shmSize?: number): OciMount[] {
  const m = (destination: string, type: string, source: string, options: string[]) => ({
    destination,
    type,
    source,
    options,
  });
  return [
    m('/proc', 'proc', 'proc', ['nosuid', 'noexec', 'nodev']),
    m('/dev', 'tmpfs', 'tmpfs', ['nosuid', 'strictatime', 'mode=755', 'size=65536k']),
    m('/dev/pts', 'devpts', 'devpts', [
      'nosuid',
      'noexec',
      'newinstance',
      'ptmxmode=0666',
      'mode=0620',
      'gid=5',
    ]),
    m('/sys', 'sysfs', 'sysfs', ['nosuid', 'noexec', 'nodev', 'ro']),
    m('/sys/fs/cgroup', 'cgroup', 'cgroup', ['ro', 'nosuid', 'noexec', 'nodev']),
    m('/dev/mqueue', 'mqueue', 'mqueue', ['nosuid', 'noexec', 'nodev']),
    m('/dev/shm', 'tmpfs', 'shm', shmOptions(shmSize)),
  ];
}

/** The name servers a joined namespace wants in resolv.conf; undefined: the host's. */
export function nameservers(network: RunNetwork): string[] | undefined {
  return typeof network === 'object' ? network.nameservers : undefined;
}

function networkNamespace(network: RunNetwork): { type: string; path?: string }[] {
  if (network === 'host') return [];
  if (network === 'none') return [{ type: 'network' }];
  return [{ type: 'network', path: network.netns }];
}

function runMount(m: RunMount): OciMount {
  return m.type === 'bind'
    ? { destination: m.target, type: 'bind', source: m.source, options: ['rbind', ...m.options] }
    : { destination: m.target, type: 'tmpfs', source: 'tmpfs', options: m.options };
}

function bindMount(b: { source: string; destination: string }): OciMount {
  return {
    destination: b.destination,
    type: 'bind',
    source: b.source,
    options: ['rbind', 'rprivate', 'ro'],
  };
}
