/**
 * `tsbuild debug CONTAINER [COMMAND…]`: a command (default `sh`) in a stopped
 * container, in exactly the state it was left in — its layers and its upper
 * dir, its environment, working directory, user, hostname and network. Made
 * for the failed build step kept by build/effects/keep-failed.ts (and any
 * container whose process failed): look at the partial output, run the
 * command again by hand, then `commit` or `rm` it. What the command writes
 * stays in the container, as a RUN's writes stay in its layer.
 *
 * Docker has no verb for this (`docker exec` needs a running container, and
 * `docker start` runs the original command again); it is `start` with another
 * command, the container's own record left as it was.
 */
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { TsbuildError } from '../errors.js';
import { abortable } from '../util/abort.js';
import { pickRunner, type RunnerKind } from '../runtime/run/pick.js';
import type { SizeSource } from '../runtime/run/runner.js';
import { liveState } from '../store/containers.js';
import { settleDead } from './container-rootfs.js';
import { withExitCode, type RunningContainer } from './run.js';
import { SignalRelay, startContainer, type RunResult } from './run-start.js';
import { openStore, type StoreOptions } from './store.js';

export interface DebugRequest extends StoreOptions {
  /** The container: ID, unique ID prefix or name. */
  container: string;
  /** What to run; default `sh`, looked up in the container's PATH. */
  command?: string[];
  /** A pseudo-terminal for the command (`tsbuild debug` gives one when its input and output are terminals). */
  tty?: boolean;
  /** With `tty`: the terminal's size follows this one (default `stdout` when it is a TTY). */
  size?: SizeSource;
  stdin?: Readable;
  /** Where the output goes; default the returned streams. */
  stdout?: Writable;
  stderr?: Writable;
  /** Aborting kills the process (SIGKILL), then rejects `result` with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Run a command in a stopped container.
 * @example
 *   const d = debug({ container: 'a1b2c3d4e5f6', command: ['cat', '/work/out'] });
 *   d.stdout.pipe(process.stdout);
 *   (await d.result).exitCode;
 */
export function debug(req: DebugRequest): RunningContainer {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const relay = new SignalRelay();
  const result = abortable(req.signal, () =>
    debugToEnd(req, req.stdout ?? stdout, req.stderr ?? stderr, relay),
  ).finally(() => {
    stdout.end();
    stderr.end();
  });
  result.catch(() => undefined);
  return { stdout, stderr, result, kill: (s) => relay.send(s) };
}

async function debugToEnd(
  req: DebugRequest,
  stdout: Writable,
  stderr: Writable,
  relay: SignalRelay,
): Promise<RunResult> {
  try {
    const store = await openStore(req);
    await settleDead(store);
    const record = await store.containers.resolve(req.container);
    if (liveState(record.state).status === 'running')
      throw new TsbuildError(
        'CONTAINER_RUNNING',
        `container ${record.id.slice(0, 12)} is running: debug opens a shell in a stopped container; stop it first`,
        { id: record.id },
      );
    const command = req.command && req.command.length > 0 ? req.command : ['sh'];
    // The record on disk keeps its own config: startContainer only writes the state.
    const config = {
      ...record.config,
      entrypoint: null,
      cmd: command,
      args: command,
      tty: req.tty ?? false,
      openStdin: req.stdin !== undefined,
      init: false,
      autoRemove: false,
    };
    return await startContainer(
      store,
      { ...record, config },
      pickRunner(runnerKind(record.config.runtime)),
      {
        stdout,
        stderr,
        relay,
        ...(req.stdin ? { stdin: req.stdin } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
        ...(req.size ? { size: req.size } : {}),
      },
    );
  } catch (e) {
    // As `docker run`: 126/127 when the command could not run, else 125 (ours).
    throw withExitCode(e);
  }
}

/** The runner the container ran under; a runtime binary given by path runs as `auto` picks. */
function runnerKind(name: string): RunnerKind {
  return name === 'runc' || name === 'crun' || name === 'builtin' ? name : 'auto';
}
