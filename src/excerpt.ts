/**
 * User text as error messages show it: cut to a readable width and with
 * characters that are not printable escaped, so that a 10 MB label, a line of
 * 50,000 blanks or the binary bytes of a .dockerignore make one readable line,
 * and no escape sequence reaches the terminal:
 *
 *   Dockerfile:2:7: Syntax error - can't find = in "xxxx…" (10485760 characters)
 *     2 | LABEL xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…
 *       |       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
 */

/** The widest a line of a Dockerfile (or a value in a message) is shown. */
export const EXCERPT_WIDTH = 120;

/** The longest a message that quotes user text gets before it is cut. */
export const MESSAGE_WIDTH = 4 * EXCERPT_WIDTH;

// Control and format characters, line and paragraph separators, lone surrogates.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const UNPRINTABLE_ALL = new RegExp(UNPRINTABLE.source, 'gu');

/** One character as shown: itself, or `\x1b` / `\u202e` when it is not printable. */
function shown(ch: string): string {
  if (!UNPRINTABLE.test(ch)) return ch;
  const code = ch.codePointAt(0)!;
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * User text as it may appear in a message: non-printable characters escaped
 * and, past `max` characters, cut with `…` (and how much more there was).
 * @example excerpt('a\u0000b') // 'a\\x00b'
 */
export function excerpt(text: string, max = EXCERPT_WIDTH): string {
  const head = text.length > max ? text.slice(0, max) : text;
  const escaped = head.replace(UNPRINTABLE_ALL, shown);
  return text.length > max ? `${escaped}… (${text.length} characters)` : escaped;
}

/**
 * The part of `line` around `[start, end)` (0-based) that fits EXCERPT_WIDTH
 * columns once escaped, with where the caret goes and how wide it is. A line
 * that fits and is all printable comes back as it is (tabs as spaces).
 */
export function sourceExcerpt(
  line: string,
  start: number,
  end: number,
): { text: string; caret: number; width: number } {
  if (line.length <= EXCERPT_WIDTH && !UNPRINTABLE.test(line)) {
    const width = end === Infinity ? line.length - start : end - start;
    return { text: line.replace(/\t/g, ' '), caret: Math.max(0, start), width: Math.max(1, width) };
  }
  start = Math.min(Math.max(0, start), line.length);
  end = Math.min(end, line.length);
  // Each shown character is at least as wide as the one it shows, so no more
  // of the line than EXCERPT_WIDTH on either side of the spot can be needed.
  const from = Math.max(0, start - EXCERPT_WIDTH);
  const to = Math.min(
    line.length,
    Math.max(start + 1, Math.min(end, start + EXCERPT_WIDTH)) + EXCERPT_WIDTH,
  );
  const pieces: string[] = [];
  for (let i = from; i < to;) {
    const ch = String.fromCodePoint(line.codePointAt(i)!);
    pieces.push(ch === '\t' ? ' ' : shown(ch));
    // The second half of a pair shows as nothing: offsets stay UTF-16 units.
    if (ch.length === 2) pieces.push('');
    i += ch.length;
  }
  const at = (i: number) => pieces[i - from] ?? '';
  // The spot itself, then context: half the room after it, the rest before, then after again.
  let lo = start;
  let hi = start;
  let used = 0;
  const fits = (i: number) => used + at(i).length <= EXCERPT_WIDTH;
  // A spot wider than the room leaves a quarter of it to what comes before (`LABEL `).
  const room = Math.floor((EXCERPT_WIDTH * 3) / 4);
  while (hi < Math.max(end, start) && hi < to && used + at(hi).length <= room)
    used += at(hi++).length;
  const spot = used;
  const after = Math.floor((EXCERPT_WIDTH - used) / 2);
  while (hi < to && used - spot < after && fits(hi)) used += at(hi++).length;
  while (lo > from && fits(lo - 1)) used += at(--lo).length;
  while (hi < to && fits(hi)) used += at(hi++).length;
  const cutLeft = lo > 0;
  const cutRight = hi < line.length;
  let text = '';
  let caret = cutLeft ? 1 : 0;
  for (let i = lo; i < hi; i++) {
    if (i < start) caret += at(i).length;
    text += at(i);
  }
  return {
    text: `${cutLeft ? '…' : ''}${text}${cutRight ? '…' : ''}`,
    caret,
    width: Math.max(1, spot),
  };
}
