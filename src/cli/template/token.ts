/**
 * The tokens of the template scanner, named after Go's parse/lex.go items.
 */
import { quoteShort } from '../../util/go-quote.js';

export type TokenType =
  | 'error'
  | 'bool'
  | 'char'
  | 'charConstant'
  | 'complex'
  | 'assign'
  | 'declare'
  | 'eof'
  | 'field'
  | 'identifier'
  | 'leftDelim'
  | 'leftParen'
  | 'number'
  | 'pipe'
  | 'rawString'
  | 'rightDelim'
  | 'rightParen'
  | 'space'
  | 'string'
  | 'text'
  | 'variable'
  | Keyword;

/** Printed as `<name>` in "unexpected" errors, as Go prints keyword items. */
export type Keyword =
  | 'dot'
  | 'block'
  | 'break'
  | 'continue'
  | 'define'
  | 'else'
  | 'end'
  | 'if'
  | 'nil'
  | 'range'
  | 'template'
  | 'with';

export const KEYWORDS: ReadonlySet<string> = new Set([
  'block',
  'break',
  'continue',
  'define',
  'else',
  'end',
  'if',
  'nil',
  'range',
  'template',
  'with',
]);

function isKeyword(type: TokenType): boolean {
  return type === 'dot' || KEYWORDS.has(type);
}

export interface Token {
  type: TokenType;
  /** Offset of the token in the input (UTF-16 units). */
  pos: number;
  val: string;
}

/** How Go's item.String shows a token in "unexpected …" errors. */
const ALNUM = /^[_\p{L}\p{Nd}]$/u;

/** Go's isAlphaNumeric: what identifiers, fields and variables are made of. */
export function isAlphaNumeric(ch: string | undefined): boolean {
  return ch !== undefined && ALNUM.test(ch);
}

export function tokenString(t: Token): string {
  if (t.type === 'eof') return 'EOF';
  if (t.type === 'error') return t.val;
  if (isKeyword(t.type)) return `<${t.val}>`;
  return quoteShort(t.val);
}
