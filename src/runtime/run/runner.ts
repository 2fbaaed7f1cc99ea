/**
 * What every process runner offers: OciRunner (runc, crun) and BuiltinRunner
 * (util-linux unshare and a small helper). The build calls `run` and does not care which.
 *
 * A run with a terminal (`tsbuild run -t`): set `spec.terminal` to the size
 * and pass the caller's own streams. Every runner then gives the process a
 * pseudo-terminal made in the container's devpts (runc and crun through
 * `process.terminal` and `--console-socket`, the built-in sandbox through its
 * helper) as its controlling terminal and its stdin, stdout and stderr, so
 * its stderr arrives on `io.stdout`, as under `docker run -t`; `io.stderr`
 * then carries only the runtime's own messages. TERM=xterm is added unless
 * `spec.env` sets TERM (Docker does the same). For the session the runner:
 *
 * - copies `io.stdin` (when given) to the terminal and the terminal to
 *   `io.stdout`, and resolves only once the terminal's last output is written;
 * - puts `io.stdin` in the docker CLI's raw mode when it is a TTY (a
 *   tty.ReadStream with its fd), so Ctrl-C, Ctrl-Z and Ctrl-\ reach the
 *   terminal as bytes and its line discipline signals the container's
 *   foreground processes (SIGINT: exit status 130 when that ends them), and
 *   restores the mode on every way out, process exit included;
 * - follows `io.size` (default: `io.stdout` when it is a TTY, whose 'resize'
 *   comes from SIGWINCH), resizing the container's terminal, which sends it
 *   SIGWINCH. A caller whose `io.stdout` is not the terminal itself (a tee to
 *   a log) passes `size: process.stdout`;
 * - watches `io.stdin` for Docker's detach keys, Ctrl-P Ctrl-Q. A foreground
 *   run has no daemon to hand its terminal to, so it cannot detach: the two
 *   keys are passed on to the container all the same, and a one-line notice
 *   on `io.stderr` says so.
 *
 * Exit status, abort, timeout and clean-up are the same as without a
 * terminal. It needs the terminal addon npm builds (native/terminal.c); a
 * build without it fails the run with TERMINAL_UNAVAILABLE.
 *
 * @example
 * // What `tsbuild run -it IMAGE sh` does with its runner (terminal.ts's terminalSizeOf):
 * const code = await runner.run(rootfs,
 *   { ...spec, terminal: terminalSizeOf(process.stdout) },
 *   { stdin: process.stdin, stdout: toLogAndTerminal, stderr: process.stderr, size: process.stdout },
 *   { workRoot });
 */
import type { Readable, Writable } from 'node:stream';

export interface RunSpec {
  args: string[];
  env: string[];
  cwd: string;
  /** Dockerfile USER syntax: '', name, uid, name:group, uid:gid … */
  user: string;
  /** Default 'buildkitsandbox', the name a RUN sees under `docker build`. */
  hostname?: string;
  network: RunNetwork;
  /**
   * More mounts, after the sandbox's own, in order (RUN --mount). A missing
   * target is created for the run (a directory, or an empty file for a bind of
   * a file) and removed afterwards when still empty; a caller that wants it to
   * stay in the layer, as BuildKit leaves directories, creates it first.
   */
  mounts?: RunMount[];
  /** A pseudo-terminal of this size for the process (`-t`); see the top of this file. */
  terminal?: TerminalSize;
  /** The root filesystem mounted read-only (`run --read-only`); mounts stay as they are. */
  readonlyRootfs?: boolean;
  /**
   * A user with no supplementary group gets its primary group as one, as under
   * `docker run` (`id` says groups=1000(app)); a RUN step, as under BuildKit, gets none.
   */
  primaryGroupSupplementary?: boolean;
  /** `--add-host`: lines added to the sandbox's /etc/hosts, after its own two. */
  extraHosts?: readonly ExtraHost[];
  /** `--shm-size`: the size of /dev/shm in bytes (default 64 MiB, as Docker's). */
  shmSize?: number;
  /** `--ulimit`: the process's resource limits; any not named are inherited from tsbuild. */
  rlimits?: readonly Rlimit[];
}

/** One `--add-host NAME:IP` entry. */
export interface ExtraHost {
  host: string;
  ip: string;
}

/**
 * One `--ulimit NAME=SOFT[:HARD]`: `name` is go-units' (nofile, nproc, core…),
 * -1 is unlimited (RLIM_INFINITY).
 */
export interface Rlimit {
  name: RlimitName;
  soft: number;
  hard: number;
}

/** The names Docker's `--ulimit` takes (go-units ulimitNameMapping). */
export const RLIMIT_NAMES = [
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
] as const;
export type RlimitName = (typeof RLIMIT_NAMES)[number];

/** What changes a RUN's outcome besides its command: the build's `--add-host`, `--shm-size`, `--ulimit`. */
export type RunSettings = Pick<RunSpec, 'extraHosts' | 'shmSize' | 'rlimits'>;

/** A terminal's size in character cells; 0 for either: unknown (what Docker gives when its output is not a TTY). */
export interface TerminalSize {
  rows: number;
  cols: number;
}

/**
 * Where a terminal's size changes come from: a tty.WriteStream has this shape
 * (columns, rows and a 'resize' event on SIGWINCH); any EventEmitter with the
 * two numbers will do.
 */
export interface SizeSource {
  readonly columns: number;
  readonly rows: number;
  on(event: 'resize', listener: () => void): unknown;
  off(event: 'resize', listener: () => void): unknown;
}

/**
 * 'none': a namespace of its own with only loopback; 'host': the host's; or
 * an existing namespace to join (runtime/network), with the name servers its
 * resolv.conf gets (default: the host's).
 */
export type RunNetwork = 'host' | 'none' | { netns: string; nameservers?: string[] };

/**
 * A bind mount of a host path, or a tmpfs. `options` are mount(8)'s, which are
 * also the OCI spec's: 'ro' or 'rw', 'nosuid', 'nodev', 'noexec', 'size=…',
 * 'mode=…', 'uid=…', 'gid=…'.
 */
export interface RunMount {
  type: 'bind' | 'tmpfs';
  /** The host path for a bind; ignored for tmpfs. */
  source: string;
  /** Absolute path in the container. */
  target: string;
  options: string[];
}

export interface RunIo {
  stdout: Writable;
  stderr: Writable;
  stdin?: Readable;
  /** With `spec.terminal`: its size follows this one; default `stdout` when it is a TTY. */
  size?: SizeSource;
}

export interface RunOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Where per-run dirs (bundles) and runtime state live; created when missing. */
  workRoot: string;
  /**
   * Called once the process is being started, with a handle on it: `tsbuild
   * run` forwards its signals through it and records the process's pid.
   */
  started?: (process: StartedProcess) => void;
}

/** The process of a run, while it runs. */
export interface StartedProcess {
  /**
   * Send `signal` to the container's first process; false when it could not
   * be sent (not created yet, or gone). As for any pid 1 of a pid namespace,
   * only a signal it handles reaches it, SIGKILL always.
   */
  kill(signal: NodeJS.Signals): Promise<boolean>;
  /** The host pid of the container's first process; undefined before it runs or after it ended. */
  pid(): Promise<number | undefined>;
}

export interface Runner {
  /** 'runc', 'crun' (or the binary given), 'builtin'. */
  readonly name: string;
  /**
   * Run `spec` with `rootfs` as its root; resolves to the exit code (128+n for a
   * signal); rejects with RUN_ABORTED / RUN_TIMEOUT, COMMAND_NOT_FOUND (data.exitCode
   * 127), UNKNOWN_USER, UNSAFE_CWD, RUNTIME_FAILED, TERMINAL_UNAVAILABLE.
   */
  run(rootfs: string, spec: RunSpec, io: RunIo, opts: RunOptions): Promise<number>;
}

export const DEFAULT_HOSTNAME = 'buildkitsandbox';
