/** The values the nearley grammar's postprocessors build (grammar/dockerfile.ne). */
import type { Token } from 'moo';

/** An immutable list, newest item first; `toArray` puts it in order. */
export type List<T> = { prev: List<T>; item: T } | null;

export function toArray<T>(list: List<T>): T[] {
  const out: T[] = [];
  for (let l = list; l !== null; l = l.prev) out.push(l.item);
  return out.reverse();
}

export interface HeadParse {
  keyword: Token;
  flags: List<Token>;
  /** The rest of the line after the flags, or null when there is none. */
  rest: Token | null;
}

/** A JSON value, kept only as far as the exec-form check needs. */
export type JsonValue =
  | { type: 'string'; token: Token }
  | { type: 'array'; items: List<JsonValue> }
  | { type: 'other'; token: Token };

/** A piece of a quoted word: `"…"`, `'…'`, an escape pair, a lone trailing escape, plain text. */
export interface QuotedPart {
  type: 'dq' | 'sq' | 'esc' | 'escEnd' | 'text';
  token: Token;
}
