/**
 * fmt.Sprint, Sprintln and Sprintf as the template functions print, println
 * and printf use them. Verbs: %v %s %d %q %t %x %X %o %O %b %c %U %e %E %f
 * %F %g %G %T %%, with flags `+ - # 0 space`, width and precision (also `*`).
 * A wrong verb prints as Go does: `%!d(string=x)`, `%!s(MISSING)`,
 * `%!(EXTRA int=1)`. Unlike Go, an integral number takes %f (JSON gives no
 * int/float distinction). Arrays and maps apply the verb to each element.
 */
import { toExponentialEven, toFixedEven, toGeneralEven } from './float-format.js';
import { goQuote, goQuoteRune, isPrint } from '../../util/go-quote.js';
import {
  formatFloat,
  formatValue,
  GoPointerTo,
  GoStringer,
  goTypeName,
  isGoInt,
  isGoPointer,
  isMap,
  isStruct,
  sortedKeys,
} from './value.js';

interface Spec {
  minus: boolean;
  plus: boolean;
  /** `%+v`: field names in structs (the + is not a sign then). */
  plusV: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | undefined;
  prec: number | undefined;
  verb: string;
}

/** fmt.Sprint: a space between operands when neither is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((arg, i) => {
    if (i > 0 && typeof arg !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(arg);
  });
  return out;
}

/** fmt.Sprintln: always a space between operands, and a newline. */
export function sprintln(args: readonly unknown[]): string {
  return args.map((a) => formatValue(a)).join(' ') + '\n';
}

function pad(s: string, spec: Spec): string {
  const n = spec.width === undefined ? 0 : spec.width - [...s].length;
  if (n <= 0) return s;
  if (spec.minus) return s + ' '.repeat(n);
  return (spec.zero ? '0' : ' ').repeat(n) + s;
}

function signOf(negative: boolean, spec: Spec): string {
  return negative ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
}

/** Sign, then zero padding when the 0 flag asks for it, then the digits. */
function padNumber(sign: string, digits: string, spec: Spec, zeroOk: boolean): string {
  if (spec.zero && zeroOk && !spec.minus && spec.width !== undefined) {
    return sign + digits.padStart(spec.width - sign.length, '0');
  }
  return pad(sign + digits, { ...spec, zero: false });
}

const BASES: Record<string, number> = { b: 2, o: 8, O: 8, x: 16, X: 16, d: 10, v: 10 };

function formatInteger(n: bigint, spec: Spec): string {
  const base = BASES[spec.verb] ?? 10;
  let digits = (n < 0n ? -n : n).toString(base);
  if (spec.verb === 'X') digits = digits.toUpperCase();
  if (spec.prec !== undefined)
    digits = spec.prec === 0 && n === 0n ? '' : digits.padStart(spec.prec, '0');
  let prefix = '';
  if (spec.verb === 'O') prefix = '0o';
  else if (spec.sharp && base === 16) prefix = spec.verb === 'X' ? '0X' : '0x';
  else if (spec.sharp && base === 8 && !digits.startsWith('0')) prefix = '0';
  else if (spec.sharp && base === 2) prefix = '0b';
  return padNumber(signOf(n < 0n, spec), prefix + digits, spec, spec.prec === undefined);
}

function formatFloatVerb(f: number, spec: Spec): string {
  const abs = Math.abs(f);
  const upper = spec.verb === 'E' || spec.verb === 'G';
  let digits: string;
  if (!Number.isFinite(f)) digits = Number.isNaN(f) ? 'NaN' : 'Inf';
  else if (spec.verb === 'e' || spec.verb === 'E') {
    digits = toExponentialEven(abs, spec.prec ?? 6);
  } else if (spec.verb === 'f' || spec.verb === 'F') digits = toFixedEven(abs, spec.prec ?? 6);
  else if (abs === 0) digits = '0';
  else digits = spec.prec === undefined ? formatFloat(abs) : toGeneralEven(abs, spec.prec);
  if (upper) digits = digits.toUpperCase();
  const negative = f < 0 || Object.is(f, -0);
  const sign = Number.isNaN(f)
    ? ''
    : Number.isFinite(f)
      ? signOf(negative, spec)
      : negative
        ? '-'
        : '+';
  return padNumber(sign, digits, spec, Number.isFinite(f));
}

function badVerb(arg: unknown, verb: string): string {
  if (arg === null || arg === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(arg)}=${formatValue(arg)})`;
}

function formatNumber(n: number | bigint, spec: Spec): string {
  const { verb } = spec;
  if ('eEfFgG'.includes(verb) || (verb === 'v' && !isGoInt(n))) {
    return formatFloatVerb(Number(n), spec);
  }
  if (!isGoInt(n)) return badVerb(n, verb);
  const int = BigInt(n);
  if ('bdoOxXv'.includes(verb)) return formatInteger(int, spec);
  const cp = Number(int);
  const valid = cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
  const ch = String.fromCodePoint(valid ? cp : 0xfffd);
  if (verb === 'c') return pad(ch, spec);
  if (verb === 'q') return pad(goQuoteRune(cp), spec);
  if (verb === 'U') {
    const u = 'U+' + int.toString(16).toUpperCase().padStart(4, '0');
    return pad(spec.sharp && isPrint(ch) ? `${u} '${ch}'` : u, spec);
  }
  return badVerb(n, verb);
}

/** strconv.CanBackquote: no backquote, no control character but tab. */
function canBackquote(s: string): boolean {
  return [...s].every((ch) => {
    const cp = ch.codePointAt(0) ?? 0;
    return ch !== '`' && cp !== 0x7f && cp !== 0xfeff && (cp >= 0x20 || ch === '\t');
  });
}

function formatString(s: string, spec: Spec): string {
  const { verb } = spec;
  const cut = spec.prec === undefined ? s : [...s].slice(0, spec.prec).join('');
  if (verb === 's' || verb === 'v') return pad(cut, spec);
  if (verb === 'q') {
    const raw = spec.sharp && canBackquote(cut);
    return pad(raw ? '`' + cut + '`' : goQuote(cut, spec.plus), spec);
  }
  if (verb === 'x' || verb === 'X') {
    const bytes = [...Buffer.from(s)].slice(0, spec.prec);
    const prefix = spec.sharp ? (verb === 'X' ? '0X' : '0x') : '';
    const parts = bytes.map((b) => b.toString(16).padStart(2, '0'));
    const hex = spec.space ? parts.map((p) => prefix + p).join(' ') : prefix + parts.join('');
    return pad(verb === 'X' ? hex.toUpperCase() : hex, spec);
  }
  return badVerb(s, verb);
}

/** One operand; `nested` inside a slice, struct or map, where a goPointer prints as an address. */
function formatArg(arg: unknown, spec: Spec, nested = false): string {
  const { verb } = spec;
  if (verb === 'T') return pad(goTypeName(arg), spec);
  if (arg === null || arg === undefined)
    return verb === 'v' ? pad('<nil>', spec) : badVerb(arg, verb);
  // fmt calls a Stringer's String for %v and %s; other verbs see the value (a Duration's int).
  if (arg instanceof GoStringer)
    return verb === 'v' || verb === 's' ? pad(arg.text, spec) : formatArg(arg.json, spec, nested);
  // fmt prints a pointer to a bool or number as its address, nested or not.
  if (arg instanceof GoPointerTo) {
    const address = formatValue(arg, true);
    return verb === 'v' ? pad(address, spec) : `%!${verb}(${arg.typeName}=${address})`;
  }
  if (nested && typeof arg === 'object' && isGoPointer(arg))
    return pad(formatValue(arg, true), spec);
  if (Array.isArray(arg)) return `[${arg.map((e) => formatArg(e, spec, true)).join(' ')}]`;
  if (isStruct(arg)) {
    const fields = Object.entries(arg).map(
      ([k, v]) => (spec.plusV ? `${k}:` : '') + formatArg(v, spec, true),
    );
    return `{${fields.join(' ')}}`;
  }
  if (isMap(arg)) {
    const pairs = sortedKeys(arg).map(
      (k) => `${formatArg(k, spec, true)}:${formatArg(arg[k], spec, true)}`,
    );
    return `map[${pairs.join(' ')}]`;
  }
  if (typeof arg === 'string') return formatString(arg, spec);
  if (typeof arg === 'number' || typeof arg === 'bigint') return formatNumber(arg, spec);
  if (typeof arg === 'boolean')
    return verb === 't' || verb === 'v' ? pad(String(arg), spec) : badVerb(arg, verb);
  return verb === 'v' ? pad(formatValue(arg), spec) : badVerb(arg, verb);
}

function newSpec(): Spec {
  const spec = { minus: false, plus: false, plusV: false, sharp: false, space: false, zero: false };
  return { ...spec, width: undefined, prec: undefined, verb: '' };
}

/** Reads one `%…` directive at a time, as fmt's doPrintf walks its format. */
class Directives {
  i = 0;
  argNum = 0;
  reordered = false;
  goodArgNum = true;
  out = '';

  constructor(
    private readonly format: string,
    private readonly args: readonly unknown[],
  ) {}

  /** `[n]`: take argument n (1-based) next; true when one was read. */
  argIndex(): boolean {
    const f = this.format;
    if (f[this.i] !== '[') return false;
    this.reordered = true;
    const close = f.length - this.i >= 3 ? f.indexOf(']', this.i + 1) : -1;
    const digits = close < 0 ? '' : f.slice(this.i + 1, close);
    const ok = /^\d{1,7}$/.test(digits);
    const index = Number(digits) - 1;
    this.i = close < 0 ? this.i + 1 : close + 1;
    if (ok && index >= 0 && index < this.args.length) this.argNum = index;
    else this.goodArgNum = false;
    return ok;
  }

  /** A width or precision: digits, or `*` taking an int argument. */
  count(): { value: number | undefined; fromArg: boolean } {
    if (this.format[this.i] === '*') {
      this.i++;
      const a = this.args[this.argNum];
      const ok = this.argNum < this.args.length && isGoInt(a) && Math.abs(Number(a)) <= 1e6;
      this.argNum++;
      return { value: ok ? Number(a) : undefined, fromArg: true };
    }
    const m = /^\d+/.exec(this.format.slice(this.i));
    if (m) this.i += m[0].length;
    return { value: m ? Number(m[0]) : undefined, fromArg: false };
  }

  flags(spec: Spec): void {
    for (let f = this.format[this.i]; f && '+-# 0'.includes(f); f = this.format[++this.i]) {
      if (f === '+') spec.plus = true;
      else if (f === '-') spec.minus = true;
      else if (f === '#') spec.sharp = true;
      else if (f === ' ') spec.space = true;
      else spec.zero = true;
    }
  }

  /** Width and precision after the flags; false when the format ends without a verb. */
  sizes(spec: Spec): boolean {
    let afterIndex = this.argIndex();
    const width = this.count();
    if (width.fromArg && width.value === undefined) this.out += '%!(BADWIDTH)';
    if (!width.fromArg && afterIndex && width.value !== undefined) this.goodArgNum = false;
    if (width.fromArg) afterIndex = false;
    spec.width = width.value;
    if (spec.width !== undefined && spec.width < 0) {
      spec.minus = true;
      spec.width = -spec.width;
    }
    if (this.i + 1 < this.format.length && this.format[this.i] === '.') {
      this.i++;
      if (afterIndex) this.goodArgNum = false;
      afterIndex = this.argIndex();
      const prec = this.count();
      if (prec.fromArg) afterIndex = false;
      spec.prec = prec.value === undefined || prec.value < 0 ? undefined : prec.value;
      if (!prec.fromArg) spec.prec ??= 0;
      else if (spec.prec === undefined) this.out += '%!(BADPREC)';
    }
    if (!afterIndex) this.argIndex();
    if (spec.minus) spec.zero = false;
    return this.i < this.format.length;
  }

  verb(spec: Spec): void {
    spec.verb = String.fromCodePoint(this.format.codePointAt(this.i) ?? 0);
    this.i += spec.verb.length;
    if (spec.verb === 'v' && spec.plus) [spec.plus, spec.plusV] = [false, true];
    if (spec.verb === '%') this.out += '%';
    else if (!this.goodArgNum) this.out += `%!${spec.verb}(BADINDEX)`;
    else if (this.argNum >= this.args.length) this.out += `%!${spec.verb}(MISSING)`;
    else this.out += formatArg(this.args[this.argNum++], spec);
  }
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: readonly unknown[]): string {
  const d = new Directives(format, args);
  while (d.i < format.length) {
    const pct = format.indexOf('%', d.i);
    d.out += format.slice(d.i, pct < 0 ? undefined : pct);
    if (pct < 0) break;
    d.i = pct + 1;
    d.goodArgNum = true;
    const spec = newSpec();
    d.flags(spec);
    if (!d.sizes(spec)) {
      d.out += '%!(NOVERB)';
      break;
    }
    d.verb(spec);
  }
  if (!d.reordered && d.argNum < args.length) {
    const extra = args
      .slice(d.argNum)
      .map((a) => (a == null ? '<nil>' : `${goTypeName(a)}=${formatValue(a)}`));
    d.out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return d.out;
}
