/**
 * "Did you mean …?" as BuildKit's util/suggest finds it: the option at the
 * smallest Levenshtein distance below 3, none when the value is itself an
 * option. `FORM` → `FROM`, `--chwon` → `chown`, `FOO` → `FROM` (distance 2).
 *
 * BuildKit walks a Go map, so between two options at the same distance it
 * picks one at random. We break such ties by counting a swap of two
 * neighbours as one edit (`chwon` is 2 from both `chmod` and `chown`, but a
 * swap from `chown`), then by the order given: always one of Docker's answers.
 */
import { goLower, goUpper } from './gocase.js';

/** Levenshtein distance over code points, every edit costing 1 (agext/levenshtein's defaults). */
export function levenshtein(a: string, b: string): number {
  return editDistance(a, b, false);
}

/** With `swaps`, the optimal-string-alignment distance: adjacent transpositions cost 1. */
function editDistance(a: string, b: string, swaps: boolean): number {
  const s = Array.from(a);
  const t = Array.from(b);
  const d: number[][] = [Array.from({ length: t.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      let best = Math.min(
        d[i - 1]![j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1),
        d[i - 1]![j]! + 1,
        row[j - 1]! + 1,
      );
      if (swaps && i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      row.push(best);
    }
    d.push(row);
  }
  return d[s.length]![t.length]!;
}

/**
 * The option closest to `value`, or undefined. Case-insensitive matching
 * answers in the case the value was written in (`form` → `from`, `FORM` →
 * `FROM`, `Form` → the option as listed), as BuildKit's matchCase does.
 */
export function suggest(
  value: string,
  options: readonly string[],
  caseSensitive: boolean,
): string | undefined {
  const val = caseSensitive ? value : goLower(value);
  let match: string | undefined;
  let best = 3;
  let bestSwaps = Infinity;
  for (const option of options) {
    const opt = caseSensitive ? option : goLower(option);
    // An exact match means the error was about something else.
    if (val === opt) return undefined;
    const dist = levenshtein(val, opt);
    if (dist > best || (dist === best && match === undefined)) continue;
    const swaps = editDistance(val, opt, true);
    if (dist < best || swaps < bestSwaps) {
      best = dist;
      bestSwaps = swaps;
      match = caseSensitive ? opt : matchCase(option, value);
    }
  }
  return match;
}

function matchCase(option: string, written: string): string {
  if (written === goLower(written)) return goLower(option);
  if (written === goUpper(written)) return goUpper(option);
  return option;
}
