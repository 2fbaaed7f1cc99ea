/**
 * Go's strconv quoting, so what tsbuild quotes reads exactly like Docker's
 * messages (`%q` in a Dockerfile error) and Go templates (`%q`, parse errors,
 * string and character literals).
 * Go strings are bytes; here a `\xff` escape becomes a byte of a UTF-8 buffer,
 * so `"\xc3\xa9"` is "é", and invalid sequences decode to U+FFFD.
 */

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and U+0020. */
export function isPrint(ch: string): boolean {
  return ch === ' ' || PRINTABLE.test(ch);
}

const ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function quoteWith(s: string, quote: string, asciiOnly: boolean): string {
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else if (isPrint(ch) && !(asciiOnly && cp >= 0x80)) out += ch;
    else if (ESCAPES[ch] !== undefined) out += ESCAPES[ch];
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + hex(cp, 2);
    else if (cp < 0x10000) out += '\\u' + hex(cp, 4);
    else out += '\\U' + hex(cp, 8);
  }
  return out + quote;
}

/** strconv.Quote (`%q`); `asciiOnly` is strconv.QuoteToASCII (`%+q`). */
export function goQuote(s: string, asciiOnly = false): string {
  return quoteWith(s, '"', asciiOnly);
}

/** strconv.QuoteRune: `%q` of an integer, e.g. 97 → `'a'`. */
export function goQuoteRune(cp: number): string {
  const valid = cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
  return quoteWith(String.fromCodePoint(valid ? cp : 0xfffd), "'", false);
}

/** `%#U` as lexer errors print a character: `U+0023 '#'`. */
export function describeRune(ch: string): string {
  const code = 'U+' + (ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  return isPrint(ch) ? `${code} '${ch}'` : code;
}

/** `%.10q...`: the first ten characters quoted, as parse errors show long tokens. */
export function quoteShort(s: string): string {
  const chars = [...s];
  return chars.length > 10 ? goQuote(chars.slice(0, 10).join('')) + '...' : goQuote(s);
}

const SIMPLE: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };

/**
 * strconv.UnquoteChar: one (possibly escaped) character of `s` at `i`.
 * `byte` is set for \x and octal escapes, which stand for one raw byte.
 */
function unquoteChar(
  s: string,
  i: number,
  quote: string,
): { value: number; byte: boolean; next: number } {
  const ch = s[i] as string;
  if (ch === quote) throw new Error('invalid syntax');
  if (ch !== '\\') {
    const cp = s.codePointAt(i) ?? 0;
    return { value: cp, byte: false, next: i + (cp > 0xffff ? 2 : 1) };
  }
  const c = s[i + 1];
  if (c === undefined) throw new Error('invalid syntax');
  if (SIMPLE[c] !== undefined) return { value: SIMPLE[c], byte: false, next: i + 2 };
  if (c === "'" || c === '"') {
    if (c !== quote) throw new Error('invalid syntax');
    return { value: c.charCodeAt(0), byte: false, next: i + 2 };
  }
  const digits = c === 'x' ? 2 : c === 'u' ? 4 : c === 'U' ? 8 : /[0-7]/.test(c) ? 3 : 0;
  if (digits === 0) throw new Error('invalid syntax');
  const start = c >= '0' && c <= '7' ? i + 1 : i + 2;
  const text = s.slice(start, start + digits);
  const base = digits === 3 ? 8 : 16;
  const pattern = base === 8 ? /^[0-7]{3}$/ : new RegExp(`^[0-9a-fA-F]{${digits}}$`);
  if (!pattern.test(text)) throw new Error('invalid syntax');
  const value = parseInt(text, base);
  const isByte = c === 'x' || base === 8;
  if (isByte && value > 255) throw new Error('invalid syntax');
  if (!isByte && (value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))) {
    throw new Error('invalid syntax');
  }
  return { value, byte: isByte, next: start + digits };
}

/** strconv.Unquote for "..." and `...` literals; throws Error('invalid syntax'). */
export function unquote(literal: string): string {
  const quote = literal[0];
  if (literal.length < 2 || literal[literal.length - 1] !== quote)
    throw new Error('invalid syntax');
  const body = literal.slice(1, -1);
  if (quote === '`') {
    if (body.includes('`')) throw new Error('invalid syntax');
    return body.replace(/\r/g, '');
  }
  if (quote !== '"' || body.includes('\n')) throw new Error('invalid syntax');
  const bytes: number[] = [];
  for (let i = 0; i < body.length;) {
    const r = unquoteChar(body, i, quote);
    if (r.byte) bytes.push(r.value);
    else bytes.push(...Buffer.from(String.fromCodePoint(r.value)));
    i = r.next;
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A character constant such as 'a' or '\n' → its code point (a \x escape gives the byte). */
export function unquoteCharConstant(literal: string): number {
  const body = literal.slice(1);
  const r = unquoteChar(body, 0, "'");
  if (body.slice(r.next) !== "'") throw new Error(`malformed character constant: ${literal}`);
  return r.value;
}
