/**
 * The moo lexer for one logical instruction line (continuations already
 * joined by lines.ts). It has a state per way Docker splits text, and the
 * grammar picks the state through its start symbol:
 *
 *  - `head`/`flags`/`rest`: the keyword, the leading `--flag` words (quotes and
 *    backslashes allowed inside, as BuildKit's extractBuilderFlags reads them),
 *    a lone `--` that ends the flags, and the rest of the line as one token;
 *  - `json`: Go's encoding/json, so exactly what Docker accepts as exec form;
 *  - `words`: runs separated by `[\t\v\f\r ]`, no quoting (FROM, EXPOSE, COPY);
 *  - `qwords`: words that keep quotes and escapes (ARG, ENV, LABEL), whose
 *    escape character is the file's (`\` or backtick), so there is one lexer
 *    per escape token.
 */
import moo from 'moo';
import type { EscapeToken } from './ast.js';
import { GO_SPACE } from './lines.js';

const SPACE = `[${GO_SPACE}]`;
const NOT_SPACE = `[^${GO_SPACE}`;

/** A flag word: `--` then anything up to unquoted space; `\` escapes, quotes group. */
const FLAG = new RegExp(
  `--(?:${NOT_SPACE}"'\\\\]|\\\\[^]|\\\\$|"(?:[^"\\\\]|\\\\[^])*(?:\\\\|")?|'(?:[^'\\\\]|\\\\[^])*(?:\\\\|')?)*`,
);

/** Go's JSON string: no raw control characters, only the escapes JSON defines. */
// eslint-disable-next-line no-control-regex -- the control characters are exactly what JSON forbids
const JSON_STRING = /"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/;

function quotedWordRules(escape: EscapeToken): moo.Rules {
  const e = escape === '\\' ? '\\\\' : '`';
  return {
    ws: { match: new RegExp(`${SPACE}+`), lineBreaks: true },
    // Inside double quotes the escape character keeps the next one; a lone
    // escape at the very end is dropped by the grammar, as Docker drops it.
    dq: { match: new RegExp(`"(?:[^"${e}]|${e}[^])*(?:"|${e})?`), lineBreaks: true },
    sq: { match: /'[^']*'?/, lineBreaks: true },
    esc: { match: new RegExp(`${e}[^]`), lineBreaks: true },
    escEnd: new RegExp(e),
    text: { match: new RegExp(`${NOT_SPACE}"'${e}]+`), lineBreaks: true },
  };
}

function makeLexer(escape: EscapeToken): moo.Lexer {
  return moo.states({
    head: {
      keyword: { match: /[^\t\v\f\r ]+/, lineBreaks: true, next: 'flags' },
    },
    flags: {
      ws: { match: new RegExp(`${SPACE}+`), lineBreaks: true },
      dashdash: { match: new RegExp(`--(?=${SPACE}|$)`), next: 'rest' },
      flag: { match: FLAG, lineBreaks: true },
      rest: { match: /[^]+/, lineBreaks: true, next: 'rest' },
    },
    rest: {
      rest: { match: /[^]+/, lineBreaks: true },
    },
    json: {
      jws: { match: /[ \t\n\r]+/, lineBreaks: true },
      lbracket: '[',
      rbracket: ']',
      lbrace: '{',
      rbrace: '}',
      comma: ',',
      colon: ':',
      string: JSON_STRING,
      number: /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/,
      literal: ['true', 'false', 'null'],
      invalid: { match: /[^]/, lineBreaks: true },
    },
    words: {
      ws: /[\t\v\f\r ]+/,
      word: { match: /[^\t\v\f\r ]+/, lineBreaks: true },
    },
    qwords: quotedWordRules(escape),
  });
}

export type LexerState = 'head' | 'json' | 'words' | 'qwords';

const LEXERS: Record<EscapeToken, moo.Lexer> = { '\\': makeLexer('\\'), '`': makeLexer('`') };

/**
 * A lexer that always starts in one state: nearley resets the lexer with the
 * state it saved last, which for a fresh parser is none, so it gets ours.
 */
export class StateLexer {
  private readonly inner: moo.Lexer;
  private readonly start: LexerState;

  constructor(escape: EscapeToken, start: LexerState) {
    this.inner = LEXERS[escape];
    this.start = start;
  }

  reset(chunk: string, info?: moo.LexerState): this {
    this.inner.reset(chunk, info ?? { line: 1, col: 0, state: this.start });
    return this;
  }

  next(): moo.Token | undefined {
    return this.inner.next();
  }

  save(): moo.LexerState {
    return this.inner.save();
  }

  formatError(token: moo.Token, message?: string): string {
    return this.inner.formatError(token, message);
  }

  has(): boolean {
    return true;
  }
}
