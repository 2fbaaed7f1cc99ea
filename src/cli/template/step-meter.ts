import { TemplateError } from './template-error.js';

/**
 * A count of the template engine's steps: each step of the lexer (about one
 * per token), each token the parser reads, each node the executor evaluates.
 * The engine does not need it; it is there so that a caller (the tests) can
 * bound the work an input causes without a clock, which is deterministic
 * and can tell an O(n) path from an O(n²) one even on a 60-character input.
 * With a `limit`, runaway work (an exponential path, a loop that never ends)
 * stops with a TemplateError at the step past it instead of hanging. The
 * engine always counts, into a meter without a limit when the caller gives
 * none: an addition and a comparison per step.
 */
export class StepMeter {
  /** Steps taken so far; past `limit` after the step that threw. */
  steps = 0;

  constructor(readonly limit = Infinity) {}

  step(): void {
    if (++this.steps > this.limit) {
      throw new TemplateError(`template: : more than ${this.limit} steps`, { limit: this.limit });
    }
  }
}
