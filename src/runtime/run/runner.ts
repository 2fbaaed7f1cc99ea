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
  network: 'host' | 'none';
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
