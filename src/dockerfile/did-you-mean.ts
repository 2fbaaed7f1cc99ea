/**
 * "Did you mean" for the undefined variables of a Dockerfile, with a bound on
 * the work: each hint compares one name with every variable in scope, so
 * 8,000 lines `ENV vN=$uN` made 32 million comparisons (18 s), and one
 * 50,000-character name compared with another filled the heap. BuildKit has
 * no bound; here a Dockerfile gets MAX_COMPARISONS in all, names longer than
 * MAX_NAME get no hint, and once the comparisons are spent the warnings go on
 * without hints.
 *
 *   ENV APP_HOME=/app
 *   WORKDIR $APP_HOM     # Usage of undefined variable '$APP_HOM' (did you mean $APP_HOME?)
 */
import { suggest } from './instructions/suggest.js';
import type { Scope } from './scope.js';

const MAX_COMPARISONS = 100_000;
const MAX_NAME = 64;

export class DidYouMean {
  private left = MAX_COMPARISONS;

  /** One `like(name)` per undefined name of an instruction expanded in `scope`. */
  in(scope: Scope): (name: string) => string | undefined {
    let candidates: string[] | undefined;
    return (name) => {
      if (name.length > MAX_NAME || scope.size > this.left) return undefined;
      this.left -= scope.size;
      candidates ??= scope.names().filter((n) => n.length <= MAX_NAME);
      return suggest(name, candidates, true);
    };
  }
}
