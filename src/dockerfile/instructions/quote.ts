/**
 * Go's strconv.Quote (what `%q` and `%#v` print for a string), so messages
 * that quote a value read exactly like Docker's:
 *   goQuote('Foo!')    → "Foo!"
 *   goQuote('a"b\n')   → "a\"b\n"
 *   goQuote('\u00a0')  → "\u00a0"   (printable runes stay, other spaces do not)
 */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const NAMED: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    out += escapeRune(ch);
  }
  return out + '"';
}

function escapeRune(ch: string): string {
  if (ch === '"' || ch === '\\') return '\\' + ch;
  if (PRINTABLE.test(ch)) return ch;
  const named = NAMED[ch];
  if (named) return named;
  let r = ch.codePointAt(0)!;
  if (r < 0x20 || r === 0x7f) return '\\x' + r.toString(16).padStart(2, '0');
  // A lone surrogate is no valid rune: Go would print the replacement character.
  if (r >= 0xd800 && r <= 0xdfff) r = 0xfffd;
  return r < 0x10000
    ? '\\u' + r.toString(16).padStart(4, '0')
    : '\\U' + r.toString(16).padStart(8, '0');
}
