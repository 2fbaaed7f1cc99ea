/**
 * The display `--progress` asks for. `auto` is the live view when stderr is a
 * terminal (and TERM is not `dumb`), else BuildKit's plain text, as docker
 * build and buildx choose: what CI logs show, and what tools reading them expect.
 * Docker's classic output stays one flag away (`--progress=classic`).
 */
import type { ProgressMode } from '../build-args.js';
import { ClassicProgress } from './classic.js';
import { JsonProgress } from './json.js';
import { PlainProgress } from './plain.js';
import type { Progress, ProgressOptions } from './progress.js';
import { QuietProgress } from './quiet.js';
import { RawJsonProgress } from './rawjson.js';
import { TtyProgress } from './tty.js';

export type { BuildOutcome, Progress, ProgressOptions } from './progress.js';

export function createProgress(
  mode: ProgressMode,
  opts: ProgressOptions & { env?: NodeJS.ProcessEnv },
): Progress {
  switch (mode) {
    case 'auto':
      return createProgress(isTerminal(opts.stderr, opts.env ?? {}) ? 'tty' : 'plain', opts);
    case 'plain':
      return new PlainProgress(opts);
    case 'classic':
      return new ClassicProgress(opts);
    case 'tty':
      return new TtyProgress(opts);
    case 'json':
      return new JsonProgress(opts);
    case 'rawjson':
      return new RawJsonProgress(opts);
    case 'quiet':
      return new QuietProgress(opts);
  }
}

function isTerminal(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv): boolean {
  return Boolean((stream as { isTTY?: boolean }).isTTY) && env.TERM !== 'dumb';
}
