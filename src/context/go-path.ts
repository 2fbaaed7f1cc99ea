/**
 * The pieces of Go's standard library that decide what a .dockerignore line
 * means before it becomes a regexp, ported so the edge cases agree (with
 * `filepath.Clean`, util/go-clean.ts): `strings.TrimSpace` (Unicode spaces and
 * NEL, but not the BOM that JS's trim() also strips), and the syntax check
 * `filepath.Match(pattern, ".")` that Docker runs on every pattern.
 */

/** What Go's unicode.IsSpace accepts: JS's \s without U+FEFF, plus U+0085. */
const SPACE =
  '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const TRIM = new RegExp(`^${SPACE}+|${SPACE}+$`, 'g');

export function goTrimSpace(s: string): string {
  return s.replace(TRIM, '');
}

/**
 * Why `filepath.Match(pattern, ".")` would fail (Go ≥1.16 checks the whole
 * pattern), or undefined when it is well formed. In a class `-` and `]` must be
 * escaped unless they close it, a class needs one character, and a trailing
 * `\` escapes nothing: `[]a]`, `[a-]`, `x[` and `a\` are all errors.
 */
export function goMatchSyntaxError(pattern: string): string | undefined {
  const chars = [...pattern];
  let i = 0;
  /** One class character, possibly escaped; Go's getEsc. */
  const esc = (): boolean => {
    if (i >= chars.length || chars[i] === '-' || chars[i] === ']') return false;
    if (chars[i] === '\\') i++;
    if (i >= chars.length) return false;
    i++;
    return i < chars.length;
  };
  while (i < chars.length) {
    const c = chars[i++];
    if (c === '\\') {
      if (i >= chars.length) return 'a trailing \\ escapes nothing';
      i++;
    } else if (c === '[') {
      if (chars[i] === '^') i++;
      for (let n = 0; ; n++) {
        if (n > 0 && chars[i] === ']') {
          i++;
          break;
        }
        if (!esc()) return 'malformed character class';
        if (chars[i] === '-') {
          i++;
          if (!esc()) return 'malformed character range';
        }
      }
    }
  }
  return undefined;
}
