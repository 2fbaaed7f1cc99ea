/**
 * RUN in the sandbox: output streamed to the events as it comes (never clipped) and
 * to a log file; on failure the log is kept, its path and last lines are reported,
 * and the error carries the command's exit status.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { TsbuildError } from '../../errors.js';
import type { Descriptor } from '../../image/types.js';
import { shortDigest } from '../../util/digest.js';
import type { BuildDeps } from '../deps.js';
import type { Effect } from '../instructions/types.js';
import { prepareMounts } from '../mounts/prepare.js';
import { Redactor } from '../mounts/redact.js';
import type { MountSources } from '../mounts/sources.js';
import type { Snapshot } from '../../runtime/snapshot/types.js';
import { keepFailedStep } from './keep-failed.js';
import { changeInSnapshot } from './snapshot.js';

const TAIL_LINES = 20;

export interface StepRef {
  stage: number;
  step: number;
  /** The step's cache key: names its log file. */
  key: string;
  /** The stage's state id before the step (StageState.id): what a kept failure names as its image. */
  parent?: string;
}

export async function runStep(
  deps: BuildDeps,
  layers: Descriptor[],
  effect: Extract<Effect, { kind: 'run' }>,
  ref: StepRef,
  text: string,
  sources?: MountSources,
): Promise<Descriptor | undefined> {
  const log = await StepLog.open(deps.logDir, ref.key);
  const tail = new Tail();
  // Set once the step's secrets are known: nothing is printed before.
  const redact: { stdout?: Redactor; stderr?: Redactor } = {};
  const show = (stream: 'stdout' | 'stderr', data: string, done: () => void) => {
    if (data === '') return done();
    tail.push(data);
    deps.emit({ type: 'output', stage: ref.stage, step: ref.step, stream, data });
    log.write(Buffer.from(data, 'utf8'), done);
  };
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  const sink = (stream: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        const data = decoders[stream].write(chunk);
        show(stream, redact[stream]?.push(data) ?? data, done);
      },
    });
  const flush = async () => {
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = decoders[stream].end();
      const data = redact[stream] ? redact[stream].push(rest) + redact[stream].flush() : rest;
      await new Promise<void>((resolve) => show(stream, data, resolve));
    }
  };
  let code = 0;
  const startedAt = new Date().toISOString();
  let kept: string | undefined;
  // A RUN whose command failed (not one that was cancelled, nor a sandbox
  // error) is kept to debug: keep-failed.ts.
  const keep = async (snap: Snapshot, e: unknown) => {
    if (!deps.keepFailed || !(e instanceof TsbuildError)) return;
    const exitCode = e.code === 'RUN_FAILED' ? code : e.code === 'COMMAND_NOT_FOUND' ? 127 : 0;
    if (exitCode === 0 || deps.signal.aborted) return;
    const full = await nearlyFull(deps.store.root);
    if (full !== undefined) {
      deps.emit({
        type: 'warning',
        message: `${text}: the failed step is not kept to debug: ${full}`,
      });
      return;
    }
    try {
      const record = await keepFailedStep(deps, snap, {
        layers,
        parent: ref.parent ?? '',
        effect,
        text,
        key: ref.key,
        exitCode,
        startedAt,
      });
      kept = record.id.slice(0, 12);
    } catch (err) {
      deps.emit({
        type: 'warning',
        message: `${text}: the failed step could not be kept to debug: ${(err as Error).message}`,
      });
    }
  };
  try {
    const layer = await changeInSnapshot(
      deps,
      layers,
      text,
      async (rootfs) => {
        const mounts =
          effect.mounts.length > 0
            ? await prepareMounts(deps, rootfs, effect.mounts, sources)
            : undefined;
        try {
          if (mounts && mounts.secrets.length > 0) {
            redact.stdout = new Redactor(mounts.secrets);
            redact.stderr = new Redactor(mounts.secrets);
          }
          code = await deps.runner().run(
            rootfs,
            {
              args: effect.args,
              env: mounts ? [...effect.env, ...mounts.env] : effect.env,
              cwd: effect.cwd,
              user: effect.user,
              network: await network(deps, effect.network),
              ...(mounts ? { mounts: mounts.mounts } : {}),
              ...deps.runSettings,
            },
            { stdout: sink('stdout'), stderr: sink('stderr') },
            { signal: deps.signal, workRoot: join(deps.workRoot, 'run') },
          );
          await flush();
        } finally {
          await mounts?.release();
        }
        if (code !== 0) {
          const lines = tail.lines();
          const hint = offline(deps, effect.network) ? resolutionHint(lines) : undefined;
          throw failure(effect.args, code, await log.keep(), lines, hint);
        }
      },
      keep,
    );
    await log.discard();
    return layer;
  } catch (e) {
    if (e instanceof TsbuildError && e.code === 'COMMAND_NOT_FOUND')
      throw failure(
        effect.args,
        127,
        await log.keep(),
        [...tail.lines(), e.message],
        undefined,
        kept,
      );
    if (!(e instanceof TsbuildError && e.code === 'RUN_FAILED')) await log.discard();
    else if (kept !== undefined)
      throw new TsbuildError(e.code, e.message, { ...e.data, container: kept });
    throw e;
  }
}

/**
 * The step's whole output, kept in the store's logs/ when the step fails. The
 * log is a courtesy: a disk too full for it (a RUN that filled the store's disk
 * fills it) must not fail the step nor crash the process, so a write that fails
 * ends the log and the step goes on, its output still shown; such a log is not
 * offered as the full log.
 */
class StepLog {
  private failed = false;

  private constructor(
    readonly path: string,
    private readonly stream: WriteStream | undefined,
  ) {
    stream?.on('error', () => {
      this.failed = true;
    });
  }

  static async open(dir: string, key: string): Promise<StepLog> {
    const path = join(dir, `${shortDigest(key)}-${process.pid}-${Date.now()}.log`);
    try {
      await mkdir(dir, { recursive: true });
      return new StepLog(path, createWriteStream(path));
    } catch {
      return new StepLog(path, undefined);
    }
  }

  write(chunk: Buffer, done: () => void): void {
    if (!this.stream || this.failed) return done();
    // The error itself reaches the 'error' listener; the output goes on.
    this.stream.write(chunk, () => done());
  }

  /** Close the log; its path when it holds the whole output, else undefined (and it is removed). */
  async keep(): Promise<string | undefined> {
    await this.close();
    if (!this.failed && this.stream) return this.path;
    await rm(this.path, { force: true });
    return undefined;
  }

  async discard(): Promise<void> {
    await this.close();
    await rm(this.path, { force: true });
  }

  private close(): Promise<void> {
    const s = this.stream;
    if (!s || s.closed) return Promise.resolve();
    return new Promise((resolve) => {
      s.once('close', () => resolve());
      s.end();
    });
  }
}

/**
 * Why the store's disk is too full to keep a failed step, or undefined: a step
 * that failed because it filled the disk must not keep it full.
 */
async function nearlyFull(root: string): Promise<string | undefined> {
  const fs = await statfs(root).catch(() => undefined);
  if (fs === undefined) return undefined;
  const free = fs.bavail * fs.bsize;
  const size = fs.blocks * fs.bsize;
  if (free >= Math.max(KEEP_FAILED_MIN_FREE, size / 100)) return undefined;
  return `the store's disk is nearly full (${Math.round(free / 2 ** 20)} MiB free)`;
}

/** Below this much free space (or 1% of the disk) a failed step is not kept. */
const KEEP_FAILED_MIN_FREE = 64 * 2 ** 20;

/** Docker's words: `The command '/bin/sh -c make' returned a non-zero code: 2`. */
function failure(
  argv: string[],
  code: number,
  log: string | undefined,
  tail: string[],
  hint?: string,
  container?: string,
): TsbuildError {
  return new TsbuildError(
    'RUN_FAILED',
    `The command '${argv.join(' ')}' returned a non-zero code: ${code}`,
    {
      exitCode: code,
      ...(log !== undefined ? { log } : {}),
      tail,
      ...(hint ? { hint } : {}),
      // The short ID of the container the failed step is kept as (keep-failed.ts).
      ...(container ? { container } : {}),
    },
  );
}

type StepNetwork = Extract<Effect, { kind: 'run' }>['network'];

/** The network the runner gets: the build's default one, the host's, or none. */
async function network(deps: BuildDeps, step: StepNetwork) {
  const mode = step === 'default' ? deps.network : step;
  return mode === 'default' ? deps.sandboxNetwork() : mode;
}

function offline(deps: BuildDeps, step: StepNetwork): boolean {
  return (step === 'default' ? deps.network : step) === 'none';
}

/** What resolvers print when there is no name server to ask (apt, curl, wget, getaddrinfo, npm). */
const NO_RESOLUTION =
  /Temporary failure (in name resolution|resolving)|Could not resolve|bad address|Name or service not known|EAI_AGAIN|getaddrinfo|No address associated/i;

/**
 * The one line added under a failure in a step without network whose output
 * says a name could not be resolved: users hit it on their first apt-get.
 */
function resolutionHint(lines: string[]): string | undefined {
  if (!lines.some((l) => NO_RESOLUTION.test(l))) return undefined;
  return 'this step ran without network (--network=none), so names cannot be resolved: build with the default network or --network=host, or give the step RUN --network=default';
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
