/**
 * The functions the Docker CLI adds to every --format template
 * (github.com/docker/cli templates/templates.go): json split join title lower
 * upper pad truncate, and the stand-ins it uses while rendering a table header,
 * which leave the column name as it is (`{{json .Labels}}` heads a column
 * LABELS), except `pad`, which keeps headers aligned with their columns.
 */
import { dockerJson } from './docker-json.js';
import { CallError, type FuncMap } from './template-func.js';

/** One code point through a simple case mapping, as Go's unicode.ToUpper does. */
function mapRunes(s: string, f: (ch: string) => string): string {
  let out = '';
  for (const ch of s) {
    const mapped = f(ch);
    out += [...mapped].length === 1 ? mapped : ch;
  }
  return out;
}

const upper = (s: string): string => mapRunes(s, (c) => c.toUpperCase());
/** İ lower-cases to i in Go's simple mapping (JavaScript gives i and a dot). */
const lower = (s: string): string => mapRunes(s, (c) => (c === '\u0130' ? 'i' : c.toLowerCase()));

/** unicode.ToTitle: like upper case, except the title-case digraphs ǅ ǈ ǋ ǲ. */
function toTitle(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  for (const first of [0x1c4, 0x1c7, 0x1ca, 0x1f1]) {
    if (cp >= first && cp <= first + 2) return String.fromCodePoint(first + 1);
  }
  return upper(ch);
}

/** strings.Title's word boundary: not a letter, digit or underscore. */
function isSeparator(ch: string): boolean {
  if (/^[A-Za-z0-9_]$/.test(ch)) return false;
  if ((ch.codePointAt(0) ?? 0) < 0x80) return true;
  if (/^[\p{L}\p{Nd}]$/u.test(ch)) return false;
  return /^\s$/u.test(ch);
}

/** strings.Title: upper-cases the first letter of each word. */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    out += isSeparator(prev) ? toTitle(ch) : ch;
    prev = ch;
  }
  return out;
}

function pad(source: string, prefix: number, suffix: number): string {
  if (source === '') return source;
  if (prefix < 0 || suffix < 0) throw new CallError('strings: negative Repeat count');
  // Go would make a string of a billion spaces; V8 cannot hold one past MAX_PADDED.
  if (prefix + suffix + source.length > MAX_PADDED)
    throw new CallError(
      `pad: ${prefix} + ${suffix} spaces make a string longer than ${MAX_PADDED}`,
    );
  return ' '.repeat(prefix) + source + ' '.repeat(suffix);
}

/** Under V8's longest string (2^29 - 24 UTF-16 units), with room for what follows. */
const MAX_PADDED = 2 ** 28;

/** The first `length` bytes, as Go slices a string (which may split a character). */
function truncate(source: string, length: number): string {
  const bytes = Buffer.from(source);
  if (bytes.length < length) return source;
  if (length < 0) throw new CallError(`runtime error: slice bounds out of range [:${length}]`);
  return bytes.subarray(0, length).toString('utf8');
}

export const dockerFuncs: FuncMap = {
  json: { params: ['any'], fn: dockerJson },
  split: {
    params: ['string', 'string'],
    fn: (s: string, sep: string) => (sep === '' ? [...s] : s.split(sep)),
  },
  join: { params: ['strings', 'string'], fn: (elems: string[], sep: string) => elems.join(sep) },
  title: { params: ['string'], fn: title },
  lower: { params: ['string'], fn: lower },
  upper: { params: ['string'], fn: upper },
  pad: { params: ['string', 'int', 'int'], fn: pad },
  truncate: { params: ['string', 'int'], fn: truncate },
};

const same = (v: string): string => v;

/** templates.HeaderFunctions: what a table's header row is rendered with. */
export const headerFuncs: FuncMap = {
  json: { params: ['string'], fn: same },
  split: { params: ['string', 'string'], fn: same },
  join: { params: ['string', 'string'], fn: same },
  title: { params: ['string'], fn: same },
  lower: { params: ['string'], fn: same },
  upper: { params: ['string'], fn: same },
  truncate: { params: ['string', 'int'], fn: same },
};
