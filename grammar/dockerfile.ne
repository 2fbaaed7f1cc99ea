# The Dockerfile grammar, for one logical instruction at a time.
#
# lines.ts has already joined continuations and cut out heredoc bodies, so
# every input here is one line. The start symbol says which of Docker's
# argument shapes to read, and the lexer (src/dockerfile/lexer.ts) is started
# in the matching state:
#
#   head     keyword, --flags, the rest of the line       (every instruction)
#   json     a JSON value; exec form when it is an array of strings
#   words    whitespace-separated words, no quoting       (FROM, EXPOSE, COPY…)
#   qwords   words keeping quotes and escapes             (ARG, ENV, LABEL)
#
# Each rule is left-recursive or a fixed sequence, and whitespace is one token
# between two others, so there is exactly one parse and nearley's Earley
# chart stays linear in the line's length.

@preprocessor typescript

@{%
import type { Token } from 'moo';
import type { JsonValue, HeadParse, QuotedPart, List } from './grammar-types.js';

const tok = (d: unknown[]): Token => d[0] as Token;
// Lists are built as cons cells, never by push: Earley shares a completed
// item between every rule that continues from it, so mutating one would leak
// into the others. parse-args.ts flattens them once.
const cons = <T>(prev: List<T>, item: T): List<T> => ({ prev, item });
// Token symbols compile to { type } tests; the real lexer (a StateLexer,
// started in the state the start symbol needs) is supplied by parse-args.ts.
const lexer = { has: (_type: string) => true };
%}

@lexer lexer

# --- head: KEYWORD (ws --flag)* [ws rest | ws -- [rest]] ---------------------

head -> %keyword flags tail
  {% ([keyword, flags, rest]): HeadParse => ({ keyword, flags, rest }) %}

flags -> null                    {% (): List<Token> => null %}
       | flags %ws %flag         {% ([list, , flag]) => cons(list, flag) %}

tail -> null                     {% () => null %}
      | %ws %rest                {% ([, rest]) => rest %}
      | %ws %dashdash            {% () => null %}
      | %ws %dashdash %rest      {% ([, , rest]) => rest %}

# --- json: what Go's json.Decoder.Decode accepts ---------------------------
# Docker decodes the first JSON value and ignores whatever follows it, so
# `CMD ["a"] tail` is exec form ["a"]. The trailing text is any tokens at all
# (the lexer's `invalid` token covers what JSON cannot).

json -> _ value trailing         {% ([, v]) => v %}

trailing -> null                 {% () => null %}
          | trailing any         {% () => null %}

any -> %jws | %lbracket | %rbracket | %lbrace | %rbrace | %comma | %colon
     | %string | %number | %literal | %invalid

value -> %string                 {% (d): JsonValue => ({ type: 'string', token: tok(d) }) %}
       | %number                 {% (d): JsonValue => ({ type: 'other', token: tok(d) }) %}
       | %literal                {% (d): JsonValue => ({ type: 'other', token: tok(d) }) %}
       | array                   {% id %}
       | object                  {% id %}

array -> %lbracket _ %rbracket   {% (): JsonValue => ({ type: 'array', items: null }) %}
       | %lbracket _ elements _ %rbracket
                                 {% ([, , items]): JsonValue => ({ type: 'array', items }) %}

elements -> value                {% ([v]) => cons(null, v) %}
          | elements _ %comma _ value
                                 {% ([list, , , , v]) => cons(list, v) %}

object -> %lbrace _ %rbrace      {% (d): JsonValue => ({ type: 'other', token: tok(d) }) %}
        | %lbrace _ members _ %rbrace
                                 {% (d): JsonValue => ({ type: 'other', token: tok(d) }) %}

members -> member                {% () => null %}
         | members _ %comma _ member
                                 {% () => null %}

member -> %string _ %colon _ value {% () => null %}

_ -> null                        {% () => null %}
   | %jws                        {% () => null %}

# --- words: no quoting, split on [\t\v\f\r ] ---------------------------------

words -> %word                   {% ([w]): List<Token> => cons(null, w) %}
       | words %ws %word         {% ([list, , w]) => cons(list, w) %}

# --- qwords: quotes and escapes kept inside the word -------------------------

qwords -> qword                  {% ([w]): List<List<QuotedPart>> => cons(null, w) %}
        | qwords %ws qword       {% ([list, , w]) => cons(list, w) %}

qword -> qpart                   {% ([p]): List<QuotedPart> => cons(null, p) %}
       | qword qpart             {% ([list, p]) => cons(list, p) %}

qpart -> %dq                     {% (d): QuotedPart => ({ type: 'dq', token: tok(d) }) %}
       | %sq                     {% (d): QuotedPart => ({ type: 'sq', token: tok(d) }) %}
       | %esc                    {% (d): QuotedPart => ({ type: 'esc', token: tok(d) }) %}
       | %escEnd                 {% (d): QuotedPart => ({ type: 'escEnd', token: tok(d) }) %}
       | %text                   {% (d): QuotedPart => ({ type: 'text', token: tok(d) }) %}
