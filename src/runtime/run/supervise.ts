/**
 * Watching one sandboxed run to its end, for every runner: stdio piped
 * through (never ended: the caller's streams outlive the run), abort and
 * timeout turned into a kill and then a rejection, the exit status as a
 * number (128 + n for a signal, as a shell reports it). With a terminal
 * (terminal.ts), the run ends once the terminal's last output is written too.
 */
import { constants } from 'node:os';
import { TsbuildError } from '../../errors.js';
import type { Child } from './launcher.js';
import type { RunIo, RunOptions } from './runner.js';

export interface Supervised {
  /** The runtime's `run` (spawned, or started by the launcher), or the sandbox's `unshare`. */
  child: Child;
  /** Named in errors. */
  id: string;
  /** What to call the program that failed to start. */
  runtime: string;
  /** Kill everything the run started; `exited()` says when to stop trying. */
  kill(exited: () => boolean): void;
}

/** What else a run waits for once its runtime has ended: a terminal session. */
export interface Finishing {
  /** Never rejects. */
  finish(): Promise<void>;
}

export function supervise(
  run: Supervised,
  io: RunIo,
  opts: RunOptions,
  terminal?: Finishing,
): Promise<number> {
  const { child, id } = run;
  return new Promise((resolve, reject) => {
    child.stdout!.pipe(io.stdout, { end: false });
    child.stderr!.pipe(io.stderr, { end: false });
    if (io.stdin && child.stdin) {
      child.stdin.on('error', () => {}); // EPIPE: the process did not read all of it
      io.stdin.pipe(child.stdin);
    }
    let stopped: TsbuildError | undefined;
    let exited = false;
    const stop = (err: TsbuildError) => {
      if (stopped !== undefined || exited) return;
      stopped = err;
      run.kill(() => exited);
    };
    const onAbort = () => stop(new TsbuildError('RUN_ABORTED', `run aborted: ${id}`, { id }));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timeoutMs = opts.timeoutMs;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            const why = `command timed out after ${timeoutMs} ms`;
            stop(new TsbuildError('RUN_TIMEOUT', why, { id, timeoutMs }));
          }, timeoutMs);
    const cleanup = () => {
      if (timer !== undefined) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (io.stdin && child.stdin) io.stdin.unpipe(child.stdin);
    };
    const settle = (then: () => void) => {
      if (terminal === undefined) then();
      else void terminal.finish().then(then);
    };
    child.on('error', (e) => {
      exited = true;
      cleanup();
      const why = `cannot start ${run.runtime}: ${e.message}`;
      settle(() => reject(new TsbuildError('RUNTIME_FAILED', why, { runtime: run.runtime })));
    });
    child.on('close', (code, signal) => {
      exited = true;
      cleanup();
      settle(() => {
        if (stopped !== undefined) reject(stopped);
        else resolve(code ?? 128 + (signal === null ? 0 : constants.signals[signal]));
      });
    });
  });
}
