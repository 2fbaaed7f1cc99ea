/**
 * The parser's view of the tokens: one-token look-ahead over the array the
 * lexer made, and Go's parse errors, `template: :LINE: message`, with the
 * line of the furthest token read (Go's token[0]). A scanning error is
 * reported as soon as the parser reaches it.
 */
import { StepMeter } from './step-meter.js';
import { lineOf, TemplateError } from './template-error.js';
import { tokenString, type Token, type TokenType } from './token.js';

export class TokenStream {
  protected i = 0;
  private furthest = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
    /** Charged a step per token read, look-ahead included. */
    private readonly meter = new StepMeter(),
  ) {}

  protected errorf(message: string): never {
    const last = this.tokens[Math.min(this.furthest, this.tokens.length - 1)];
    const { line } = lineOf(this.text, last?.pos ?? 0);
    throw new TemplateError(`template: :${line}: ${message}`, { line, reason: message });
  }

  /** Runs a conversion (strconv's work), reporting its Error as a parse error. */
  protected attempt<T>(convert: () => T): T {
    try {
      return convert();
    } catch (e) {
      if (e instanceof TemplateError || !(e instanceof Error)) throw e;
      return this.errorf(e.message);
    }
  }

  private tokenAt(i: number): Token {
    this.meter.step();
    const t = this.tokens[Math.min(i, this.tokens.length - 1)] as Token;
    if (i > this.furthest) this.furthest = Math.min(i, this.tokens.length - 1);
    // A scanning error ends the input: report it as soon as it is reached.
    if (t.type === 'error') this.errorf(t.val);
    return t;
  }

  protected next(): Token {
    return this.tokenAt(this.i++);
  }

  protected peek(): Token {
    return this.tokenAt(this.i);
  }

  protected nextNonSpace(): Token {
    let t = this.next();
    while (t.type === 'space') t = this.next();
    return t;
  }

  protected peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.i--;
    return t;
  }

  protected unexpected(t: Token, context: string): never {
    return this.errorf(`unexpected ${tokenString(t)} in ${context}`);
  }

  protected expect(type: TokenType, context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }
}
