/**
 * The text/template scanner (Go's parse/lex.go), as one linear pass that stops
 * at the first error. Trim markers are handled here: `{{- ` drops the white
 * space before the action and ` -}}` the white space after it; "{{-3}}" is
 * the number -3, because the marker needs the space. Comments `{{/* … *\/}}`
 * vanish. Every token carries its offset in the input for error positions.
 */
import { describeRune, goQuote } from '../../util/go-quote.js';
import { scanNumber } from './number.js';
import { StepMeter } from './step-meter.js';
import { isAlphaNumeric, KEYWORDS, type Keyword, type Token, type TokenType } from './token.js';

const isSpace = (ch: string | undefined): boolean =>
  ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= '0' && ch <= '9';

/** "{{- " — a minus and an ASCII space right after the left delimiter. */
function hasLeftTrimMarker(s: string, i: number): boolean {
  return s[i] === '-' && isSpace(s[i + 1]);
}

type Mode = 'action' | 'text' | 'done';

/** The tokens of `input`; `meter` is charged a step per step of the scanner (about a token). */
export function lex(input: string, meter = new StepMeter()): Token[] {
  const lexer = new Lexer(input, meter);
  lexer.run();
  return lexer.items;
}

class Lexer {
  readonly items: Token[] = [];
  private pos = 0;
  private start = 0;
  private parenDepth = 0;

  constructor(
    private readonly input: string,
    private readonly meter: StepMeter,
  ) {}

  run(): void {
    let inAction = false;
    for (;;) {
      this.meter.step();
      const next: Mode = inAction ? this.insideAction() : this.text();
      if (next === 'done') return;
      inAction = next === 'action';
    }
  }

  private emit(type: TokenType): void {
    this.items.push({ type, pos: this.start, val: this.input.slice(this.start, this.pos) });
    this.start = this.pos;
  }

  private errorf(message: string): Mode {
    this.items.push({ type: 'error', pos: this.start, val: message });
    return 'done';
  }

  /** The character at pos (a whole code point), or undefined at the end. */
  private peek(): string | undefined {
    const cp = this.input.codePointAt(this.pos);
    return cp === undefined ? undefined : String.fromCodePoint(cp);
  }

  private nextChar(): string | undefined {
    const ch = this.peek();
    if (ch !== undefined) this.pos += ch.length;
    return ch;
  }

  private skipSpaces(): void {
    while (isSpace(this.input[this.pos])) this.pos++;
    this.start = this.pos;
  }

  private text(): Mode {
    const x = this.input.indexOf('{{', this.pos);
    if (x < 0) {
      this.pos = this.input.length;
      if (this.pos > this.start) this.emit('text');
      this.emit('eof');
      return 'done';
    }
    let end = x;
    if (hasLeftTrimMarker(this.input, x + 2)) {
      while (end > this.start && isSpace(this.input[end - 1])) end--;
    }
    if (end > this.start) {
      this.items.push({ type: 'text', pos: this.start, val: this.input.slice(this.start, end) });
    }
    this.start = this.pos = x;
    return this.leftDelim();
  }

  private leftDelim(): Mode {
    this.pos += 2;
    const after = hasLeftTrimMarker(this.input, this.pos) ? 2 : 0;
    if (this.input.startsWith('/*', this.pos + after)) {
      this.start = this.pos += after;
      return this.comment();
    }
    this.emit('leftDelim');
    this.start = this.pos += after;
    this.parenDepth = 0;
    return 'action';
  }

  private comment(): Mode {
    const end = this.input.indexOf('*/', this.pos + 2);
    if (end < 0) return this.errorf('unclosed comment');
    this.pos = end + 2;
    const delim = this.atRightDelim();
    if (delim === 'none') return this.errorf('comment ends before closing delimiter');
    this.pos += delim === 'trim' ? 4 : 2;
    if (delim === 'trim') this.skipSpaces();
    this.start = this.pos;
    return 'text';
  }

  /** At "}}", or at " -}}" (trim marker: any ASCII space, then a minus). */
  private atRightDelim(): 'plain' | 'trim' | 'none' {
    const s = this.input;
    if (isSpace(s[this.pos]) && s[this.pos + 1] === '-' && s.startsWith('}}', this.pos + 2)) {
      return 'trim';
    }
    return s.startsWith('}}', this.pos) ? 'plain' : 'none';
  }

  private rightDelim(trim: boolean): Mode {
    if (trim) this.start = this.pos += 2;
    this.pos += 2;
    this.emit('rightDelim');
    if (trim) this.skipSpaces();
    return 'text';
  }

  /** Whether the next character may end an identifier, field or variable. */
  private atTerminator(): boolean {
    const ch = this.peek();
    if (ch === undefined || isSpace(ch) || '.,|:)('.includes(ch)) return true;
    return this.input.startsWith('}}', this.pos);
  }

  private insideAction(): Mode {
    const delim = this.atRightDelim();
    if (delim !== 'none') {
      return this.parenDepth === 0
        ? this.rightDelim(delim === 'trim')
        : this.errorf('unclosed left paren');
    }
    const ch = this.nextChar();
    if (ch === undefined) return this.errorf('unclosed action');
    if (isSpace(ch)) return this.space();
    switch (ch) {
      case ':':
        if (this.nextChar() !== '=') return this.errorf('expected :=');
        this.emit('declare');
        return 'action';
      case '=':
        this.emit('assign');
        return 'action';
      case '|':
        this.emit('pipe');
        return 'action';
      case '"':
        return this.quote('"', 'string', 'unterminated quoted string');
      case "'":
        return this.quote("'", 'charConstant', 'unterminated character constant');
      case '`':
        return this.rawQuote();
      case '$':
        return this.fieldOrVariable('variable');
      case '(':
        this.emit('leftParen');
        this.parenDepth++;
        return 'action';
      case ')':
        if (--this.parenDepth < 0) return this.errorf('unexpected right paren');
        this.emit('rightParen');
        return 'action';
    }
    if (ch === '.' && this.pos < this.input.length && !isDigit(this.input[this.pos])) {
      return this.fieldOrVariable('field');
    }
    if (ch === '.' || ch === '+' || ch === '-' || isDigit(ch)) {
      this.pos -= 1;
      return this.number();
    }
    if (isAlphaNumeric(ch)) return this.identifier();
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x7f && cp >= 0x20) {
      this.emit('char');
      return 'action';
    }
    return this.errorf(`unrecognized character in action: ${describeRune(ch)}`);
  }

  /** A run of spaces; one that starts " -}}" is left for the delimiter. */
  private space(): Mode {
    let count = 1;
    while (isSpace(this.input[this.pos])) {
      this.pos++;
      count++;
    }
    this.pos--;
    if (this.atRightDelim() === 'trim') {
      if (count === 1) return this.rightDelim(true);
    } else {
      this.pos++;
    }
    this.emit('space');
    return 'action';
  }

  private identifier(): Mode {
    while (isAlphaNumeric(this.peek())) this.nextChar();
    if (!this.atTerminator())
      return this.errorf(`bad character ${describeRune(this.peek() ?? '')}`);
    const word = this.input.slice(this.start, this.pos);
    if (KEYWORDS.has(word)) this.emit(word as Keyword);
    else if (word === 'true' || word === 'false') this.emit('bool');
    else this.emit('identifier');
    return 'action';
  }

  /** `.Name` or `$name`; the `.` or `$` is consumed. A lone `.` is dot, a lone `$` the root. */
  private fieldOrVariable(type: 'field' | 'variable'): Mode {
    if (this.atTerminator()) {
      this.emit(type === 'field' ? 'dot' : 'variable');
      return 'action';
    }
    while (isAlphaNumeric(this.peek())) this.nextChar();
    if (!this.atTerminator())
      return this.errorf(`bad character ${describeRune(this.peek() ?? '')}`);
    this.emit(type);
    return 'action';
  }

  private quote(close: string, type: 'string' | 'charConstant', unterminated: string): Mode {
    for (;;) {
      let ch = this.nextChar();
      if (ch === '\\') {
        ch = this.nextChar();
        if (ch !== undefined && ch !== '\n') continue;
      }
      if (ch === undefined || ch === '\n') return this.errorf(unterminated);
      if (ch === close) break;
    }
    this.emit(type);
    return 'action';
  }

  private rawQuote(): Mode {
    const end = this.input.indexOf('`', this.pos);
    if (end < 0) return this.errorf('unterminated raw quoted string');
    this.pos = end + 1;
    this.emit('rawString');
    return 'action';
  }

  private number(): Mode {
    let scan = scanNumber(this.input, this.pos);
    this.pos = scan.end;
    const sign = this.input[this.pos];
    const complex = scan.ok && (sign === '+' || sign === '-');
    if (complex) {
      scan = scanNumber(this.input, this.pos);
      this.pos = scan.end;
    }
    if (!scan.ok || (complex && this.input[this.pos - 1] !== 'i')) {
      return this.errorf(`bad number syntax: ${goQuote(this.input.slice(this.start, this.pos))}`);
    }
    this.emit(complex ? 'complex' : 'number');
    return 'action';
  }
}
