/**
 * Fixed and exponent notation with a precision, rounded as Go's strconv
 * rounds: from the double's exact binary value, a tie going to the even
 * digit. JavaScript's toFixed rounds ties up, so (2.25).toFixed(1) is "2.3"
 * where Go's %.1f prints "2.2".
 */

/** A finite double as m × 2^e, exactly. */
function decompose(x: number): { m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  const m = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  return biased === 0 ? { m, e: -1074 } : { m: m | (1n << 52n), e: biased - 1075 };
}

/** |x| × 10^p rounded to an integer, ties to even. */
function scaled(x: number, p: number): bigint {
  const { m, e } = decompose(Math.abs(x));
  let num = e >= 0 ? m << BigInt(e) : m;
  let den = e >= 0 ? 1n : 1n << BigInt(-e);
  if (p >= 0) num *= 10n ** BigInt(p);
  else den *= 10n ** BigInt(-p);
  const q = num / den;
  const twice = 2n * (num % den);
  return twice > den || (twice === den && q % 2n === 1n) ? q + 1n : q;
}

/** `%.pf` of |x|. */
export function toFixedEven(x: number, p: number): string {
  const digits = scaled(x, p)
    .toString()
    .padStart(p + 1, '0');
  return p === 0 ? digits : `${digits.slice(0, -p)}.${digits.slice(-p)}`;
}

/** `%.pe` of |x|: one digit, p more after the point, e±dd. */
export function toExponentialEven(x: number, p: number): string {
  let exp = x === 0 ? 0 : Math.floor(Math.log10(Math.abs(x)));
  let n = scaled(x, p - exp);
  // log10 can be one off, and rounding can carry into a new digit (9.96 → 10.0).
  for (let tries = 0; x !== 0 && tries < 3; tries++) {
    if (n >= 10n ** BigInt(p + 1)) exp++;
    else if (n < 10n ** BigInt(p)) exp--;
    else break;
    n = scaled(x, p - exp);
  }
  const s = n.toString().padStart(p + 1, '0');
  const mantissa = p > 0 ? `${s[0]}.${s.slice(1)}` : s;
  return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** `%.pg` of |x|: p significant digits, exponent form as strconv chooses it. */
export function toGeneralEven(x: number, prec: number): string {
  if (x === 0) return '0';
  const p = prec === 0 ? 1 : prec;
  const [mantissa = '', expText = '0'] = toExponentialEven(x, p - 1).split('e');
  const nd = Math.max(1, mantissa.replace('.', '').replace(/0+$/, '').length);
  const exp = Number(expText);
  const dp = exp + 1;
  const eprec = p > nd && nd >= dp ? nd : p;
  if (exp < -4 || exp >= eprec) return toExponentialEven(x, Math.min(p, nd) - 1);
  return toFixedEven(x, Math.max((p > dp ? nd : p) - dp, 0));
}
