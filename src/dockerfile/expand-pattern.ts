/**
 * The shell patterns of `${v#p}` `${v##p}` `${v%p}` `${v%%p}` `${v/p/r}` `${v//p/r}`,
 * matched the way BuildKit matches them.
 *
 * BuildKit turns a pattern into a Go regular expression (`*` → `.*` or `.*?`,
 * `?` → `.`, everything else literal) and runs RE2 on it. We keep its answers
 * without a regex engine: a pattern is a list of literal / any / star tokens,
 * run by a small Pike VM that gives RE2's leftmost-first answer in
 * O(text × pattern) time, so no pattern can make it backtrack for ever.
 *
 * What RE2 does that a shell would not, and we copy:
 * - `*` and `?` never match a newline (`.` without the `s` flag):
 *   `${v#*x}` with v="a\nbx" removes nothing.
 * - There are no bracket expressions: `[ab]` is four literal characters.
 * - `${v%p}` reverses the pattern and the value and searches from the left,
 *   so an error names the reversed pattern: `${v%a\x}` → "invalid pattern (\xa)".
 * - `${v//p/r}` goes through Go's ReplaceAllString, which expands `$0` / `${0}`
 *   in r to the matched text, `$$` to `$`, and any other `$name` to nothing;
 *   `${v/p/r}` (first match only) inserts r as it is.
 * - A pattern that starts with U+FEFF loses it: Go's text/scanner takes it for
 *   a byte order mark. For `%` the reversed pattern is scanned, so there it is a
 *   trailing U+FEFF that disappears.
 */

import { compileTemplate, expandTemplate } from './expand-template.js';

type Token = { kind: 'lit'; ch: string } | { kind: 'any' } | { kind: 'star' };

/**
 * The answer of a pattern operation: the new value, BuildKit's reason for
 * refusing, `tooLong` when the value would pass the `limit` given, or
 * `exhausted` when matching took more steps than `spend` allowed.
 */
export type PatternResult =
  { value: string } | { error: string } | { tooLong: true } | { exhausted: true };

/** Takes `n` steps of matching from a budget shared by every expansion; false when none is left. */
export type Spend = (n: number) => boolean;

/** Thrown by the matcher when `spend` says no, caught by the exported functions. */
class Exhausted extends Error {}

function exhaustible(fn: () => PatternResult): PatternResult {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Exhausted) return { exhausted: true };
    throw e;
  }
}

const BOM = '\uFEFF';
/** Go's fmt prints the scanner's EOF (-1) as the replacement character with %c. */
const GO_EOF_CHAR = '\uFFFD';

/** Split a pattern into tokens; a backslash escapes only `*`, `?` and `\`. */
function compile(pattern: string): Token[] | { error: string } {
  const chars = Array.from(pattern);
  if (chars[0] === BOM) chars.shift();
  const out: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === '*') out.push({ kind: 'star' });
    else if (c === '?') out.push({ kind: 'any' });
    else if (c !== '\\') out.push({ kind: 'lit', ch: c });
    else {
      const next = chars[i + 1];
      // `\}` and `\/` were escaped only to get past the end of the ${...}
      if (next === '}' || next === '/') continue;
      i++;
      if (next !== '*' && next !== '?' && next !== '\\') {
        return { error: `invalid escape '\\${next ?? GO_EOF_CHAR}'` };
      }
      out.push({ kind: 'lit', ch: next });
    }
  }
  return out;
}

const STAR = -1;
const ANY = -2;

/**
 * RE2's leftmost-first search for a token list, as a Pike VM: every live thread
 * is a pattern position plus the match start, kept in priority order, each
 * position at most once per step.
 */
class Matcher {
  private readonly prog: Int32Array; // a code point, STAR or ANY per token
  private readonly mark: Int32Array;
  private gen = 0;
  private cur: Int32Array; // pc, start pairs
  private next: Int32Array;
  private curLen = 0;
  private nextLen = 0;

  constructor(
    toks: readonly Token[],
    private readonly greedy: boolean,
    /** Charged the live threads at each position: a search costs O(text × pattern). */
    private readonly spend: Spend = () => true,
  ) {
    this.prog = Int32Array.from(toks, (t) =>
      t.kind === 'star' ? STAR : t.kind === 'any' ? ANY : cpOf(t.ch),
    );
    this.mark = new Int32Array(toks.length + 1);
    this.cur = new Int32Array(2 * (toks.length + 1));
    this.next = new Int32Array(2 * (toks.length + 1));
  }

  /** [start, end] of the first match at or after `from` (only at `from` if anchored). */
  find(text: Int32Array, from: number, anchored: boolean): [number, number] | undefined {
    const m = this.prog.length;
    this.curLen = 0;
    this.gen++;
    let match: [number, number] | undefined;
    for (let pos = from; ; pos++) {
      if (match === undefined && (!anchored || pos === from))
        this.curLen = this.add(this.cur, this.curLen, 0, pos);
      if (this.curLen === 0) break;
      if (!this.spend(this.curLen >> 1)) throw new Exhausted();
      this.gen++;
      this.nextLen = 0;
      const c = pos < text.length ? (text[pos] as number) : -1;
      for (let i = 0; i < this.curLen; i += 2) {
        const pc = this.cur[i] as number;
        const start = this.cur[i + 1] as number;
        if (pc === m) {
          match = [start, pos];
          break; // every thread after this one has lower priority
        }
        if (c < 0) continue;
        const op = this.prog[pc] as number;
        if (op === STAR) {
          if (c !== NEWLINE) this.nextLen = this.add(this.next, this.nextLen, pc, start);
        } else if (op === ANY ? c !== NEWLINE : c === op) {
          this.nextLen = this.add(this.next, this.nextLen, pc + 1, start);
        }
      }
      if (c < 0) break;
      const done = this.cur;
      this.cur = this.next;
      this.next = done;
      this.curLen = this.nextLen;
    }
    return match;
  }

  /**
   * Add the thread at `pc`, and what a run of stars lets it skip to, in priority
   * order: a greedy star prefers to consume, a lazy one to move on.
   */
  private add(list: Int32Array, len: number, pc: number, start: number): number {
    const { prog, mark, gen } = this;
    let end = pc;
    while (end < prog.length && prog[end] === STAR && mark[end] !== gen) end++;
    // Stopping at a star already listed means its tail is listed too.
    const tail = end < prog.length && prog[end] === STAR ? -1 : end;
    const addTail = tail >= 0 && mark[tail] !== gen;
    if (!this.greedy && addTail) len = push(list, len, mark, gen, tail, start);
    if (this.greedy) for (let p = pc; p < end; p++) len = push(list, len, mark, gen, p, start);
    else for (let p = end - 1; p >= pc; p--) len = push(list, len, mark, gen, p, start);
    if (this.greedy && addTail) len = push(list, len, mark, gen, tail, start);
    return len;
  }
}

function push(
  list: Int32Array,
  len: number,
  mark: Int32Array,
  gen: number,
  pc: number,
  start: number,
): number {
  mark[pc] = gen;
  list[len] = pc;
  list[len + 1] = start;
  return len + 2;
}

const NEWLINE = 10;
const cpOf = (s: string): number => s.codePointAt(0) as number;
/** A string as code points, so that `?` takes one character and offsets count characters. */
const codePoints = (s: string): Int32Array => {
  // A loop, not Int32Array.from(s, cpOf): that is ten times slower on a long value.
  const out = new Int32Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.codePointAt(i) as number;
    out[n++] = c;
    if (c > 0xffff) i++;
  }
  return out.subarray(0, n);
};
const fromCodePoints = (a: Int32Array, from = 0, to = a.length): string => {
  let out = '';
  if (to - from < 16) for (let i = from; i < to; i++) out += String.fromCodePoint(a[i] as number);
  else
    for (let i = from; i < to; i += 4096)
      out += String.fromCodePoint(...a.subarray(i, Math.min(i + 4096, to)));
  return out;
};

/** Reverse a pattern, keeping each backslash in front of the character it escapes. */
export function reversePattern(pattern: string): string {
  const chars = Array.from(pattern);
  const out = new Array<string>(chars.length);
  const last = chars.length - 1;
  for (let i = 0; i <= last;) {
    const c = chars[i] as string;
    if (c === '\\' && i !== last) {
      out[last - i - 1] = c;
      out[last - i] = chars[i + 1] as string;
      i += 2;
    } else {
      out[last - i] = c;
      i++;
    }
  }
  return out.join('');
}

/** `${v#p}` (shortest) and `${v##p}` (longest): remove a matching prefix. */
export function trimPrefix(
  pattern: string,
  value: string,
  greedy: boolean,
  spend?: Spend,
): PatternResult {
  return exhaustible(() => {
    const r = trimPrefixOf(pattern, codePoints(value), greedy, spend);
    return 'error' in r ? r : { value: fromCodePoints(r.rest) };
  });
}

function trimPrefixOf(
  pattern: string,
  text: Int32Array,
  greedy: boolean,
  spend?: Spend,
): { rest: Int32Array } | { error: string } {
  const toks = compile(pattern);
  if (!Array.isArray(toks))
    return { error: `invalid pattern (${pattern}) in substitution: ${toks.error}` };
  const m = new Matcher(toks, greedy, spend).find(text, 0, true);
  return { rest: m ? text.subarray(m[1]) : text };
}

/** `${v%p}` (shortest) and `${v%%p}` (longest): remove a matching suffix. */
export function trimSuffix(
  pattern: string,
  value: string,
  greedy: boolean,
  spend?: Spend,
): PatternResult {
  return exhaustible(() => {
    const r = trimPrefixOf(reversePattern(pattern), codePoints(value).reverse(), greedy, spend);
    return 'error' in r ? r : { value: fromCodePoints(r.rest.slice().reverse()) };
  });
}

/**
 * `${v/p/r}` (first match) and `${v//p/r}` (every match); stars are always
 * greedy. A result longer than `limit` characters is `tooLong`, found as it
 * grows (`${v//?/$big}` would otherwise be |v| × |big| before anyone looked).
 */
export function replace(
  pattern: string,
  value: string,
  replacement: string,
  all: boolean,
  limit = Infinity,
  spend?: Spend,
): PatternResult {
  const toks = compile(pattern);
  if (!Array.isArray(toks))
    return { error: `invalid pattern (${pattern}) in substitution: ${toks.error}` };
  const matcher = new Matcher(toks, true, spend);
  const text = codePoints(value);
  return exhaustible(() => {
    if (!all) {
      const m = matcher.find(text, 0, false);
      if (!m) return { value };
      if (value.length - (m[1] - m[0]) + replacement.length > limit) return { tooLong: true };
      return {
        value: fromCodePoints(text, 0, m[0]) + replacement + fromCodePoints(text, m[1]),
      };
    }
    // Go's ReplaceAllString: an empty match right after a match is not replaced,
    // and the search always moves on by at least one character.
    const template = replacement.includes('$') ? compileTemplate(replacement) : [replacement];
    let out = '';
    let lastEnd = 0;
    let pos = 0;
    while (pos <= text.length) {
      const m = matcher.find(text, pos, false);
      if (!m) break;
      out += fromCodePoints(text, lastEnd, m[0]);
      if (m[1] > lastEnd || m[0] === 0) {
        const r = expandTemplate(template, fromCodePoints(text, m[0], m[1]), limit - out.length);
        if (r === undefined) return { tooLong: true };
        out += r;
      }
      if (out.length > limit) return { tooLong: true };
      lastEnd = m[1];
      const width = pos < text.length ? 1 : 0;
      if (pos + width > m[1]) pos += width;
      else if (pos + 1 > m[1]) pos++;
      else pos = m[1];
    }
    out += fromCodePoints(text, lastEnd);
    return out.length > limit ? { tooLong: true } : { value: out };
  });
}
