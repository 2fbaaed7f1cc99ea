/**
 * RUN --mount=type=cache,target=/root/.cache,sharing=locked — the option list,
 * read as BuildKit's parseMount reads it (frontend/dockerfile/instructions/
 * commands_runmount.go): one CSV record of `key=value` fields, keys
 * case-insensitive, with its aliases (`src`/`source`, `dst`/`destination`/
 * `target`, `ro`/`readonly`, `rw`/`readwrite`), its defaults (type bind;
 * read-only unless cache or tmpfs) and its error texts. Each error points at
 * the field at fault.
 *
 * Values are expanded (ARG, ENV) field by field, as BuildKit's expander does;
 * the expanded mount is kept as a canonical CSV record that reads back the same.
 */
import { DockerfileError, type Span } from '../errors.js';
import { suggest } from './instructions/suggest.js';

export const MOUNT_TYPES = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'] as const;
export type MountType = (typeof MOUNT_TYPES)[number];
const SHARING = ['shared', 'private', 'locked'] as const;
export type MountSharing = (typeof SHARING)[number];

/** A `--mount` as written (after expansion); defaults that need the step (target, id) come later. */
export interface MountSpec {
  type: MountType;
  from?: string;
  source?: string;
  target?: string;
  readonly: boolean;
  /** `id=`: a cache's, secret's or ssh agent's id (BuildKit's CacheID). */
  id?: string;
  sharing?: MountSharing;
  required: boolean;
  /** tmpfs `size=`, bytes. */
  size?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  /** secret `env=`: expose the secret as this environment variable. */
  env?: string;
}

const ALL_KEYS = [
  'type',
  'from',
  'source',
  'target',
  'readonly',
  'id',
  'sharing',
  'required',
  'size',
  'mode',
  'uid',
  'gid',
  'src',
  'dst',
  'destination',
  'ro',
  'rw',
  'readwrite',
  'env',
];

/** One CSV field and where it starts in the flag's value. */
export interface Field {
  text: string;
  offset: number;
}

/**
 * Go's encoding/csv on one record: `,` separates, a field that starts with `"`
 * is quoted (`""` inside is one quote); a quote elsewhere is an error.
 */
export function splitFields(value: string): Field[] | string {
  const fields: Field[] = [];
  let i = 0;
  for (;;) {
    const offset = i;
    let text = '';
    if (value[i] === '"') {
      i++;
      for (;;) {
        if (i >= value.length)
          return `parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`;
        if (value[i] === '"') {
          if (value[i + 1] === '"') {
            text += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += value[i++];
      }
      if (i < value.length && value[i] !== ',')
        return `parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`;
    } else {
      while (i < value.length && value[i] !== ',') {
        if (value[i] === '"')
          return `parse error on line 1, column ${i + 1}: bare " in non-quoted-field`;
        text += value[i++];
      }
    }
    fields.push({ text, offset });
    if (i >= value.length) return fields;
    i++;
  }
}

/** The inverse of splitFields: a field with `,` or `"` (or a leading space) is quoted. */
export function joinFields(fields: readonly string[]): string {
  return fields.map((f) => (/[,"\r\n]|^\s/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',');
}

/** Where in the Dockerfile a field of the flag is: exact when the flag was written as one plain word. */
function fieldSpan(flag: Span, value: string, field: Field | undefined): Span {
  const prefix = '--mount='.length;
  if (field === undefined || flag.line !== flag.endLine) return flag;
  if (flag.endCol - flag.col !== prefix + value.length) return flag;
  const col = flag.col + prefix + field.offset;
  return { ...flag, col, endLine: flag.line, endCol: col + Math.max(1, field.text.length) };
}

/**
 * Expand every value of a `--mount` (`x` is the step's expander) and check the
 * result; returns the canonical record. Errors point at the field.
 * @example
 *   expandMount('type=cache,target=$DIR', span, (v) => v.replace('$DIR', '/c')) // 'type=cache,target=/c'
 */
export function expandMount(
  value: string,
  flag: Span,
  x: (text: string, span: Span) => string,
): string {
  const fields = fieldsOf(value, flag);
  const out = fields.map((f) => {
    const eq = f.text.indexOf('=');
    // `from` is never expanded: stage-refs.ts refuses a `$` in it, as BuildKit does.
    if (eq < 0 || f.text.slice(0, eq).toLowerCase() === 'from') return f.text;
    return `${f.text.slice(0, eq)}=${x(f.text.slice(eq + 1), fieldSpan(flag, value, f))}`;
  });
  const canonical = joinFields(out);
  // Checked on the expanded values, placed at the fields as written.
  parseFields(
    out.map((text, i) => ({ text, offset: fields[i]!.offset })),
    (f) => fieldSpan(flag, value, f),
  );
  return canonical;
}

/**
 * A `--mount` value (as expandMount left it) as a MountSpec.
 * @example
 *   parseMount('type=secret,id=npm', span) // { type: 'secret', id: 'npm', readonly: true, required: false }
 */
export function parseMount(value: string, flag: Span): MountSpec {
  return parseFields(fieldsOf(value, flag), (f) => fieldSpan(flag, value, f));
}

function fieldsOf(value: string, flag: Span): Field[] {
  const fields = splitFields(value);
  if (typeof fields === 'string')
    throw new DockerfileError('BAD_MOUNT', `failed to parse csv mounts: ${fields}`, flag);
  return fields;
}

function parseFields(fields: Field[], at: (f: Field | undefined) => Span): MountSpec {
  const m: MountSpec = { type: 'bind', readonly: false, required: false };
  let roAuto = true;
  // The field that set each key, so a conflict found later points at it.
  const where = new Map<string, Field>();
  for (const f of fields) {
    const fail = (reason: string): never => {
      throw new DockerfileError('BAD_MOUNT', reason, at(f));
    };
    const eq = f.text.indexOf('=');
    const key = (eq < 0 ? f.text : f.text.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? undefined : f.text.slice(eq + 1);
    where.set(CANONICAL[key] ?? key, f);
    if (value === undefined) {
      if (key === 'readonly' || key === 'ro') m.readonly = true;
      else if (key === 'readwrite' || key === 'rw') m.readonly = false;
      else if (key === 'required') {
        if (m.type !== 'secret' && m.type !== 'ssh')
          fail(`unexpected key '${key}' for mount type '${m.type}'`);
        m.required = true;
        continue;
      } else fail(`invalid field '${f.text}' must be a key=value pair`);
      roAuto = false;
      continue;
    }
    const bool = (): boolean => {
      const b = goBool(value);
      return b ?? fail(`invalid value for ${key}: ${value}`);
    };
    const uint = (base: 8 | 10, what: string): number => {
      const re = base === 8 ? /^(0o)?[0-7]+$/i : /^[0-9]+$/;
      const n = re.test(value) ? parseInt(value.replace(/^0o/i, ''), base) : NaN;
      return Number.isNaN(n) || n > 0xffffffff ? fail(`invalid value ${value} for ${what}`) : n;
    };
    switch (key) {
      case 'type': {
        const t = value.toLowerCase();
        if (!(MOUNT_TYPES as readonly string[]).includes(t))
          fail(didYouMean(`unsupported mount type "${value}"`, value, [...MOUNT_TYPES]));
        m.type = t as MountType;
        break;
      }
      case 'from':
        m.from = value;
        break;
      case 'source':
      case 'src':
        m.source = value;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.target = value;
        break;
      case 'readonly':
      case 'ro':
        m.readonly = bool();
        roAuto = false;
        break;
      case 'readwrite':
      case 'rw':
        m.readonly = !bool();
        roAuto = false;
        break;
      case 'required':
        if (m.type !== 'secret' && m.type !== 'ssh')
          fail(`unexpected key '${key}' for mount type '${m.type}'`);
        m.required = bool();
        break;
      case 'size':
        if (m.type !== 'tmpfs') fail(`unexpected key '${key}' for mount type '${m.type}'`);
        m.size = ramInBytes(value) ?? fail(`invalid value for ${key}: ${value}`);
        break;
      case 'id':
        m.id = value;
        break;
      case 'sharing': {
        const s = value.toLowerCase();
        if (!(SHARING as readonly string[]).includes(s))
          fail(didYouMean(`unsupported sharing value "${value}"`, value, [...SHARING]));
        m.sharing = s as MountSharing;
        break;
      }
      case 'mode':
        m.mode = uint(8, 'mode');
        break;
      case 'uid':
        m.uid = uint(10, 'uid');
        break;
      case 'gid':
        m.gid = uint(10, 'gid');
        break;
      case 'env':
        m.env = value;
        break;
      default:
        fail(didYouMean(`unexpected key '${key}' in '${f.text}'`, key, ALL_KEYS));
    }
  }
  validate(m, roAuto, (reason, key) => {
    throw new DockerfileError('BAD_MOUNT', reason, at(key ? where.get(key) : undefined));
  });
  return m;
}

/** Aliases under the name validate() asks for. */
const CANONICAL: Record<string, string> = {
  src: 'source',
  dst: 'target',
  destination: 'target',
  ro: 'readonly',
  rw: 'readonly',
  readwrite: 'readonly',
};

function validate(
  m: MountSpec,
  roAuto: boolean,
  fail: (reason: string, key?: string) => never,
): void {
  if (m.type !== 'secret' && m.type !== 'ssh' && m.type !== 'cache') {
    for (const k of ['mode', 'uid', 'gid'] as const)
      if (m[k] !== undefined) fail(`${k} not allowed for "${m.type}" type mounts`, k);
  }
  if (roAuto) m.readonly = m.type !== 'cache' && m.type !== 'tmpfs';
  if (m.type === 'secret') {
    if (m.from !== undefined && m.from !== '') fail('secret mount should not have a from', 'from');
    if (m.sharing !== undefined) fail('secret mount should not define sharing', 'sharing');
    if (!m.source && !m.target && !m.id)
      fail('invalid secret mount. one of source, target required');
    if (m.source && m.id) fail("both source and id can't be set", 'source');
  }
  if (m.sharing !== undefined && m.type !== 'cache')
    fail(`invalid cache sharing set for ${m.type} mount`, 'sharing');
  if (m.type === 'ssh' && m.source) fail('ssh does not support source', 'source');
  if (m.env !== undefined && m.type !== 'secret')
    fail(`unexpected key 'env' for mount type '${m.type}'`, 'env');
}

function didYouMean(message: string, value: string, options: string[]): string {
  const match = suggest(value, options, true);
  return match === undefined ? message : `${message} (did you mean ${match}?)`;
}

/** Go's strconv.ParseBool. */
function goBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/** docker/go-units RAMInBytes: `64m`, `1.5g`, `512KiB`, `100` (bytes); binary multiples. */
export function ramInBytes(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (Number.isNaN(n)) return undefined;
  const unit = (m[2] ?? '').toLowerCase();
  const pow = ['', 'k', 'm', 'g', 't', 'p'].indexOf(unit);
  return Math.floor(n * 1024 ** pow);
}
