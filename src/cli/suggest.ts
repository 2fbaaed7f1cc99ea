/**
 * "Did you mean" for a mistyped flag or command: the known name nearest by
 * edit distance (a swap of two neighbours counts as one edit, so `--tga` is
 * one edit from `--tag`), offered only when it is close enough to be the likely
 * intent — one edit, two for names of five letters or more — or when the typed
 * word is the start of exactly one known name (`--meta` → `--metadata-file`).
 *
 * @example
 * nearest('tga', ['tag', 'target', 'file']); // 'tag'
 * nearest('foo', ['root', 'help']);          // undefined
 */
export function nearest(typed: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    const d = editDistance(typed, name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  if (best !== undefined && bestDistance <= (typed.length >= 5 ? 2 : 1)) return best;
  const prefixed = typed.length >= 3 ? known.filter((k) => k.startsWith(typed)) : [];
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** ` (did you mean --tag?)`, or '' when nothing known is close. */
export function didYouMean(typed: string, known: readonly string[], prefix = ''): string {
  const n = nearest(typed, known);
  return n === undefined ? '' : ` (did you mean ${prefix}${n}?)`;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}
