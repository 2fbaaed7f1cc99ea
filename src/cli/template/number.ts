/**
 * Number constants in templates, read as Go's parse.newNumber does with
 * strconv: `42`, `-7`, `0x1F`, `0o17`, `017`, `0b101`, `1_000`, `1.5`, `1e3`,
 * `0x1p-2` and character constants such as 'a' (97). "089" is a float that
 * looks like an integer, which Go reports as "integer overflow".
 */
import { goQuote, unquoteCharConstant } from '../../util/go-quote.js';
import { isAlphaNumeric } from './token.js';

export interface GoNumber {
  /** A bigint when the integer is beyond 2^53, so int64 constants stay exact. */
  value: number | bigint;
  /** Fits an int64 (including a float constant with an integral value). */
  isInt: boolean;
  /** Untyped, it is a float64: written with `.`, an exponent, or `p`. */
  isFloat: boolean;
}

const DEC = String.raw`\d(?:_?\d)*`;
const HEX = String.raw`[0-9a-fA-F](?:_?[0-9a-fA-F])*`;
const INTEGER = new RegExp(
  String.raw`^[+-]?(?:0[xX](?:_?[0-9a-fA-F])+|0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0(?:_?[0-7])*|[1-9](?:_?\d)*)$`,
);
const DEC_FLOAT = new RegExp(
  String.raw`^[+-]?(?:${DEC}\.?(?:${DEC})?|\.${DEC})(?:[eE][+-]?${DEC})?$`,
);
const HEX_FLOAT = new RegExp(String.raw`^([+-]?)0[xX](${HEX})?(?:\.(${HEX})?)?[pP]([+-]?${DEC})$`);

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

function exact(n: bigint): number | bigint {
  return Number.isSafeInteger(Number(n)) ? Number(n) : n;
}

function parseInteger(text: string): bigint {
  const negative = text.startsWith('-');
  let body = text.replace(/^[+-]/, '').replace(/_/g, '');
  if (/^0[0-7]+$/.test(body)) body = '0o' + body.slice(1);
  const n = BigInt(body);
  return negative ? -n : n;
}

function parseHexFloat(text: string): number | undefined {
  const m = HEX_FLOAT.exec(text);
  if (!m || (m[2] === undefined && m[3] === undefined)) return undefined;
  const int = (m[2] ?? '').replace(/_/g, '');
  const frac = (m[3] ?? '').replace(/_/g, '');
  const mantissa = parseInt(int + frac || '0', 16) / 16 ** frac.length;
  const value = mantissa * 2 ** Number((m[4] ?? '0').replace(/_/g, ''));
  return m[1] === '-' ? -value : value;
}

function parseFloat64(text: string): number | undefined {
  if (DEC_FLOAT.test(text)) {
    const v = Number(text.replace(/_/g, ''));
    return Number.isFinite(v) ? v : undefined;
  }
  const v = parseHexFloat(text);
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

/** Throws Error with Go's message when the text is not a valid number. */
export function parseGoNumber(text: string, kind: 'number' | 'charConstant' | 'complex'): GoNumber {
  if (kind === 'charConstant') {
    return { value: unquoteCharConstant(text), isInt: true, isFloat: false };
  }
  if (kind === 'complex' || text.endsWith('i')) {
    throw new Error(`complex constants are not supported: ${goQuote(text)}`);
  }
  if (INTEGER.test(text)) {
    const n = parseInteger(text);
    if (n >= INT64_MIN && n <= INT64_MAX) return { value: exact(n), isInt: true, isFloat: false };
    // A uint64 parses (as uint, not int); executing it reports "overflows int".
    if (n >= 0n && n <= UINT64_MAX && !/^[+-]/.test(text)) {
      return { value: Number(n), isInt: false, isFloat: false };
    }
  }
  const f = parseFloat64(text);
  if (f === undefined) throw new Error(`illegal number syntax: ${goQuote(text)}`);
  if (!/[.eEpP]/.test(text)) {
    throw new Error(`integer overflow: ${goQuote(text)}`);
  }
  const isInt = Number.isInteger(f) && Math.abs(f) < 2 ** 63;
  return { value: f, isInt, isFloat: true };
}

/**
 * Go's lexer scanNumber from `pos`: loose on purpose, e.g. it takes "089"
 * and "0x1.2", leaving strconv (parseGoNumber) to reject them. Not ok when a
 * letter or digit follows the number ("1x"); `end` then includes it.
 */
export function scanNumber(s: string, pos: number): { end: number; ok: boolean } {
  let i = pos;
  const accept = (valid: string): boolean => {
    const ok = s[i] !== undefined && valid.includes(s[i] as string);
    if (ok) i++;
    return ok;
  };
  const acceptRun = (valid: string): void => {
    while (accept(valid));
  };
  accept('+-');
  let digits = '0123456789_';
  if (accept('0')) {
    if (accept('xX')) digits = '0123456789abcdefABCDEF_';
    else if (accept('oO')) digits = '01234567_';
    else if (accept('bB')) digits = '01_';
  }
  acceptRun(digits);
  if (accept('.')) acceptRun(digits);
  if (digits.length === 11 && accept('eE')) {
    accept('+-');
    acceptRun('0123456789_');
  }
  if (digits.length === 23 && accept('pP')) {
    accept('+-');
    acceptRun('0123456789_');
  }
  accept('i');
  const cp = s.codePointAt(i);
  if (cp !== undefined && isAlphaNumeric(String.fromCodePoint(cp))) {
    return { end: i + (cp > 0xffff ? 2 : 1), ok: false };
  }
  return { end: i, ok: true };
}
