/**
 * JavaScript values seen through Go's eyes, for data that came from JSON:
 * a plain object is a map[string]interface{}, an array a slice, an integral
 * number an int (Docker's structs hold sizes as int64), any other number a
 * float64, null a nil, and undefined Go's "invalid" value (a missing map key).
 */

const STRUCTS = new WeakMap<object, string>();
const OMIT_EMPTY = new WeakMap<object, ReadonlySet<string>>();
const JSON_NAMES = new WeakMap<object, Readonly<Record<string, string>>>();
const POINTERS = new WeakSet<object>();
const EMBEDDED = new WeakSet<object>();

/**
 * Marks an object as a Go struct of the named type, as Docker's typed values
 * are: a missing field is then an error (`can't evaluate field Foo in type
 * T`) rather than `<no value>`, it prints as `{v1 v2}` in field order, is
 * always true, and cannot be ranged over, indexed or measured with len.
 * `omitEmpty` names the fields tagged `json:",omitempty"`: `json` leaves
 * them out when empty (false, 0, "", nil, no elements), as encoding/json does.
 * `jsonNames` gives the fields whose json tag renames them (`CPUShares` is
 * `"CpuShares"` in JSON): a template names the Go field, `json` writes the tag.
 *
 * @example
 * goStruct({ ID: 'sha256:…', Size: 5 }, '*formatter.imageContext')
 */
export function goStruct<T extends object>(
  value: T,
  typeName: string,
  omitEmpty: readonly string[] = [],
  jsonNames: Readonly<Record<string, string>> = {},
): T {
  STRUCTS.set(value, typeName);
  if (omitEmpty.length > 0) OMIT_EMPTY.set(value, new Set(omitEmpty));
  if (Object.keys(jsonNames).length > 0) JSON_NAMES.set(value, jsonNames);
  return value;
}

/** The fields `json` leaves out of `v` when they are empty; see goStruct. */
export function omittedWhenEmpty(v: object): ReadonlySet<string> | undefined {
  return OMIT_EMPTY.get(v);
}

/** The name `json` gives field `k` of `v`; see goStruct. */
export function jsonName(v: object, k: string): string {
  return JSON_NAMES.get(v)?.[k] ?? k;
}

/**
 * Marks a goStruct as an embedded field (HostConfig's `container.Resources`):
 * its fields are promoted, so `{{.HostConfig.Memory}}` finds Resources.Memory,
 * and `json` writes them among the outer struct's own, as encoding/json does.
 * It still prints as a group of its own, `{… {0 0 …} …}`, as fmt prints it.
 */
export function goEmbedded<T extends object>(value: T): T {
  EMBEDDED.add(value);
  return value;
}

export function isEmbedded(v: unknown): boolean {
  return typeof v === 'object' && v !== null && EMBEDDED.has(v);
}

/**
 * Marks a goStruct as held by pointer (`*container.HealthConfig`): as a field
 * of another struct it prints as an address, as fmt prints a pointer there
 * (`{… 0xc000425a40 true …}`); on its own it prints as the struct, since a
 * template indirects what it prints. Which address is Go's allocator's
 * choice; this one is as good as any.
 */
export function goPointer<T extends object>(value: T): T {
  POINTERS.add(value);
  return value;
}

/** Whether `v` was marked by goPointer. */
export function isGoPointer(v: object): boolean {
  return POINTERS.has(v);
}

const ADDRESS = '0xc000010000';

/**
 * A Go value with a String method, as fmt prints it (time.Duration `1m30s`,
 * time.Time `2026-12-06 22:50:38.608 +0000 UTC`), and encoding/json encodes
 * it as `json`. `zero` is Go's zero value test for it (omitempty; a
 * Duration's truth).
 */
export class GoStringer {
  constructor(
    readonly text: string,
    readonly json: unknown,
    readonly typeName: string,
    readonly zero: boolean,
  ) {}

  toJSON(): unknown {
    return this.json;
  }
}

/**
 * A non-nil pointer to a bool or a number (HostConfig's `Init *bool`): a
 * template prints the value (`{{.HostConfig.Init}}` is `true`), fmt prints
 * it as an address inside a struct, `json` encodes the value, and it is
 * true and never empty, whatever it points to. A nil one is null.
 */
export class GoPointerTo {
  constructor(
    readonly value: boolean | number,
    readonly typeName: string,
  ) {}

  toJSON(): unknown {
    return this.value;
  }
}

/** encoding/json's isEmptyValue, for the shapes a template's data has. */
export function isGoEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === 0n || v === '') return true;
  if (v instanceof GoStringer) return v.zero && v.typeName !== 'time.Time';
  if (Array.isArray(v)) return v.length === 0;
  if (isStruct(v) || v instanceof GoPointerTo) return false; // a struct is never empty; a pointer is not nil
  if (isMap(v)) return Object.keys(v).length === 0;
  return false;
}

const NILS = new WeakSet<object>();

/**
 * Go's nil slice, as in a typed value whose JSON has null there: it prints
 * `[]` (where null prints `<nil>`), has length 0 and is false, and `json`
 * encodes it as null. Docker prints `{{.Config.Env}}` of an image without
 * environment as `[]`.
 */
export function nilSlice(): readonly unknown[] {
  const v: unknown[] = [];
  NILS.add(v);
  return Object.freeze(v);
}

/** Go's nil map: prints `map[]`, encodes as null; see nilSlice. */
export function nilMap(): Readonly<Record<string, unknown>> {
  const v = {};
  NILS.add(v);
  return Object.freeze(v);
}

export function isGoNil(v: unknown): boolean {
  return typeof v === 'object' && v !== null && NILS.has(v);
}

export function isStruct(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && STRUCTS.has(v);
}

/** A map in Go's sense: any object that is not an array, a function or a goStruct. */
export function isMap(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !STRUCTS.has(v) &&
    !(v instanceof GoStringer) &&
    !(v instanceof GoPointerTo)
  );
}

/** A field of a map or struct: own, or from the object's class but not Object.prototype. */
export function fieldOf(
  obj: Record<string, unknown>,
  name: string,
): { found: boolean; value: unknown } {
  if (Object.hasOwn(obj, name)) return { found: true, value: obj[name] };
  if (isStruct(obj)) {
    for (const inner of Object.values(obj)) {
      if (!isEmbedded(inner)) continue;
      const promoted = fieldOf(inner as Record<string, unknown>, name);
      if (promoted.found) return promoted;
    }
  }
  const proto: unknown = Object.getPrototypeOf(obj);
  if (proto && proto !== Object.prototype && name in obj && !(name in Object.prototype)) {
    return { found: true, value: obj[name] };
  }
  return { found: false, value: undefined };
}

/** Integral and within int64: printed and compared as a Go int. */
export function isGoInt(v: unknown): v is number | bigint {
  return typeof v === 'bigint' || (Number.isInteger(v) && Math.abs(v as number) < 2 ** 63);
}

/** The zero value of a map's element type, guessed from its values ("" for none). */
export function zeroElement(m: Record<string, unknown>): unknown {
  const values = Object.values(m);
  if (values.every((v) => typeof v === 'string')) return '';
  if (values.every((v) => typeof v === 'number')) return 0;
  if (values.every((v) => typeof v === 'boolean')) return false;
  return undefined;
}

/** Keys in Go's map order: sorted by bytes, which is code point order. */
export function sortedKeys(m: Record<string, unknown>): string[] {
  return Object.keys(m).sort(compareStrings);
}

export function compareStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The Go type name used in error messages, e.g. "string", "[]interface {}". */
export function goTypeName(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') return isGoInt(v) ? 'int' : 'float64';
  if (typeof v === 'function') return 'func(...interface {}) interface {}';
  if (isStruct(v)) return STRUCTS.get(v) as string;
  if (v instanceof GoStringer || v instanceof GoPointerTo) return v.typeName;
  if (Array.isArray(v)) {
    return v.length > 0 && v.every((e) => typeof e === 'string') ? '[]string' : '[]interface {}';
  }
  const values = Object.values(v as object);
  const allStrings = values.length > 0 && values.every((e) => typeof e === 'string');
  return allStrings ? 'map[string]string' : 'map[string]interface {}';
}

/** Go's truth for if, with, and, or, not: the zero value and empty things are false. */
export function isTrue(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'string' || Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  if (v instanceof GoStringer) return !v.zero || v.typeName === 'time.Time';
  return true; // a struct, a non-nil pointer
}

/** A byte-length string operation works on UTF-8, as Go strings are bytes. */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s);
}

/** `%e` layout: mantissa digits, then e±dd (at least two exponent digits). */
function goExponent(s: string): string {
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** `%v` of a float64: shortest digits, exponent form below 1e-4 or from 1e6. */
export function formatFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const shortest = f.toExponential();
  const exp = Number(shortest.slice(shortest.indexOf('e') + 1));
  return exp < -4 || exp >= 6 ? goExponent(shortest) : String(f);
}

function formatInt(v: number | bigint): string {
  return BigInt(v).toString();
}

/**
 * fmt's `%v` for the shapes JSON gives: `[a b]`, `map[k:v]`, `<nil>`; a
 * goPointer inside something else (`nested`) as an address.
 */
export function formatValue(v: unknown, nested = false): string {
  if (v === undefined || v === null) return '<nil>';
  if (v instanceof GoStringer) return v.text;
  if (v instanceof GoPointerTo) return nested ? ADDRESS : formatValue(v.value);
  if (nested && typeof v === 'object' && POINTERS.has(v)) return ADDRESS;
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number' || typeof v === 'bigint') {
    return isGoInt(v) ? formatInt(v) : formatFloat(Number(v));
  }
  if (typeof v === 'function') return '<func>';
  if (Array.isArray(v)) return `[${v.map((e) => formatValue(e, true)).join(' ')}]`;
  if (isStruct(v))
    return `{${Object.values(v)
      .map((e) => formatValue(e, true))
      .join(' ')}}`;
  if (isMap(v)) {
    return `map[${sortedKeys(v)
      .map((k) => `${k}:${formatValue(v[k], true)}`)
      .join(' ')}]`;
  }
  return String(v);
}
