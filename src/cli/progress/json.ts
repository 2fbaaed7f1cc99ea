/**
 * `--progress=json`: each BuildEvent as one line of JSON on stdout, with the
 * time it was seen (ISO 8601, UTC). A `miss` carries its `explain` whether or
 * not `--explain-cache` was given: tools decide what to show.
 *
 *   {"type":"cached","stage":0,"step":2,"key":"sha256:…","time":"2026-11-30T04:00:00.000Z"}
 */
import type { BuildEvent } from '../../api/build-types.js';
import type { BuildOutcome, Progress, ProgressOptions } from './progress.js';

export class JsonProgress implements Progress {
  private sawResult = false;

  constructor(private readonly opts: ProgressOptions) {}

  onEvent(event: BuildEvent): void {
    if (event.type === 'result') this.sawResult = true;
    const time = new Date((this.opts.now ?? Date.now)()).toISOString();
    this.opts.stdout.write(`${JSON.stringify({ ...event, time })}\n`);
  }

  /** A build that returned without a `result` event still ends with one line saying what it made. */
  end(outcome: BuildOutcome): void {
    if ('result' in outcome && !this.sawResult) {
      const { id, digest, tags } = outcome.result;
      this.onEvent({ type: 'result', id, digest, tags });
    }
  }
}
