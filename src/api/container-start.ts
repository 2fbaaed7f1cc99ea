/**
 * Detached containers: `run -d` (make one and start it under a supervisor of
 * its own, supervisor.ts) and `start` (start a stopped one again: detached,
 * or attached with `-a`, where this process is its supervisor as a
 * foreground `run` is). A container started again keeps its filesystem
 * changes, and its log grows, as under Docker.
 */
import type { Readable, Writable } from 'node:stream';
import { TsbuildError } from '../errors.js';
import { abortable } from '../util/abort.js';
import { pickRunner, type RunnerKind } from '../runtime/run/pick.js';
import type { SizeSource } from '../runtime/run/runner.js';
import { settleDead } from './container-rootfs.js';
import {
  attached,
  createContainer,
  withExitCode,
  type RunningContainer,
  type RunRequest,
} from './run.js';
import { startContainer } from './run-start.js';
import { openStore, type StoreOptions } from './store.js';
import { spawnSupervisor } from './supervisor.js';

export interface DetachedRunRequest extends Omit<
  RunRequest,
  'stdin' | 'stdout' | 'stderr' | 'size' | 'signal'
> {
  /** `-i`: the process's stdin stays open (nothing is written to it: no one attaches). */
  interactive?: boolean;
  /** How to start this package's CLI, which supervises the container (default: node and bin/tsbuild.js). */
  cli?: string[];
  /** Told the ID as soon as the container is made, before it starts (`docker run -d` prints it then). */
  onCreated?: (id: string) => void;
}

/**
 * `docker run -d`: make the container and start it under a supervisor of its
 * own; resolves to its ID once its process has started. Rejects as `run`'s
 * result does (`data.exitCode` 125, 126 or 127; `data.id` once it was made).
 * @example
 *   const id = await runDetached({ image: 'busybox', name: 'ctr', command: ['sleep', '60'] });
 *   await stopContainer({ container: 'ctr' });
 */
export async function runDetached(req: DetachedRunRequest): Promise<string> {
  let id: string | undefined;
  try {
    const { store, record } = await createContainer(req, { openStdin: req.interactive ?? false });
    id = record.id;
    req.onCreated?.(id);
    await spawnSupervisor(store, id, req.cli);
    return id;
  } catch (e) {
    throw withId(withExitCode(e), id);
  }
}

export interface StartRequest extends StoreOptions {
  /** ID, name or ID prefix. */
  container: string;
  /** How to start this package's CLI (see DetachedRunRequest). */
  cli?: string[];
}

/**
 * `docker start`: start a stopped container under a supervisor of its own;
 * one already running is left as it is. Resolves to its ID.
 * @example
 *   await startDetached({ container: 'ctr' });
 */
export async function startDetached(req: StartRequest): Promise<string> {
  const store = await openStore(req);
  await settleDead(store);
  const r = await store.containers.resolve(req.container);
  if (r.state.status === 'running') return r.id;
  try {
    await spawnSupervisor(store, r.id, req.cli);
  } catch (e) {
    throw withExitCode(e);
  }
  return r.id;
}

export interface AttachedStartRequest extends StoreOptions {
  container: string;
  /** `-i`: what the process reads. */
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  /** With a terminal (a container made with -t): its size follows this one. */
  size?: SizeSource;
  /** Aborting kills the container (SIGKILL), then rejects `result` with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * `docker start -a`: start a stopped container and wait for it, its output
 * on the caller's streams (and in its log), as a foreground `run`. A running
 * container cannot be attached to (its supervisor is another process): that
 * is refused.
 * @example
 *   const c = startAttached({ container: 'ctr', stdout: process.stdout, stderr: process.stderr });
 *   (await c.result).exitCode;
 */
export function startAttached(req: AttachedStartRequest): RunningContainer {
  return attached(req, (io, relay) =>
    abortable(req.signal, async () => {
      try {
        const store = await openStore(req);
        await settleDead(store);
        const record = await store.containers.resolve(req.container);
        if (record.state.status === 'running')
          throw new TsbuildError(
            'CONTAINER_RUNNING',
            `container ${record.id} is running under another process: tsbuild cannot attach to it (see tsbuild logs -f)`,
            { id: record.id },
          );
        const runner = pickRunner(record.config.runtime as RunnerKind);
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
    }),
  );
}

function withId(e: unknown, id: string | undefined): unknown {
  if (!(e instanceof TsbuildError) || id === undefined || e.data.id !== undefined) return e;
  const out = new TsbuildError(e.code, e.message, { ...e.data, id });
  out.stack = e.stack;
  return out;
}
