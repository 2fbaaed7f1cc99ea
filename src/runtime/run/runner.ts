/**
 * What every process runner offers: OciRunner (runc, crun) and BuiltinRunner
 * (util-linux unshare and a small helper). The build calls `run` and does not care which.
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
}

export interface RunOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Where per-run dirs (bundles) and runtime state live; created when missing. */
  workRoot: string;
}

export interface Runner {
  /** 'runc', 'crun' (or the binary given), 'builtin'. */
  readonly name: string;
  /**
   * Run `spec` with `rootfs` as its root; resolves to the exit code (128+n for a
   * signal); rejects with RUN_ABORTED / RUN_TIMEOUT, COMMAND_NOT_FOUND (data.exitCode
   * 127), UNKNOWN_USER, UNSAFE_CWD, RUNTIME_FAILED.
   */
  run(rootfs: string, spec: RunSpec, io: RunIo, opts: RunOptions): Promise<number>;
}

export const DEFAULT_HOSTNAME = 'buildkitsandbox';
