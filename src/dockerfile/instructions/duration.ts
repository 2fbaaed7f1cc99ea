/**
 * Go's time.ParseDuration, ported exactly (BuildKit parses HEALTHCHECK's
 * `--interval` and friends with it): a sign, then one or more decimal numbers
 * each with a unit, `ns us µs μs ms s m h`.
 *
 *   parseDuration('1m30s')  → 90_000_000_000n
 *   parseDuration('1.5h')   → 5_400_000_000_000n
 *   parseDuration('0')      → 0n   (the only number allowed without a unit)
 *   parseDuration('1')      → throws `time: missing unit in duration "1"`
 *
 * Arithmetic is on uint64 in Go, so here on bigint: overflow past 2^63-1 is
 * an error exactly where Go reports one. Fractions go through float64 as in
 * Go, so `1.0000000001h` rounds the way Docker rounds it.
 */

/** A Map, so a unit such as `constructor` is never found on Object.prototype. */
const UNITS = new Map<string, bigint>([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n], // µs, the micro sign
  ['\u03bcs', 1_000n], // μs, the Greek mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

const MAX = 1n << 63n;

/** A parse failure, with Go's exact text. */
export class DurationError extends Error {}

/** Nanoseconds, as a bigint (Go's time.Duration is an int64). */
export function parseDuration(orig: string): bigint {
  const invalid = () => new DurationError(`time: invalid duration ${timeQuote(orig)}`);
  // Go indexes bytes; every character that matters is ASCII except in units,
  // which are compared as whole strings, so code units are equivalent here.
  let s = orig;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  let d = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]!))) throw invalid();
    const int = leadingInt(s);
    if (!int) throw invalid();
    let v = int.x;
    const pre = int.rest.length !== s.length;
    s = int.rest;
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s !== '' && s[0] === '.') {
      s = s.slice(1);
      const frac = leadingFraction(s);
      post = frac.rest.length !== s.length;
      ({ x: f, scale } = frac);
      s = frac.rest;
    }
    // No digits at all, e.g. ".s" or "-.s".
    if (!pre && !post) throw invalid();
    let i = 0;
    while (i < s.length && s[i] !== '.' && !isDigit(s[i]!)) i++;
    if (i === 0) throw new DurationError(`time: missing unit in duration ${timeQuote(orig)}`);
    const u = s.slice(0, i);
    s = s.slice(i);
    const unit = UNITS.get(u);
    if (unit === undefined) {
      throw new DurationError(`time: unknown unit ${timeQuote(u)} in duration ${timeQuote(orig)}`);
    }
    if (v > MAX / unit) throw invalid();
    v *= unit;
    if (f > 0n) {
      // float64 keeps fractions of an hour nanosecond-accurate, as in Go.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > MAX) throw invalid();
    }
    d += v;
    if (d > MAX) throw invalid();
  }
  if (neg) return -d;
  if (d > MAX - 1n) throw invalid();
  return d;
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/** The leading [0-9]*, or undefined when it overflows (Go's errLeadingInt). */
function leadingInt(s: string): { x: bigint; rest: string } | undefined {
  let x = 0n;
  let i = 0;
  for (; i < s.length && isDigit(s[i]!); i++) {
    if (x > MAX / 10n) return undefined;
    x = x * 10n + BigInt(s.charCodeAt(i) - 48);
    if (x > MAX) return undefined;
  }
  return { x, rest: s.slice(i) };
}

/** The leading fraction digits; past 63 bits it stops gaining precision rather than failing. */
function leadingFraction(s: string): { x: bigint; scale: number; rest: string } {
  let x = 0n;
  let scale = 1;
  let overflow = false;
  let i = 0;
  for (; i < s.length && isDigit(s[i]!); i++) {
    if (overflow) continue;
    if (x > (MAX - 1n) / 10n) {
      overflow = true;
      continue;
    }
    const y = x * 10n + BigInt(s.charCodeAt(i) - 48);
    if (y > MAX) {
      overflow = true;
      continue;
    }
    x = y;
    scale *= 10;
  }
  return { x, scale, rest: s.slice(i) };
}

/**
 * The time package's own quote: unlike strconv.Quote it writes every byte of
 * a non-ASCII or control character as `\xNN`: `"1µx"` → `"1\xc2\xb5x"`.
 */
function timeQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x80 || c < 0x20) {
      for (const byte of Buffer.from(ch, 'utf8')) out += '\\x' + byte.toString(16).padStart(2, '0');
    } else {
      out += ch === '"' || ch === '\\' ? '\\' + ch : ch;
    }
  }
  return out + '"';
}
