/**
 * `run`: a container from an image, run to its end — `docker run` without a
 * daemon. The container is a RUN step whose upper dir outlives the process
 * (store/containers.ts); the process runs in the same sandbox as a RUN step
 * (runc, crun or the built-in one), with the image's Entrypoint, Cmd, Env,
 * WorkingDir and User under Docker's rules (run-config.ts).
 *
 * The container is recorded `running` with this process as its supervisor
 * before its process starts, and `exited` with its status when it ends; its
 * overlay, its network and its bundle are gone by then, whatever ended it
 * (its own exit, SIGKILL of its process, an error). A supervisor killed
 * outright leaves them to the next container command (container-rootfs.ts).
 */
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { TsbuildError } from '../errors.js';
import { abortable } from '../util/abort.js';
import type { ImageConfig } from '../image/types.js';
import { pickRunner, type RunnerKind } from '../runtime/run/pick.js';
import type { ExtraHost, Runner, SizeSource } from '../runtime/run/runner.js';
import type { ContainerMount, ContainerRecord, RunConfig } from '../store/containers.js';
import type { ImageRecord, Store } from '../store/store.js';
import { StoreError } from '../store/errors.js';
import { settleDead } from './container-rootfs.js';
import { startContainer, SignalRelay, type RunResult } from './run-start.js';
import {
  mergeEnv,
  parseEnvFile,
  readEnvFlags,
  resolveCommand,
  resolveHostname,
  resolveWorkdir,
} from './run-config.js';
import { checkDuplicates, imageVolumes, parseMountFlag, parseVolumeFlag } from './run-mounts.js';
import { openStore, type StoreOptions } from './store.js';
import { checkExtraHosts } from './build-run-settings.js';

export type RunNetworkMode = 'default' | 'bridge' | 'none' | 'host';

export interface RunRequest extends StoreOptions {
  /** The image: a reference, an ID or an ID prefix; pulled when the store lacks it. */
  image: string;
  /** COMMAND [ARG…]: replaces the image's Cmd. */
  command?: string[];
  /** `--entrypoint`; '' leaves none. */
  entrypoint?: string;
  /** `-e K=V` / `-e K` (K then from `env`, the caller's environment). */
  environment?: string[];
  /** `--env-file` paths (relative to `cwd`), read before `environment`. */
  envFiles?: string[];
  workdir?: string;
  /** `-u user[:group]`. */
  user?: string;
  /** `-v` values. */
  volumes?: string[];
  /** `--mount` values. */
  mounts?: string[];
  network?: RunNetworkMode;
  /** `--rm`: remove the container (and its anonymous volumes) when it ends. */
  rm?: boolean;
  name?: string;
  /** `-i`: what the process reads on its stdin (none: /dev/null). */
  stdin?: Readable;
  /**
   * `-t`: a pseudo-terminal for the process (its stdout and stderr both come on
   * `stdout`, as under `docker run -t`); with `stdin` a TTY, that is put in raw
   * mode for the run (runtime/run/runner.ts).
   */
  tty?: boolean;
  /** With `tty`: the terminal's size follows this one (default `stdout` when it is a TTY). */
  size?: SizeSource;
  readOnly?: boolean;
  hostname?: string;
  /** `--add-host`: lines `IP<tab>HOST` added to its /etc/hosts. */
  addHosts?: ExtraHost[];
  /** `--init`: Docker's init (tini) as pid 1, the command under it. */
  init?: boolean;
  runtime?: RunnerKind;
  /** Where relative --env-file paths start; the process's cwd by default. */
  cwd?: string;
  /** Output goes here instead of the returned streams. */
  stdout?: Writable;
  stderr?: Writable;
  /** Aborting kills the container (SIGKILL), then rejects `result` with `signal.reason`. */
  signal?: AbortSignal;
  /** Told when the image has to be pulled first (Docker's "Unable to find image … locally"). */
  onPull?: (line: string) => void;
}

export interface RunningContainer {
  /** The process's output (empty when `stdout` / `stderr` were given): read it, or the process waits. */
  stdout: Readable;
  stderr: Readable;
  /**
   * The container once it has ended. Rejects with a TsbuildError when it could
   * not run; `data.exitCode` is then what `docker run` exits with (126: not
   * executable, 127: not found, else 125) and `data.id` the container, if made.
   */
  result: Promise<RunResult>;
  /** Send a signal to the container's process (queued until it starts). */
  kill(signal: NodeJS.Signals): void;
}

/**
 * Run a container.
 * @example
 *   const c = run({ image: 'busybox', command: ['sh', '-c', 'echo hi; exit 3'], rm: true });
 *   c.stdout.pipe(process.stdout);
 *   (await c.result).exitCode; // 3
 */
export function run(req: RunRequest): RunningContainer {
  return attached(req, (io, relay) => abortable(req.signal, () => runToEnd(req, io, relay)));
}

/**
 * A container run to its end with its output on the caller's streams (or on
 * the returned ones) and the caller's signals relayed: `run`, `start -a`.
 */
export function attached(
  req: { stdout?: Writable; stderr?: Writable },
  work: (io: { stdout: Writable; stderr: Writable }, relay: SignalRelay) => Promise<RunResult>,
): RunningContainer {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const relay = new SignalRelay();
  const result = work(
    { stdout: req.stdout ?? stdout, stderr: req.stderr ?? stderr },
    relay,
  ).finally(() => {
    stdout.end();
    stderr.end();
  });
  // The caller awaits it; unhandled only if they never do.
  result.catch(() => undefined);
  return { stdout, stderr, result, kill: (s) => relay.send(s) };
}

async function runToEnd(
  req: RunRequest,
  io: { stdout: Writable; stderr: Writable },
  relay: SignalRelay,
): Promise<RunResult> {
  try {
    const { store, record, runner } = await createContainer(req);
    return await startContainer(store, record, runner, {
      ...io,
      relay,
      ...(req.stdin ? { stdin: req.stdin } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
      ...(req.size ? { size: req.size } : {}),
    });
  } catch (e) {
    throw withExitCode(e);
  }
}

/**
 * The container `req` asks for, made (state `created`) from its image (pulled
 * first when the store lacks it), and the runner that will run it; `docker
 * create`. `openStdin`: -i without a stream to read (a detached run's stdin
 * stays open, nobody writing to it).
 */
export async function createContainer(
  req: RunRequest,
  opts: { openStdin?: boolean } = {},
): Promise<{ store: Store; record: ContainerRecord; runner: Runner }> {
  const store = await openStore(req);
  await settleDead(store);
  const image = await findOrPull(store, req);
  const config = await store.config(image);
  const layers = (await store.manifest(image)).layers.map((l) => l.digest);
  const runner = pickRunner(req.runtime ?? 'auto');
  const configFor = runConfig(req, config, opts.openStdin ?? req.stdin !== undefined);
  const record = await store.containers.create({
    kind: 'run',
    image: { id: image.id, ref: req.image },
    layers,
    config: configFor,
    ...(req.name !== undefined ? { name: req.name } : {}),
  });
  return { store, record, runner };
}

/** Docker's exit status for an error of its own: 126/127 when the command could not run, else 125. */
export function withExitCode(e: unknown): unknown {
  if (!(e instanceof TsbuildError)) return e;
  const code = e.data.exitCode;
  if (code === 126 || code === 127) return e;
  const out = new TsbuildError(e.code, e.message, { ...e.data, exitCode: 125 });
  out.stack = e.stack;
  return out;
}

/** The image, pulled first when the store has none by that name (as `docker run` does). */
async function findOrPull(store: Store, req: RunRequest): Promise<ImageRecord> {
  try {
    return await store.resolve(req.image);
  } catch (e) {
    if (!(e instanceof StoreError && e.code === 'NO_SUCH_IMAGE')) throw e;
  }
  const { familiarName } = await import('../image/reference.js');
  let shown: string;
  try {
    shown = familiarName(req.image);
  } catch {
    throw new StoreError('NO_SUCH_IMAGE', `No such image: ${req.image}`, { name: req.image });
  }
  req.onPull?.(`Unable to find image '${shown}' locally`);
  const { pullInto } = await import('./pull.js');
  const pulled = await pullInto(store, {
    reference: req.image,
    ...(req.env ? { env: req.env } : {}),
    ...(req.signal ? { signal: req.signal } : {}),
  });
  return store.resolve(pulled.id);
}

/** The container's config from the image's and the request, Docker's rules (run-config.ts). */
function runConfig(
  req: RunRequest,
  image: ImageConfig,
  openStdin: boolean,
): (id: string) => RunConfig {
  const c = image.config ?? {};
  const lookup = req.env ?? process.env;
  const network = req.network ?? 'default';
  if (!['default', 'bridge', 'none', 'host'].includes(network))
    throw new TsbuildError('BAD_NETWORK', `network ${network} not found`, { network });
  const fromFiles = (req.envFiles ?? []).flatMap((f) => {
    const path = resolvePath(req.cwd ?? process.cwd(), f);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new TsbuildError(
        'BAD_ENV',
        `open ${f}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`,
        { file: f },
      );
    }
    return parseEnvFile(text, f, lookup);
  });
  const env = mergeEnv(c.Env, [...fromFiles, ...readEnvFlags(req.environment ?? [], lookup)]);
  const command = resolveCommand(c, {
    ...(req.entrypoint !== undefined ? { entrypoint: req.entrypoint } : {}),
    ...(req.command ? { command: req.command } : {}),
  });
  const mounts: ContainerMount[] = [
    ...(req.volumes ?? []).map(parseVolumeFlag),
    ...(req.mounts ?? []).map(parseMountFlag),
  ];
  checkDuplicates(mounts);
  // Docker's daemon gives each of the image's VOLUMEs an anonymous volume of its own.
  mounts.push(...imageVolumes(c.Volumes, mounts));
  const cwd = resolveWorkdir(c, req.workdir);
  // Checked before the container is made, as the ID it defaults to is not needed for that.
  resolveHostname('0'.repeat(12), req.hostname, network);
  const extraHosts =
    req.addHosts && req.addHosts.length > 0
      ? checkExtraHosts(req.addHosts).map((h) => `${h.host}:${h.ip}`)
      : undefined;
  return (id) => ({
    ...command,
    env,
    cwd,
    user: req.user ?? c.User ?? '',
    hostname: resolveHostname(id, req.hostname, network),
    mounts,
    binds: req.volumes ?? [],
    network,
    readOnly: req.readOnly ?? false,
    init: req.init ?? false,
    autoRemove: req.rm ?? false,
    tty: req.tty ?? false,
    openStdin,
    runtime: req.runtime ?? 'auto',
    ...(extraHosts ? { extraHosts } : {}),
  });
}

export type { ContainerMount, ContainerRecord, RunConfig, RunResult };
