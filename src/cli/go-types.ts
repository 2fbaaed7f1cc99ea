/**
 * Docker's typed values as the docker CLI's templates see them (API types of
 * Docker 20.10): structs in their Go field order, with their omitempty tags,
 * pointers, and values with a String method. `{{.Config}}`, `{{json .Config}}`,
 * `{{.Config.Healthcheck.Interval}}` and `{{.Metadata}}` then print what
 * `docker inspect -f` prints for the same image or container.
 */
import {
  HOST_CONFIG_FIELDS,
  RESOURCES_FIELDS,
  type HostConfig,
  type HostConfigField,
} from '../api/host-config.js';
import type { ContainerInspect } from '../api/containers.js';
import type { InspectConfig } from '../api/inspect.js';
import type { HealthConfig } from '../image/types.js';
import {
  GoPointerTo,
  GoStringer,
  goEmbedded,
  goPointer,
  goStruct,
  nilMap,
  nilSlice,
} from './template/index.js';
import { sortedKeys } from './template/value.js';

/** container.Config's fields in Go's order; the omitempty ones per its json tags. */
const CONFIG_FIELDS = [
  'Hostname',
  'Domainname',
  'User',
  'AttachStdin',
  'AttachStdout',
  'AttachStderr',
  'ExposedPorts',
  'Tty',
  'OpenStdin',
  'StdinOnce',
  'Env',
  'Cmd',
  'Healthcheck',
  'ArgsEscaped',
  'Image',
  'Volumes',
  'WorkingDir',
  'Entrypoint',
  'NetworkDisabled',
  'MacAddress',
  'OnBuild',
  'Labels',
  'StopSignal',
  'StopTimeout',
  'Shell',
] as const;

const CONFIG_OMIT_EMPTY = [
  'ExposedPorts',
  'Healthcheck',
  'ArgsEscaped',
  'NetworkDisabled',
  'MacAddress',
  'StopSignal',
  'StopTimeout',
  'Shell',
];

type Field = (typeof CONFIG_FIELDS)[number];

const STRINGS = new Set<Field>(['Hostname', 'Domainname', 'User', 'Image', 'WorkingDir']);
const STRINGS_OMITTED = new Set<Field>(['MacAddress', 'StopSignal']);
const BOOLS = new Set<Field>([
  'AttachStdin',
  'AttachStdout',
  'AttachStderr',
  'Tty',
  'OpenStdin',
  'StdinOnce',
  'ArgsEscaped',
  'NetworkDisabled',
]);
const SLICES = new Set<Field>(['Env', 'Cmd', 'Entrypoint', 'OnBuild', 'Shell']);
/** Go's map[string]struct{}: each value prints `{}`, so `map[80/tcp:{}]`. */
const SETS = new Set<Field>(['ExposedPorts', 'Volumes']);

/**
 * A *container.Config (an image's Config or ContainerConfig, a container's
 * Config): every field there, a missing one as Go's zero value (`[]` and
 * `map[]` print, `null` in JSON), the omitempty ones left out of `json` when
 * empty. StopTimeout (a *int) prints as its number, not an address.
 */
export function goContainerConfig(c: Partial<InspectConfig>): Record<string, unknown> {
  const given = c as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of CONFIG_FIELDS) {
    const v = given[k];
    if (k === 'Healthcheck') out[k] = v ? goHealthConfig(v as HealthConfig) : null;
    else if (k === 'StopTimeout') out[k] = v ?? null;
    else if (k === 'Labels') out[k] = v ? sorted(v as Record<string, unknown>) : nilMap();
    else if (SETS.has(k))
      out[k] = v ? sorted(v as Record<string, unknown>, goStruct({}, 'struct {}')) : nilMap();
    else if (SLICES.has(k)) out[k] = v ?? nilSlice();
    else if (BOOLS.has(k)) out[k] = v ?? false;
    else if (STRINGS.has(k) || STRINGS_OMITTED.has(k)) out[k] = v ?? '';
  }
  return goPointer(goStruct(out, 'container.Config', CONFIG_OMIT_EMPTY));
}

/**
 * A *types.ContainerState: `{{.State}}` prints its fields in Go's order,
 * `{exited false false false false false 0 3  2026-… 2026-… <nil>}`, the last
 * being Health, a nil *types.Health (tsbuild runs no healthchecks), which
 * `json` leaves out (omitempty). Its times are strings in Go too.
 */
export function goContainerState(s: ContainerInspect['State']): Record<string, unknown> {
  return goPointer(goStruct({ ...s, Health: null }, '*types.ContainerState', ['Health']));
}

/**
 * A *container.HostConfig from its JSON (api/host-config.ts): Go's field
 * names (`{{.HostConfig.CPUShares}}`; the json name `CpuShares` is left to the
 * JSON fallback, as docker does), container.Resources embedded, so
 * `{{.HostConfig.Memory}}` is found there and `{{.HostConfig}}` prints it as
 * a group of its own, nil slices and maps as `[]` and `map[]`, and the
 * pointers (`Init`, `OomKillDisable`) as their values alone and as addresses
 * inside the struct.
 */
export function goHostConfig(json: HostConfig): Record<string, unknown> {
  const typed = (list: HostConfigField[]) => {
    const out: Record<string, unknown> = {};
    for (const f of list) out[f.go] = goHostValue(f, json[f.json]);
    return out;
  };
  const names = (list: HostConfigField[]) =>
    Object.fromEntries(list.filter((f) => f.go !== f.json).map((f) => [f.go, f.json]));
  const omitted = (list: HostConfigField[]) => list.filter((f) => f.omitEmpty).map((f) => f.go);
  const resources = goEmbedded(
    goStruct(
      typed(RESOURCES_FIELDS),
      'container.Resources',
      omitted(RESOURCES_FIELDS),
      names(RESOURCES_FIELDS),
    ),
  );
  const { before, after } = HOST_CONFIG_FIELDS;
  const own = [...before, ...after];
  return goPointer(
    goStruct(
      { ...typed(before), Resources: resources, ...typed(after) },
      '*container.HostConfig',
      omitted(own),
      names(own),
    ),
  );
}

function goHostValue(f: HostConfigField, v: unknown): unknown {
  switch (f.kind) {
    case 'string':
      return v ?? '';
    case 'bool':
      return v ?? false;
    case 'int':
      return v ?? 0;
    case 'slice':
      return v ?? nilSlice();
    case 'map':
      return v ? sorted(v as Record<string, unknown>) : nilMap();
    case '*bool':
    case '*int64':
      return v === null || v === undefined ? null : new GoPointerTo(v as boolean | number, f.kind);
    case 'LogConfig': {
      const l = (v ?? {}) as { Type?: string; Config?: Record<string, unknown> | null };
      const config = l.Config ? sorted(l.Config) : nilMap();
      return goStruct({ Type: l.Type ?? '', Config: config }, 'container.LogConfig');
    }
    case 'RestartPolicy': {
      const p = (v ?? {}) as { Name?: string; MaximumRetryCount?: number };
      return goStruct(
        { Name: p.Name ?? '', MaximumRetryCount: p.MaximumRetryCount ?? 0 },
        'container.RestartPolicy',
      );
    }
    case 'ConsoleSize':
      return v ?? [0, 0];
  }
}

/** A *container.HealthConfig of Docker 20.10 (no StartInterval yet): durations print as `5s`. */
function goHealthConfig(h: HealthConfig): Record<string, unknown> {
  return goPointer(
    goStruct(
      {
        Test: h.Test ?? nilSlice(),
        Interval: goDuration(h.Interval ?? 0),
        Timeout: goDuration(h.Timeout ?? 0),
        StartPeriod: goDuration(h.StartPeriod ?? 0),
        Retries: h.Retries ?? 0,
      },
      'container.HealthConfig',
      ['Test', 'Interval', 'Timeout', 'StartPeriod', 'Retries'],
    ),
  );
}

/** A time.Duration of `ns` nanoseconds: `1m30s`, `1.5ms`, `0s`; its JSON is the number. */
export function goDuration(ns: number): GoStringer {
  return new GoStringer(durationString(BigInt(Math.trunc(ns))), ns, 'time.Duration', ns === 0);
}

/** Go's Duration.String. */
export function durationString(d: bigint): string {
  const neg = d < 0n;
  let u = neg ? -d : d;
  let out: string;
  if (u === 0n) return '0s';
  if (u < 1_000_000_000n) {
    const [unit, prec] = u < 1_000n ? ['ns', 0] : u < 1_000_000n ? ['µs', 3] : (['ms', 6] as const);
    const [frac, int] = fraction(u, prec);
    out = `${int}${frac}${unit}`;
  } else {
    const [frac, secs] = fraction(u, 9);
    u = secs;
    out = `${u % 60n}${frac}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** v / 10**prec: the fraction as `.5` (trailing zeros and a bare point left out), and the integer part. */
function fraction(v: bigint, prec: number): [string, bigint] {
  const scale = 10n ** BigInt(prec);
  const digits = (v % scale).toString().padStart(prec, '0').replace(/0+$/, '');
  return [digits ? `.${digits}` : '', v / scale];
}

/**
 * A time.Time from its RFC 3339 text, printed as Time.String
 * (`2026-12-06 22:50:38.608 +0000 UTC`) and encoded as the same text.
 */
export function goTime(rfc3339: string): GoStringer {
  const m = /^(\d{4,}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(rfc3339);
  if (!m) return new GoStringer(rfc3339, rfc3339, 'time.Time', false);
  const [, date, clock, frac = '', zone] = m;
  const digits = frac.replace(/0+$/, '');
  const offset = zone === 'Z' ? '+0000 UTC' : `${zone!.replace(':', '')} ${zone!.replace(':', '')}`;
  const text = `${date} ${clock}${digits ? `.${digits}` : ''} ${offset}`;
  return new GoStringer(text, rfc3339, 'time.Time', rfc3339 === '0001-01-01T00:00:00Z');
}

/**
 * A Go map's copy with its keys in Go's order, which `{{json …}}` keeps (Go's
 * encoding/json sorts map keys: `{"a":"1","b":"2"}` for `LABEL b=2 a=1`);
 * with `value`, every key maps to it.
 */
export function sorted(m: Record<string, unknown>, value?: unknown): Record<string, unknown> {
  return Object.fromEntries(sortedKeys(m).map((k) => [k, value === undefined ? m[k] : value]));
}
