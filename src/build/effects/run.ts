/**
 * RUN in the sandbox: output streamed to the events as it comes (never clipped) and
 * to a log file; on failure the log is kept, its path and last lines are reported,
 * and the error carries the command's exit status.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { TsbuildError } from '../../errors.js';
import type { Descriptor } from '../../image/types.js';
import { shortDigest } from '../../util/digest.js';
import type { BuildDeps } from '../deps.js';
import type { Effect } from '../instructions/types.js';
import { changeInSnapshot } from './snapshot.js';

const TAIL_LINES = 20;

export interface StepRef {
  stage: number;
  step: number;
  /** The step's cache key: names its log file. */
  key: string;
}

export async function runStep(
  deps: BuildDeps,
  layers: Descriptor[],
  effect: Extract<Effect, { kind: 'run' }>,
  ref: StepRef,
  text: string,
): Promise<Descriptor | undefined> {
  await mkdir(deps.logDir, { recursive: true });
  const logPath = join(deps.logDir, `${shortDigest(ref.key)}-${process.pid}-${Date.now()}.log`);
  const log = createWriteStream(logPath);
  const tail = new Tail();
  const sink = (stream: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        const data = chunk.toString('utf8');
        tail.push(data);
        deps.emit({ type: 'output', stage: ref.stage, step: ref.step, stream, data });
        log.write(chunk, done);
      },
    });
  let code = 0;
  try {
    const layer = await changeInSnapshot(deps, layers, text, async (rootfs) => {
      code = await deps.runner().run(
        rootfs,
        {
          args: effect.args,
          env: effect.env,
          cwd: effect.cwd,
          user: effect.user,
          network: effect.network === 'default' ? deps.network : effect.network,
        },
        { stdout: sink('stdout'), stderr: sink('stderr') },
        { signal: deps.signal, workRoot: join(deps.workRoot, 'run') },
      );
      if (code !== 0) throw failure(effect.args, code, logPath, tail.lines());
    });
    await closeLog(log);
    await rm(logPath, { force: true });
    return layer;
  } catch (e) {
    await closeLog(log);
    if (e instanceof TsbuildError && e.code === 'COMMAND_NOT_FOUND')
      throw failure(effect.args, 127, logPath, [...tail.lines(), e.message]);
    if (!(e instanceof TsbuildError && e.code === 'RUN_FAILED')) await rm(logPath, { force: true });
    throw e;
  }
}

/** Docker's words: `The command '/bin/sh -c make' returned a non-zero code: 2`. */
function failure(argv: string[], code: number, log: string, tail: string[]): TsbuildError {
  return new TsbuildError(
    'RUN_FAILED',
    `The command '${argv.join(' ')}' returned a non-zero code: ${code}`,
    { exitCode: code, log, tail },
  );
}

function closeLog(log: ReturnType<typeof createWriteStream>): Promise<void> {
  return new Promise((resolve) => log.end(() => resolve()));
}

/** The last lines of a stream of text, kept as it passes. */
class Tail {
  private buf = '';
  push(data: string): void {
    this.buf += data;
    if (this.buf.length > 64 * 1024) this.buf = this.buf.slice(-32 * 1024);
  }
  lines(): string[] {
    return this.buf.replace(/\n$/, '').split('\n').slice(-TAIL_LINES);
  }
}
