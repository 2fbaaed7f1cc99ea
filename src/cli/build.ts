/**
 * `tsbuild build [OPTIONS] PATH | -` (also `tsbuild [OPTIONS] PATH`): parse the
 * flags, run build() with a progress display fed by its events, write the
 * iidfile and metadata file, and turn the outcome into an exit code — a failing
 * RUN's own status (BuildKit always says 1), 1 for any other failure, 2 for
 * wrong usage, 130 when interrupted; with --verify, 3 when the build succeeded
 * but building it again gave another image.
 */
import type { Readable } from 'node:stream';
import { build } from '../api/build.js';
import type { BuildEvent, BuildResult } from '../api/build-types.js';
import { TsbuildError } from '../errors.js';
import { BUILD_HELP, parseBuildArgs } from './build-args.js';
import { callCommand } from './call.js';
import { runFailureCode } from './exit-code.js';
import type { Io } from './io.js';
import { removeStale, writeIidFile, writeMetadataFile } from './metadata.js';
import { createProgress } from './progress/index.js';
import { NOT_REPRODUCIBLE_EXIT, verifyText } from './verify-text.js';

const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;

export async function buildCommand(argv: string[], io: Io): Promise<number> {
  const { request, cli } = parseBuildArgs(argv, io.env, process.cwd());
  if (cli.help) {
    io.stdout.write(BUILD_HELP);
    return 0;
  }
  if (cli.iidfile !== undefined) await removeStale('--iidfile', cli.iidfile);
  if (cli.metadataFile !== undefined) await removeStale('--metadata-file', cli.metadataFile);
  if (request.context === '-' || request.dockerfile === '-') request.stdin = io.stdin as Readable;
  // --call / --check: the frontend's answer instead of a build; no step runs.
  if (cli.call) return callCommand(cli.call, request, io);
  const abort = new AbortController();
  const stdout = guarded(io.stdout, abort);
  const stderr = guarded(io.stderr, abort);
  // `-o -` puts the image on stdout; the display must not share it (buildx does the same).
  const imageOnStdout = request.outputs?.some((o) => 'dest' in o && o.dest === '-') ?? false;
  const progress = createProgress(cli.progress, {
    stdout: imageOnStdout ? stderr : stdout,
    stderr,
    explainCache: request.explainCache,
    env: io.env,
  });

  let signalled: keyof typeof SIGNALS | undefined;
  const handlers = Object.keys(SIGNALS).map((name) => {
    const handler = () => {
      signalled ??= name as keyof typeof SIGNALS;
      abort.abort(new TsbuildError('CANCELLED', `build cancelled (${name})`));
    };
    process.once(name, handler);
    return () => process.off(name, handler);
  });
  let result: BuildResult;
  try {
    result = await build({
      ...request,
      signal: abort.signal,
      onEvent: (e: BuildEvent) => progress.onEvent(e),
    });
  } catch (error) {
    progress.end({ error });
    // Stopped because the display's reader went away: that is what to report.
    const reason: unknown = abort.signal.reason;
    if (signalled === undefined && reason instanceof TsbuildError) throw reason;
    return failed(error, io, signalled, request.root);
  } finally {
    for (const off of handlers) off();
  }
  progress.end({ result });
  if (cli.iidfile !== undefined) await writeIidFile(cli.iidfile, result);
  if (cli.metadataFile !== undefined) await writeMetadataFile(cli.metadataFile, result, io.env);
  if (!result.verify) return 0;
  // The json displays carry the report in their last `verify` event; the text goes
  // where it cannot corrupt what stdout holds (an image, json lines, -q's ID).
  const toStdout = !imageOnStdout && ['auto', 'plain', 'tty', 'classic'].includes(cli.progress);
  (toStdout ? stdout : stderr).write(verifyText(result.verify));
  return result.verify.reproducible ? 0 : NOT_REPRODUCIBLE_EXIT;
}

/** Streams that have already been given a listener that keeps their errors from crashing the process. */
const quieted = new WeakSet<NodeJS.WritableStream>();

/**
 * The display's stream, which stops the build when its reader goes away
 * (`tsbuild --progress=json . | head -1`): one line saying so, as for a closed
 * `save` output, not a crash on EPIPE. Nothing more is written to it after.
 */
function guarded(stream: NodeJS.WritableStream, abort: AbortController): NodeJS.WritableStream {
  let broken = false;
  if (!quieted.has(stream)) {
    quieted.add(stream);
    stream.on('error', () => undefined);
  }
  stream.once('error', (e: Error) => {
    broken = true;
    abort.abort(new TsbuildError('OUTPUT', `writing the build's progress: ${e.message}`));
  });
  return new Proxy(stream, {
    get(target, key) {
      if (key === 'write')
        return (chunk: string) =>
          broken || (target as { destroyed?: boolean }).destroyed ? false : target.write(chunk);
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * The exit code of a failed build. Errors other than a failed RUN or an
 * interruption are thrown on, for main's report() to print (exit 1 or 2).
 */
function failed(
  error: unknown,
  io: Io,
  signalled: keyof typeof SIGNALS | undefined,
  root: string | undefined,
): number {
  if (signalled !== undefined) {
    io.stderr.write(`error: build cancelled (${signalled})\n`);
    return 128 + SIGNALS[signalled];
  }
  const code = runFailureCode(error);
  if (code === undefined) throw error;
  io.stderr.write(`error: ${(error as Error).message}\n`);
  // The failed RUN kept as a container (build/effects/keep-failed.ts): the last
  // line is the one command that opens a shell in what it left.
  const kept = error instanceof TsbuildError ? error.data.container : undefined;
  if (typeof kept === 'string') {
    const where = root === undefined ? '' : ` --root ${shellWord(root)}`;
    io.stderr.write(`to debug the failed step: tsbuild debug${where} ${kept}\n`);
  }
  return code;
}

/** A path as one shell word: quoted when it holds anything but the safe characters. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
