/**
 * A detached container's supervisor (`run -d`, `start`): no daemon, so each
 * detached container gets a process of its own that does what a foreground
 * `tsbuild run` does — mounts its root, runs it through run-start.ts, writes
 * its output to the container's log only, records itself as the supervisor,
 * and unmounts and records the exit status when it ends (or removes the
 * container, for --rm). It is this package's CLI again, with a verb no one
 * types: `tsbuild __supervise --root ROOT ID`.
 *
 * It runs in a session of its own (no terminal's hang-up reaches it), from /,
 * stdin /dev/null. Its stdout is a pipe to whoever started it, for one line
 * only: {"started":true} once the container's process has started, or
 * {"error":{…}} when it could not start (`run -d` then exits 125, 126 or 127
 * as `docker run -d` does). A pipe on stdout rather than a descriptor 3: the
 * runtimes it starts get their own stdio, so no child of it keeps the pipe
 * open after it has gone, and a supervisor that dies before it answers is
 * seen. Its stderr goes to `containers/<id>/supervisor.log`: nothing is
 * written there unless tsbuild itself fails.
 *
 * A supervisor killed outright (SIGKILL) leaves its container shown exited
 * (store/containers.ts liveState) and its mounts to the next container
 * command (container-rootfs.ts settleDead).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { TsbuildError } from '../errors.js';
import { pickRunner, type RunnerKind } from '../runtime/run/pick.js';
import { liveState } from '../store/containers.js';
import type { Store } from '../store/store.js';
import { SignalRelay, startContainer } from './run-start.js';
import { openStore } from './store.js';

/** The CLI verb that runs a supervisor (cli/main.ts). */
export const SUPERVISE_VERB = '__supervise';

/** Signals sent to a supervisor that go on to its container's process (as `tsbuild run`'s). */
const FORWARDED: NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
];

type Status = { started: true } | { error: { code: string; message: string; exitCode: number } };

/**
 * Start a supervisor for the created (or stopped) container `id`; resolves
 * once its process has started, rejects with the TsbuildError it could not
 * start with (`data.exitCode` 125, 126 or 127).
 * `cli`: how to start this package's CLI (default: node and its bin/tsbuild.js).
 */
export function spawnSupervisor(store: Store, id: string, cli?: string[]): Promise<void> {
  const [program, ...args] = cli ?? defaultCli();
  const logPath = join(store.containers.path(id), 'supervisor.log');
  const log = openSync(logPath, 'a', 0o640);
  const child = spawn(program!, [...args, SUPERVISE_VERB, '--root', store.root, id], {
    detached: true,
    stdio: ['ignore', 'pipe', log],
    cwd: '/',
    env: process.env,
  });
  closeSync(log);
  const answer = child.stdout!;
  return new Promise((resolve, reject) => {
    let text = '';
    let settled = false;
    const done = (status: Status | undefined, why?: string) => {
      if (settled) return;
      settled = true;
      answer.destroy();
      if (status && 'started' in status) {
        child.unref();
        return resolve();
      }
      if (status) {
        const { code, message, exitCode } = status.error;
        const fail = () => reject(new TsbuildError(code, message, { id, exitCode }));
        // It could not start the container: once it has exited it has also cleaned
        // up (unmounted; with --rm removed the container), so `run -d` returns after that.
        if (child.exitCode !== null || child.signalCode !== null) return fail();
        child.once('exit', fail);
        return;
      }
      child.unref();
      const last = lastLine(logPath);
      reject(
        new TsbuildError(
          'SUPERVISOR_FAILED',
          `the container's supervisor (${program}) ${why}${last ? `: ${last}` : ''}`,
          { id, exitCode: 125 },
        ),
      );
    };
    answer.on('data', (c: Buffer) => {
      text += c.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) done(parseStatus(text.slice(0, nl)), 'answered what no supervisor says');
    });
    // Its stdout ends when it exits (nothing it starts holds it): without a line, it failed.
    answer.on('end', () => done(undefined, 'ended before the container started'));
    child.on('error', (e) => done(undefined, `could not be started: ${e.message}`));
  });
}

function parseStatus(line: string): Status | undefined {
  try {
    const v = JSON.parse(line) as Status;
    return 'started' in v || 'error' in v ? v : undefined;
  } catch {
    return undefined;
  }
}

function lastLine(path: string): string {
  try {
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    return lines[lines.length - 1]!.trim();
  } catch {
    return '';
  }
}

/**
 * The package's CLI: bin/tsbuild.js, found by walking up from this module
 * (src/api/ under the tests, dist/api/ or dist/bundle/ once built).
 */
function defaultCli(): string[] {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    const bin = join(dir, 'bin', 'tsbuild.js');
    if (existsSync(bin)) return [process.execPath, bin];
  }
  throw new TsbuildError(
    'SUPERVISOR_FAILED',
    "cannot find tsbuild's bin/tsbuild.js to supervise a detached container",
    { exitCode: 125 },
  );
}

/**
 * The supervisor itself (`tsbuild __supervise --root ROOT ID`): run the
 * container to its end, its output to its log; the answer goes to `status`
 * (a descriptor: stdout). Resolves to the supervisor's own exit status.
 */
export async function superviseContainer(req: {
  root: string;
  id: string;
  status: number;
}): Promise<number> {
  let answered = false;
  const answer = (s: Status) => {
    if (answered) return;
    answered = true;
    try {
      writeSync(req.status, `${JSON.stringify(s)}\n`);
    } catch {
      // Whoever started us is gone: nobody to tell.
    }
  };
  const relay = new SignalRelay();
  const forward = (s: NodeJS.Signals) => relay.send(s);
  for (const s of FORWARDED) process.on(s, forward);
  try {
    const store = await openStore({ root: req.root });
    const record = await store.containers.get(req.id);
    if (!record)
      throw new TsbuildError('NO_SUCH_CONTAINER', `No such container: ${req.id}`, {
        ref: req.id,
      });
    if (liveState(record.state).status === 'running')
      throw new TsbuildError('CONTAINER_RUNNING', `container ${req.id} is already running`, {
        id: req.id,
      });
    const runner = pickRunner(record.config.runtime as RunnerKind);
    await startContainer(store, record, runner, {
      stdout: discard(),
      stderr: discard(),
      // -i with nobody attached: the process's stdin stays open and empty, as under docker run -di.
      ...(record.config.openStdin ? { stdin: new PassThrough() } : {}),
      relay,
      onStarted: () => answer({ started: true }),
    });
    return 0;
  } catch (e) {
    if (!(e instanceof TsbuildError)) throw e;
    const code = e.data.exitCode;
    answer({
      error: {
        code: e.code,
        message: e.message,
        exitCode: code === 126 || code === 127 ? code : 125,
      },
    });
    return 1;
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
  }
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _enc, done) => done() });
}
