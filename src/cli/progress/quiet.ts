/**
 * `-q` / `--progress=quiet`: nothing but the image ID (`sha256:…`) on stdout,
 * as `docker build -q`. When a step fails, docker -q shows what it kept back;
 * here that is the failed step's tail, exit code and log path, on stderr.
 */
import type { BuildEvent } from '../../api/build-types.js';
import { failureText } from './failure.js';
import type { BuildOutcome, FailedEvent, Progress, ProgressOptions } from './progress.js';

export class QuietProgress implements Progress {
  private readonly headers = new Map<number, string>();
  private failed: FailedEvent | undefined;

  constructor(private readonly opts: ProgressOptions) {}

  onEvent(e: BuildEvent): void {
    if (e.type === 'step') this.headers.set(e.step, `Step ${e.step}/${e.total} : ${e.text}`);
    if (e.type === 'failed') this.failed ??= e;
  }

  end(outcome: BuildOutcome): void {
    if ('result' in outcome) this.opts.stdout.write(`${outcome.result.id}\n`);
    else if (this.failed) {
      const label = this.headers.get(this.failed.step) ?? `Step ${this.failed.step}`;
      this.opts.stderr.write(failureText(label, this.failed));
    }
  }
}
