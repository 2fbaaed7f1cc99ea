/**
 * Variable expansion and word splitting with the semantics of BuildKit's
 * Dockerfile shell lexer (frontend/dockerfile/shell/lex.go): one linear pass,
 * no shell. Pinned by the tables in test/fixtures/expand/.
 *
 * What BuildKit does that a POSIX shell would not, and we copy:
 * - A quoted empty string is not a word: `EXPOSE "" 80` has one word, "80".
 * - Text produced by `$v` is split on spaces, even the default of
 *   `${v:-"a b"}`: the quotes inside a modifier do not protect it.
 * - `${v#p}` `${v%p}` `${v/p/r}` keep escapes in p and r for the pattern
 *   matcher (`${v//\//-}` replaces every `/`, `${v//a/\/}` inserts `\/`).
 * - `${v:#p}` and `${v:%p}` mean `${v#p}` and `${v%p}`.
 * - A name may be any Unicode letters and digits (`$한국어`); `$1x` is `$1` then "x".
 * - A word that starts with U+FEFF loses it (Go's scanner takes it for a BOM).
 * - With skipUnsetEnv, `${v//p/r}` on an unset v comes back as `${v/p/r}`.
 *
 * Deliberate differences: `${v` at the very end of a word reports
 * "syntax error: missing '}'", where BuildKit says "unsupported modifier (\uFFFD)
 * in substitution" (it prints its end-of-input marker as a character); and more
 * than 1000 nested `${...}` is an error here, where Go's growable stack copes;
 * and a result longer than MAX_EXPANDED_WORD (limits.ts) is an error, where
 * BuildKit would keep doubling `ARG a2=$a1$a1` until memory runs out.
 *
 * Error offsets (0-based, in UTF-16 code units of the input): the end of the
 * input for "unexpected end" and "missing" errors, the character after `${` for
 * "bad substitution", the modifier for "unsupported modifier", and the `$` of
 * the expansion for `${v?msg}` and pattern errors.
 */
import { ExpansionError } from '../errors.js';
import {
  replace,
  trimPrefix,
  trimSuffix,
  type PatternResult,
  type Spend,
} from './expand-pattern.js';
import { Words } from './expand-words.js';
import { BUDGET_EXCEEDED, MAX_EXPANDED_WORD } from './limits.js';

export type { Spend };

export type EscapeToken = '\\' | '`';

export interface ShellLexOptions {
  /** The Dockerfile's escape character; default `\`. */
  escape?: EscapeToken;
  /** Keep quote characters in the result (BuildKit RawQuotes). */
  rawQuotes?: boolean;
  /** Keep escape characters in the result (BuildKit RawEscapes). */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written (BuildKit SkipUnsetEnv). */
  skipUnsetEnv?: boolean;
  /** Treat quotes as ordinary characters (BuildKit SkipProcessQuotes, for heredocs). */
  skipProcessQuotes?: boolean;
}

/** Variables visible to the expansion; a Map or a lookup function. */
export type EnvLookup = ReadonlyMap<string, string> | ((name: string) => string | undefined);

export interface WordResult {
  word: string;
  matched: Set<string>;
  unmatched: Set<string>;
}

export interface WordsResult {
  words: string[];
  matched: Set<string>;
  unmatched: Set<string>;
}

/**
 * Expand one word: quotes removed, variables substituted, no splitting
 * (ENV and LABEL values, WORKDIR, USER...). Throws ExpansionError.
 * @example
 * processWord('${APP:-web}-"$V"', new Map([['V', '1.2']])).word // 'web-1.2'
 */
export function processWord(word: string, env: EnvLookup, opts: ShellLexOptions = {}): WordResult {
  return expandWord(word, env, opts);
}

/**
 * processWord, charging `spend` for what it reads and matches: each variable's
 * value (`$big` read a thousand times is a thousand reads) and each step of
 * pattern matching. The stage graph shares one allowance across a Dockerfile
 * (limits.ts); when it runs out, an ExpansionError EXPANSION_TOO_LARGE.
 */
export function expandWord(
  word: string,
  env: EnvLookup,
  opts: ShellLexOptions,
  spend?: Spend,
): WordResult {
  const lx = new Lexer(word, env, opts, false, spend);
  const { text } = lx.run();
  return { word: text, matched: lx.matched, unmatched: lx.unmatched };
}

/**
 * Expand and split into words where Docker splits (EXPOSE, VOLUME, COPY sources...):
 * at unquoted, unescaped white space, including white space that came from a variable.
 * @example
 * processWords('$PORTS "a b"', new Map([['PORTS', '80 443']])).words // ['80', '443', 'a b']
 */
export function processWords(
  word: string,
  env: EnvLookup,
  opts: ShellLexOptions = {},
): WordsResult {
  return expandWords(word, env, opts);
}

/** processWords, charging `spend` as expandWord does. */
export function expandWords(
  word: string,
  env: EnvLookup,
  opts: ShellLexOptions,
  spend?: Spend,
): WordsResult {
  const lx = new Lexer(word, env, opts, true, spend);
  const { words } = lx.run();
  return { words, matched: lx.matched, unmatched: lx.unmatched };
}

const EOF = -1;
/** Each level of `${v:-${w:-...}}` is a few stack frames; this stays far below Node's limit. */
const MAX_NESTING = 1000;
const cp = (s: string): number => s.codePointAt(0) as number;
const DOLLAR = 0x24;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const COLON = 0x3a;
const SQUOTE = 0x27;
const DQUOTE = 0x22;
const SLASH = 0x2f;

const charIs =
  (re: RegExp) =>
  (c: number): boolean =>
    c >= 0 && re.test(String.fromCodePoint(c));
const isUnicodeDigit = charIs(/\p{Nd}/u);
const isUnicodeLetter = charIs(/\p{L}/u);
const isDigit = (c: number): boolean => (c < 128 ? c >= 48 && c <= 57 : isUnicodeDigit(c));
const isLetter = (c: number): boolean =>
  c < 128 ? (c | 32) >= 97 && (c | 32) <= 122 : isUnicodeLetter(c);
/** POSIX special parameters; Docker never sets them, so they expand to "". */
const isSpecialParam = (c: number): boolean =>
  c > 0 && c < 128 && '@*#?-$!0'.includes(String.fromCharCode(c));

class Lexer {
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  private pos: number;
  private rawEscapes: boolean;
  private depth = 0;
  private readonly esc: number;
  private readonly get: (name: string) => string | undefined;

  /** @param wantWords whether to split into words too (processWords), or only expand. */
  constructor(
    private readonly src: string,
    env: EnvLookup,
    private readonly opts: ShellLexOptions,
    private readonly wantWords: boolean,
    private readonly spend: Spend = () => true,
  ) {
    this.pos = src.startsWith('\uFEFF') ? 1 : 0;
    this.rawEscapes = opts.rawEscapes ?? false;
    this.esc = cp(opts.escape ?? '\\');
    this.get = typeof env === 'function' ? env : (n) => env.get(n);
  }

  run(): { text: string; words: string[] } {
    return this.until(EOF, this.rawEscapes);
  }

  private peek(): number {
    return this.pos < this.src.length ? (this.src.codePointAt(this.pos) as number) : EOF;
  }
  private next(): number {
    const c = this.peek();
    if (c !== EOF) this.pos += c > 0xffff ? 2 : 1;
    return c;
  }
  private fail(reason: string, offset = this.src.length, code?: string): never {
    throw new ExpansionError(reason, offset, code);
  }

  /** `text + more`, unless that is longer than an expanded word may be (`at`: where `more` came from). */
  private grow(text: string, more: string, at: number): string {
    if (text.length + more.length > MAX_EXPANDED_WORD) this.tooLong(at);
    return text + more;
  }

  private exhausted(at: number): never {
    return this.fail(BUDGET_EXCEEDED, at, 'EXPANSION_TOO_LARGE');
  }

  private tooLong(at: number): never {
    return this.fail(
      `expanded value is longer than ${MAX_EXPANDED_WORD} characters`,
      at,
      'EXPANSION_TOO_LARGE',
    );
  }

  /** Read up to `stop` (consumed) or the end; `rawEscapes` applies until then. */
  private until(stop: number, rawEscapes: boolean): { text: string; words: string[] } {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      return this.untilInner(stop);
    } finally {
      this.rawEscapes = saved;
    }
  }

  private untilInner(stop: number): { text: string; words: string[] } {
    let text = '';
    // processWord needs no words: building them cost a string per character of every value.
    const words = this.wantWords ? new Words() : undefined;
    const quotes = !this.opts.skipProcessQuotes;
    for (let c = this.peek(); c !== EOF; c = this.peek()) {
      const at = this.pos;
      if (c === stop) {
        this.next();
        return { text, words: words?.finish() ?? [] };
      }
      if (c === DOLLAR) {
        const s = this.dollar();
        text = this.grow(text, s, at);
        words?.addSplit(s);
      } else if (quotes && (c === SQUOTE || c === DQUOTE)) {
        const s = c === SQUOTE ? this.singleQuoted() : this.doubleQuoted();
        text = this.grow(text, s, at);
        words?.addRaw(s);
      } else if (this.next() === this.esc) {
        if (this.rawEscapes) {
          words?.addRaw(String.fromCodePoint(c));
          text = this.grow(text, String.fromCodePoint(c), at);
        }
        const e = this.next();
        if (e === EOF) break; // a trailing escape is dropped
        words?.addRaw(String.fromCodePoint(e));
        text = this.grow(text, String.fromCodePoint(e), at);
      } else {
        words?.addChar(c);
        text = this.grow(text, String.fromCodePoint(c), at);
      }
    }
    // Callers turn this into "missing '}'" or "missing '/' in ${}".
    if (stop !== EOF)
      this.fail(
        `unexpected end of statement while looking for matching ${String.fromCodePoint(stop)}`,
      );
    return { text, words: words?.finish() ?? [] };
  }

  /** '...': everything literal, no escapes. */
  private singleQuoted(): string {
    const q = this.opts.rawQuotes ? "'" : '';
    this.next();
    let out = q;
    for (let c = this.next(); c !== SQUOTE; c = this.next()) {
      if (c === EOF)
        this.fail('unexpected end of statement while looking for matching single-quote');
      out = this.grow(out, String.fromCodePoint(c), this.pos);
    }
    return out + q;
  }

  /** "...": `$` expands; the escape character escapes only `"`, `$` and itself. */
  private doubleQuoted(): string {
    const q = this.opts.rawQuotes ? '"' : '';
    this.next();
    let out = q;
    for (;;) {
      const c = this.peek();
      if (c === EOF)
        this.fail('unexpected end of statement while looking for matching double-quote');
      if (c === DQUOTE) {
        this.next();
        return out + q;
      }
      if (c === DOLLAR) {
        const at = this.pos;
        out = this.grow(out, this.dollar(), at);
        continue;
      }
      let ch = this.next();
      if (ch === this.esc) {
        // With rawEscapes an unescapable character gets the escape twice: `"a\b"` → a\\b.
        if (this.rawEscapes) out += String.fromCodePoint(ch);
        const n = this.peek();
        if (n === EOF) continue;
        if (n === DQUOTE || n === DOLLAR || n === this.esc) ch = this.next();
      }
      out = this.grow(out, String.fromCodePoint(ch), this.pos);
    }
  }

  /** A name, a run of digits (`$10` is one name), or one special parameter. */
  private name(): string {
    let name = '';
    for (let c = this.peek(); c !== EOF; c = this.peek()) {
      if (name === '' && isDigit(c)) {
        while (isDigit(this.peek())) name += String.fromCodePoint(this.next());
        return name;
      }
      if (name === '' && isSpecialParam(c)) return String.fromCodePoint(this.next());
      if (!isLetter(c) && !isDigit(c) && c !== 0x5f) break;
      name += String.fromCodePoint(this.next());
    }
    return name;
  }

  private lookup(name: string): string | undefined {
    const v = this.get(name);
    (v === undefined ? this.unmatched : this.matched).add(name);
    if (v !== undefined && !this.spend(v.length)) this.exhausted(this.pos);
    return v;
  }

  /** Read a nested word; hitting the end inside it is reported as the missing closer. */
  private nested(stop: number, rawEscapes: boolean, missing: string): string {
    this.depth++;
    try {
      return this.until(stop, rawEscapes).text;
    } catch (e) {
      if (e instanceof ExpansionError && e.code === 'EXPANSION' && this.peek() === EOF)
        this.fail(missing);
      throw e;
    } finally {
      this.depth--;
    }
  }

  private dollar(): string {
    const start = this.pos;
    this.next();
    if (this.peek() !== LBRACE) {
      const name = this.name();
      if (name === '') return '$';
      const v = this.lookup(name);
      return v === undefined && this.opts.skipUnsetEnv ? '$' + name : (v ?? '');
    }
    if (this.depth === MAX_NESTING)
      this.fail(`syntax error: more than ${MAX_NESTING} nested \${}`, start);
    this.next();
    const first = this.peek();
    if (first === EOF) this.fail("syntax error: missing '}'");
    if (first === LBRACE || first === RBRACE || first === COLON)
      this.fail('syntax error: bad substitution', this.pos);
    const name = this.name();
    const modAt = this.pos;
    let mod = this.next();
    if (mod === EOF) this.fail("syntax error: missing '}'");
    if (mod === RBRACE) {
      const v = this.lookup(name);
      return v === undefined && this.opts.skipUnsetEnv ? `\${${name}}` : (v ?? '');
    }
    if (mod === SLASH) return this.substitute(name, start);
    let mods = String.fromCodePoint(mod);
    const nullIsUnset = mod === COLON;
    if (!nullIsUnset && !'+-?#%'.includes(mods)) {
      this.fail(`unsupported modifier (${mods}) in substitution`, modAt);
    }
    if (nullIsUnset) mod = this.next();
    // After `:` any character is read as the operator; an unknown one fails only after the word.
    const op = !nullIsUnset ? mods : mod === EOF ? '' : String.fromCodePoint(mod);
    if (nullIsUnset) mods += op;
    let word = this.nested(RBRACE, op === '#' || op === '%', "syntax error: missing '}'");
    const value = this.lookup(name);
    if (value === undefined && this.opts.skipUnsetEnv) return `\${${name}${mods}${word}}`;
    const empty = value === undefined || (nullIsUnset && value === '');
    switch (op) {
      case '-':
        return empty ? word : (value as string);
      case '+':
        return empty ? '' : word;
      case '?':
        if (!empty) return value as string;
        return this.fail(
          `${name}: ${word || (value === undefined ? 'is not allowed to be unset' : 'is not allowed to be empty')}`,
          start,
        );
      case '#':
      case '%': {
        const greedy = word.startsWith(op);
        if (greedy) word = word.slice(1);
        const r = (op === '%' ? trimSuffix : trimPrefix)(word, value ?? '', greedy, this.spend);
        return this.patternValue(r, start);
      }
      default:
        return this.fail(`unsupported modifier (${mods}) in substitution`, modAt);
    }
  }

  /** `${v/p/r}` and `${v//p/r}`; the opening `/` has been read. */
  private substitute(name: string, start: number): string {
    const all = this.peek() === SLASH;
    if (all) this.next();
    const pattern = this.nested(SLASH, true, "syntax error: missing '/' in ${}");
    const replacement = this.nested(RBRACE, true, "syntax error: missing '}'");
    const value = this.lookup(name);
    if (value === undefined && this.opts.skipUnsetEnv)
      return `\${${name}/${pattern}/${replacement}}`;
    return this.patternValue(
      replace(pattern, value ?? '', replacement, all, MAX_EXPANDED_WORD, this.spend),
      start,
    );
  }

  private patternValue(r: PatternResult, start: number): string {
    if ('value' in r) return r.value;
    if ('tooLong' in r) return this.tooLong(start);
    if ('exhausted' in r) return this.exhausted(start);
    return this.fail(r.error, start);
  }
}
