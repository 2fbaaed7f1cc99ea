/**
 * Go's predefined template functions (text/template/funcs.go): and or not len
 * index slice print printf println html js urlquery call eq ne lt le gt ge.
 * Their errors carry Go's text, which the executor prefixes with
 * "error calling NAME: ". A null stands for a typed nil slice or map (Docker's
 * structs), so `len` of it is 0 and `index` of it by a string key is "".
 */
import { isPrint } from '../../util/go-quote.js';
import { sprint, sprintf, sprintln } from './printf.js';
import { CallError, type FuncMap } from './template-func.js';
import {
  compareStrings,
  goTypeName,
  isGoInt,
  isMap,
  isTrue,
  utf8Length,
  zeroElement,
} from './value.js';

function length(v: unknown): number {
  if (v === undefined) throw new CallError('reflect: call of reflect.Value.Type on zero Value');
  if (v === null) return 0;
  if (typeof v === 'string') return utf8Length(v);
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  throw new CallError(`len of type ${goTypeName(v)}`);
}

/** An array or string index, checked against `cap` (inclusive, as Go's indexArg). */
function indexArg(index: unknown, cap: number): number {
  if (index === undefined || index === null)
    throw new CallError('cannot index slice/array with nil');
  if (!isGoInt(index))
    throw new CallError(`cannot index slice/array with type ${goTypeName(index)}`);
  const x = Number(index);
  if (x < 0 || x > cap) throw new CallError(`index out of range: ${x}`);
  return x;
}

function indexOne(item: unknown, index: unknown): unknown {
  if (item === null) {
    if (typeof index === 'string') return '';
    throw new CallError('index of nil pointer');
  }
  if (typeof item === 'string' || Array.isArray(item)) {
    const bytes = typeof item === 'string' ? Buffer.from(item) : undefined;
    const len = bytes ? bytes.length : (item as unknown[]).length;
    const x = indexArg(index, len);
    if (x === len) throw new CallError(`reflect: ${bytes ? 'string' : 'slice'} index out of range`);
    return bytes ? bytes[x] : (item as unknown[])[x];
  }
  if (isMap(item)) {
    if (index === undefined || index === null) {
      throw new CallError('value is nil; should be of type string');
    }
    if (typeof index !== 'string') {
      throw new CallError(`value has type ${goTypeName(index)}; should be string`);
    }
    return Object.hasOwn(item, index) ? item[index] : zeroElement(item);
  }
  throw new CallError(`can't index item of type ${goTypeName(item)}`);
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined) throw new CallError('index of untyped nil');
  return indexes.reduce(indexOne, item);
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined) throw new CallError('slice of untyped nil');
  if (indexes.length > 3) throw new CallError(`too many slice indexes: ${indexes.length}`);
  const seq = item === null ? [] : item;
  const bytes = typeof seq === 'string' ? Buffer.from(seq) : undefined;
  if (bytes && indexes.length === 3) throw new CallError('cannot 3-index slice a string');
  if (!bytes && !Array.isArray(seq))
    throw new CallError(`can't slice item of type ${goTypeName(item)}`);
  const len = bytes ? bytes.length : (seq as unknown[]).length;
  const idx = [0, len, len];
  indexes.forEach((x, i) => (idx[i] = indexArg(x, len)));
  const [i = 0, j = len, k = len] = idx;
  if (i > j) throw new CallError(`invalid slice index: ${i} > ${j}`);
  if (j > k) throw new CallError(`invalid slice index: ${j} > ${k}`);
  return bytes ? bytes.subarray(i, j).toString('utf8') : (seq as unknown[]).slice(i, j);
}

type Kind = 'invalid' | 'bool' | 'number' | 'string' | 'other';

function basicKind(v: unknown): Kind {
  if (v === undefined || v === null) return 'invalid';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'string') return 'string';
  return 'other';
}

function eq(arg1: unknown, ...rest: unknown[]): boolean {
  if (rest.length === 0) throw new CallError('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (const arg of rest) {
    const k2 = basicKind(arg);
    if (k1 !== k2) {
      if (k1 !== 'invalid' && k2 !== 'invalid') {
        throw new CallError('incompatible types for comparison');
      }
      continue;
    }
    if (k1 === 'other') {
      throw new CallError(`non-comparable type ${sprint([arg1])}: ${goTypeName(arg1)}`);
    }
    // == so that an int64 constant held as a bigint equals the same number.
    if (k1 === 'invalid' || (k1 === 'number' ? arg1 == arg : arg1 === arg)) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'invalid' || k1 === 'other' || k1 === 'bool' || k2 === 'invalid' || k2 === 'other') {
    throw new CallError('invalid type for comparison');
  }
  if (k1 !== k2) throw new CallError('incompatible types for comparison');
  if (k1 === 'string') return compareStrings(a as string, b as string) < 0;
  return (a as number) < (b as number);
}

/** evalArgs: a lone string as it is, else fmt.Sprint, where a nil prints as `<no value>`. */
function joinArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (a === null || a === undefined ? '<no value>' : a)));
}

const HTML: Record<string, string> = {
  '"': '&#34;',
  "'": '&#39;',
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '\0': '\uFFFD',
};

const JS: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '<': '\\u003C',
  '>': '\\u003E',
  '&': '\\u0026',
  '=': '\\u003D',
};

function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (JS[ch] !== undefined) out += JS[ch];
    else if (cp < 0x20) out += '\\u00' + cp.toString(16).toUpperCase().padStart(2, '0');
    else if (cp >= 0x80 && !isPrint(ch))
      out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
    else out += ch;
  }
  return out;
}

/** url.QueryEscape: unreserved bytes stay, space is +, the rest %XX. */
function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s)) {
    const ch = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(ch)) out += ch;
    else if (ch === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** `callee` is how the template wrote the function, for the error message. */
function call(callee: string, fn: unknown, ...args: unknown[]): unknown {
  if (fn === undefined || fn === null) throw new CallError('call of nil');
  if (typeof fn !== 'function') {
    throw new CallError(`non-function ${callee} of type ${goTypeName(fn)}`);
  }
  try {
    return (fn as (...a: unknown[]) => unknown)(...args);
  } catch (e) {
    throw new CallError(e instanceof Error ? e.message : String(e));
  }
}

export const builtins: FuncMap = {
  and: { params: ['value'], variadic: 'value', shortCircuit: 'and', fn: () => undefined },
  or: { params: ['value'], variadic: 'value', shortCircuit: 'or', fn: () => undefined },
  not: { params: ['value'], fn: (v: unknown) => !isTrue(v) },
  len: { params: ['value'], fn: length },
  index: { params: ['value'], variadic: 'value', fn: index },
  slice: { params: ['value'], variadic: 'value', fn: slice },
  print: { params: [], variadic: 'any', fn: (...a: unknown[]) => sprint(a) },
  printf: {
    params: ['string'],
    variadic: 'any',
    fn: (f: string, ...a: unknown[]) => sprintf(f, a),
  },
  println: { params: [], variadic: 'any', fn: (...a: unknown[]) => sprintln(a) },
  html: {
    params: [],
    variadic: 'any',
    fn: (...a: unknown[]) => joinArgs(a).replace(/["'&<>\0]/g, (c) => HTML[c] ?? c),
  },
  js: { params: [], variadic: 'any', fn: (...a: unknown[]) => jsEscape(joinArgs(a)) },
  urlquery: { params: [], variadic: 'any', fn: (...a: unknown[]) => queryEscape(joinArgs(a)) },
  call: { params: ['value'], variadic: 'value', calleeName: true, fn: call },
  eq: { params: ['value'], variadic: 'value', fn: eq },
  ne: { params: ['value', 'value'], fn: (a: unknown, b: unknown) => !eq(a, b) },
  lt: { params: ['value', 'value'], fn: lt },
  le: { params: ['value', 'value'], fn: (a: unknown, b: unknown) => lt(a, b) || eq(a, b) },
  gt: { params: ['value', 'value'], fn: (a: unknown, b: unknown) => !(lt(a, b) || eq(a, b)) },
  ge: { params: ['value', 'value'], fn: (a: unknown, b: unknown) => !lt(a, b) },
};
