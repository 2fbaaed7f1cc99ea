/**
 * The bounds that keep a hostile Dockerfile from turning a few hundred bytes
 * into gigabytes. BuildKit has none; each is far above what a real Dockerfile
 * needs, and each is reported as a DockerfileError at the instruction that
 * crossed it.
 *
 *   ARG a0=0123456789abcdef
 *   ARG a1=$a0$a0              # 32 characters
 *   …
 *   ARG a17=$a16$a16           # 2 Mi: "expanded value is longer than 1048576 characters"
 *
 * Sizes are in characters (UTF-16 code units, what a JavaScript string's
 * length counts), so a check costs nothing however long the value.
 */
import { DockerfileError, type Span } from '../errors.js';

/** The longest an expanded word may be: 1 Mi characters. */
export const MAX_EXPANDED_WORD = 1 << 20;

/**
 * The most work lowering one Dockerfile may do with its variables, counted in
 * characters and steps: every expanded word, every value a `$name` reads,
 * every step of `${v#p}`-style pattern matching, the build args each RUN gets
 * (keys and values), and the variables each stage starts with (ENTRY_COST
 * each). Without it a few kilobytes go a long way: 1,000 `ENV bN=$big` lines
 * with a 1 Mi `$big` make an image config of 1 Gi characters; 8,000 `ARG vN=1`
 * / `RUN x` pairs (140 KB) give the RUNs 32 million build args in all; a
 * 10,000-character pattern matched against a 1 Mi value is 10^10 steps. 32 Mi
 * is about a thousand times what a Dockerfile of a hundred lines with ten ARGs
 * and twenty RUNs uses; it keeps lowering within a 128 MB heap and the
 * `parse --json` of any Dockerfile that passes far below the longest string V8
 * can make (2^29 characters).
 */
export const MAX_EXPANDED_TOTAL = 1 << 25;

/**
 * What one variable in a map costs against MAX_EXPANDED_TOTAL, besides its
 * text: about the bytes a Map or object slot takes, so that the bound holds
 * memory as well as characters.
 */
export const ENTRY_COST = 64;

export const BUDGET_EXCEEDED = `variable expansion takes more than ${MAX_EXPANDED_TOTAL} characters and steps in this Dockerfile (values read and made, pattern matching, the build args each RUN gets, the variables each stage starts with)`;

/** The work lowering has done so far with a Dockerfile's variables. */
export class ExpansionBudget {
  private left = MAX_EXPANDED_TOTAL;

  /** Take `n`; false once the allowance is used up (and from then on). */
  readonly spend = (n: number): boolean => {
    this.left -= n;
    return this.left >= 0;
  };

  /** Take `n` for what was made at `span`; past the bound, a DockerfileError there. */
  charge(n: number, span: Span): void {
    if (this.spend(n)) return;
    throw new DockerfileError('EXPANSION_TOO_LARGE', BUDGET_EXCEEDED, span, {
      data: { limit: MAX_EXPANDED_TOTAL },
    });
  }
}
