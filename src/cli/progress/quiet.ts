/**
 * `-q` / `--progress=quiet`: nothing but the image ID (`sha256:…`) on stdout,
 * as `docker build -q`. When a step fails, docker -q shows what it kept back;
 * here that is the failed step's tail, exit code and log path, on stderr.
 */
import type { BuildEvent } from '../../api/build-types.js';
import { failureOf, failureText, type Failure } from './failure.js';
import type { BuildOutcome, FailedEvent, Progress, ProgressOptions } from './progress.js';

export class QuietProgress implements Progress {
  private readonly headers = new Map<number, string>();
  /** The failed step (or, when build() sent no `failed` event, the one started last). */
  private failed: FailedEvent | undefined;
  private lastStep: number | undefined;

  constructor(private readonly opts: ProgressOptions) {}

  onEvent(e: BuildEvent): void {
    if (e.type === 'step') {
      this.headers.set(e.step, `Step ${e.step}/${e.total} : ${e.text}`);
      this.lastStep = e.step;
    }
    if (e.type === 'failed') this.failed ??= e;
  }

  end(outcome: BuildOutcome): void {
    if ('result' in outcome) this.opts.stdout.write(`${outcome.result.id}\n`);
    else {
      const failure: Failure | undefined = this.failed ?? failureOf(outcome.error);
      const step = this.failed?.step ?? this.lastStep;
      const label = (step !== undefined && this.headers.get(step)) || 'the failed step';
      if (failure) this.opts.stderr.write(failureText(label, failure));
    }
  }
}
