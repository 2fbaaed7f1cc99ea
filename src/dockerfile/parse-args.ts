/**
 * Typed entry points into the generated nearley grammar: one per start
 * symbol, each fed a single logical line (or the part of it the instruction's
 * line parser needs). Grammars are built once per (start symbol, escape token)
 * and reused; a parse is a fresh nearley.Parser over a short string.
 */
import nearley from 'nearley';
import type { Token } from 'moo';
import compiled from './dockerfile.gen.js';
import type { EscapeToken } from './ast.js';
import {
  toArray,
  type HeadParse,
  type JsonValue,
  type List,
  type QuotedPart,
} from './grammar-types.js';
import { StateLexer, type LexerState } from './lexer.js';

type Start = 'head' | 'json' | 'words' | 'qwords';

const cache = new Map<string, nearley.Grammar>();

function grammar(start: Start, state: LexerState, escape: EscapeToken): nearley.Grammar {
  const key = `${start}:${escape}`;
  let g = cache.get(key);
  if (!g) {
    const rules = compiled as unknown as nearley.CompiledRules;
    g = nearley.Grammar.fromCompiled({ ParserRules: rules.ParserRules, ParserStart: start });
    g.lexer = new StateLexer(escape, state);
    cache.set(key, g);
  }
  return g;
}

/**
 * The single parse of `text` from `start`, or undefined when the text is not
 * in that language (a lexer error or an incomplete parse). Two parses would be
 * a bug in the grammar, which is written to be unambiguous.
 */
function run<T>(start: Start, state: LexerState, escape: EscapeToken, text: string): T | undefined {
  const parser = new nearley.Parser(grammar(start, state, escape));
  // A failed parse is an answer here (not JSON: shell form), never shown to
  // anyone; nearley's own message renders the whole parse state, which cost
  // more than all the parsing in a Dockerfile with many shell-form arrays.
  Object.assign(parser, { reportError: quietError, reportLexerError: quietError });
  try {
    parser.feed(text);
  } catch {
    return undefined;
  }
  const results = parser.results as T[];
  if (results.length > 1) {
    throw new Error(
      `internal: ambiguous ${start} parse (${results.length}) of ${JSON.stringify(text)}`,
    );
  }
  return results[0];
}

const quietError = (): string => 'no parse';

/** KEYWORD, its flags and the rest, from a line trimmed of surrounding space. */
export function parseHead(text: string): HeadParse {
  const head = run<HeadParse>('head', 'head', '\\', text);
  if (!head) throw new Error(`internal: no head parse of ${JSON.stringify(text)}`);
  return head;
}

/** The JSON value in `text`, or undefined when it is not valid JSON. */
export function parseJsonValue(text: string): JsonValue | undefined {
  return run<JsonValue>('json', 'json', '\\', text);
}

/** Words split on `[\t\v\f\r ]`, from a trimmed non-empty text. */
export function parseWords(text: string): Token[] {
  const words = run<List<Token>>('words', 'words', '\\', text);
  if (words === undefined) throw new Error(`internal: no words parse of ${JSON.stringify(text)}`);
  return toArray(words);
}

/** Quote-aware words (Docker's parseWords), from a trimmed non-empty text. */
export function parseQuotedWords(text: string, escape: EscapeToken): QuotedPart[][] {
  const words = run<List<List<QuotedPart>>>('qwords', 'qwords', escape, text);
  if (words === undefined)
    throw new Error(`internal: no quoted-words parse of ${JSON.stringify(text)}`);
  return toArray(words).map(toArray);
}
