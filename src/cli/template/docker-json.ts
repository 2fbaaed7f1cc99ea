/**
 * Docker's `json` template function: encoding/json with SetEscapeHTML(false),
 * so `{{json .Config.Labels}}` keeps `<>&` as they are (U+2028 and U+2029 are
 * still escaped), and no trailing newline. Object keys keep their order, as a
 * Go struct's fields do.
 *
 * A row of `docker images --format` and the like is a formatter context whose
 * MarshalJSON builds a map and calls json.Marshal, so `{{json .}}` of a row
 * has sorted keys and HTML-escaped strings: `"Digest":"\u003cnone\u003e"`.
 * renderRows and renderTable mark their rows for that with markFormatterRow.
 */

import {
  compareStrings,
  isEmbedded,
  isGoEmpty,
  isGoNil,
  jsonName,
  omittedWhenEmpty,
} from './value.js';

class Unsupported extends Error {}

const FORMATTER_ROWS = new WeakSet<object>();

/** `{{json .}}` of this object encodes as a Docker formatter context does. */
export function markFormatterRow(row: unknown): void {
  if (typeof row === 'object' && row !== null) FORMATTER_ROWS.add(row);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const HTML_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026' };

function encodeString(s: string, html: boolean): string {
  const json = JSON.stringify(s.replace(LONE_SURROGATE, '\uFFFD'))
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return html ? json.replace(/[<>&]/g, (c) => HTML_ESCAPES[c] ?? c) : json;
}

function encode(v: unknown, html: boolean): string {
  if (v === undefined || v === null || isGoNil(v)) return 'null';
  if (typeof v === 'string') return encodeString(v, html);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Unsupported();
    return Object.is(v, -0) ? '-0' : JSON.stringify(v);
  }
  if (typeof v !== 'object') throw new Unsupported();
  if (Array.isArray(v)) return `[${v.map((e) => encode(e, html)).join(',')}]`;
  const withJson = v as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return encode(withJson.toJSON(), html);
  const row = FORMATTER_ROWS.has(v);
  const entries = fields(v);
  if (row) entries.sort(([a], [b]) => compareStrings(a, b));
  const members = entries.map(
    ([k, x]) => `${encodeString(k, html || row)}:${encode(x, html || row)}`,
  );
  return `{${members.join(',')}}`;
}

/** An object's members as encoding/json writes them: json names, an embedded struct's fields in its place. */
function fields(v: object): [string, unknown][] {
  const omit = omittedWhenEmpty(v);
  return Object.entries(v).flatMap(([k, x]): [string, unknown][] => {
    if (isEmbedded(x)) return fields(x as object);
    if (x === undefined || (omit?.has(k) && isGoEmpty(x))) return [];
    return [[jsonName(v, k), x]];
  });
}

/** A value encoding/json rejects (NaN, a function) gives "", as Docker ignores the error. */
export function dockerJson(v: unknown): string {
  try {
    return encode(v, false);
  } catch (e) {
    if (e instanceof Unsupported) return '';
    throw e;
  }
}
