/**
 * The `docker build` / `buildx build` flags CI scripts pass beyond the core
 * ones, read as the docker CLI reads them:
 *
 *   --load, --rm, --force-rm, --compress      accepted, no effect: the image always
 *                                             lands in the store, no container is
 *                                             left to remove, no context is sent
 *   --add-host HOST:IP      a line of every RUN step's /etc/hosts
 *   --shm-size 128m         every RUN step's /dev/shm (go-units RAMInBytes)
 *   --ulimit nofile=1024[:2048]   every RUN step's resource limits (go-units ParseUlimit)
 *
 * and the ones that would change what a build means but that tsbuild does not
 * do, each a one-line error naming it rather than a build that quietly ignores it.
 */
import { isIP } from 'node:net';
import { UsageError } from '../errors.js';
import type { BuildRequest } from '../api/build-types.js';
import {
  RLIMIT_NAMES,
  type ExtraHost,
  type Rlimit,
  type RlimitName,
} from '../runtime/run/runner.js';

/**
 * Flags of `docker build` (20.10) and `buildx build` that tsbuild does not
 * support, with the reason shown; `true` for those that take a value.
 */
const UNSUPPORTED: Record<string, { value: boolean; why: string }> = {
  'cgroup-parent': { value: true, why: 'RUN steps run in no cgroup of the caller' },
  'cpu-period': { value: true, why: 'RUN steps have no CPU limits' },
  'cpu-quota': { value: true, why: 'RUN steps have no CPU limits' },
  'cpu-shares': { value: true, why: 'RUN steps have no CPU limits' },
  'cpuset-cpus': { value: true, why: 'RUN steps have no CPU limits' },
  'cpuset-mems': { value: true, why: 'RUN steps have no CPU limits' },
  memory: { value: true, why: 'RUN steps have no memory limits' },
  'memory-swap': { value: true, why: 'RUN steps have no memory limits' },
  'security-opt': { value: true, why: "RUN steps run with Docker's default profile" },
  isolation: { value: true, why: 'Linux has one isolation: the default' },
  allow: { value: true, why: 'no entitlements: RUN --security=insecure is refused' },
  builder: { value: true, why: 'tsbuild is its own builder' },
};

export const DOCKER_FLAG_OPTIONS = {
  'add-host': { type: 'string', multiple: true },
  'shm-size': { type: 'string' },
  ulimit: { type: 'string', multiple: true },
  load: { type: 'boolean' },
  rm: { type: 'boolean' },
  'force-rm': { type: 'boolean' },
  compress: { type: 'boolean' },
  'disable-content-trust': { type: 'boolean' },
  'cgroup-parent': { type: 'string' },
  'cpu-period': { type: 'string' },
  'cpu-quota': { type: 'string' },
  'cpu-shares': { type: 'string', short: 'c' },
  'cpuset-cpus': { type: 'string' },
  'cpuset-mems': { type: 'string' },
  memory: { type: 'string', short: 'm' },
  'memory-swap': { type: 'string' },
  'security-opt': { type: 'string', multiple: true },
  isolation: { type: 'string' },
  allow: { type: 'string', multiple: true },
  builder: { type: 'string' },
} as const;

export const DOCKER_FLAGS_HELP = `      --add-host list      Add a custom host-to-IP mapping (host:ip) to RUN's /etc/hosts
      --shm-size bytes     Size of /dev/shm in RUN steps (default 64m)
      --ulimit list        Ulimit options of RUN steps (name=soft[:hard], e.g. nofile=1024:2048)
      --load, --rm, --force-rm, --compress  Accepted for docker's sake; no effect here
`;

type Values = Partial<{
  'add-host': string[];
  'shm-size': string;
  ulimit: string[];
  'disable-content-trust': boolean;
  [flag: string]: unknown;
}>;

/**
 * The request fields these flags set; a UsageError for a flag tsbuild does not
 * support. `explicitFalse`: booleans given as `--X=false` (bool-flags.ts).
 */
export function dockerFlagsRequest(
  v: Values,
  explicitFalse: ReadonlySet<string>,
): Partial<BuildRequest> {
  for (const flag of Object.keys(UNSUPPORTED))
    if (v[flag] !== undefined)
      throw new UsageError(`--${flag} is not supported (${UNSUPPORTED[flag]!.why})`);
  // Docker's default; asking for content trust is asking for something tsbuild lacks.
  if (explicitFalse.has('disable-content-trust'))
    throw new UsageError('--disable-content-trust=false is not supported (no content trust)');
  return {
    ...(v['add-host'] ? { addHosts: v['add-host'].map(extraHost) } : {}),
    ...(v['shm-size'] !== undefined ? { shmSize: ramInBytes(v['shm-size'], '--shm-size') } : {}),
    ...(v.ulimit ? { ulimits: ulimitsFrom(v.ulimit) } : {}),
  };
}

/** `HOST:IP` (split at the first colon, so IPv6 works) or buildx's `HOST=IP`. */
export function extraHost(text: string): ExtraHost {
  const sep = /[:=]/.exec(text);
  const host = sep ? text.slice(0, sep.index) : '';
  const ip = sep ? text.slice(sep.index + 1) : '';
  const invalid = (why: string) =>
    new UsageError(`invalid argument "${text}" for "--add-host" flag: ${why}`);
  if (host === '' || ip === '') throw invalid(`bad format for add-host: "${text}"`);
  if (ip === 'host-gateway')
    throw new UsageError(
      `--add-host ${text} is not supported (host-gateway: RUN steps do not reach the host's network)`,
    );
  // Docker's ValidateIPAddress (net.ParseIP).
  if (isIP(ip) === 0) throw invalid(`invalid IP address in add-host: "${ip}"`);
  return { host, ip };
}

const UNITS: Record<string, number> = {
  '': 1,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
  p: 2 ** 50,
};

/** go-units RAMInBytes: `128m`, `1g`, `1.5GiB`, `65536`; binary multiples. */
export function ramInBytes(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text);
  const bytes = m ? Math.trunc(parseFloat(m[1]!) * UNITS[(m[2] ?? '').toLowerCase()]!) : NaN;
  if (!Number.isSafeInteger(bytes))
    throw new UsageError(`invalid argument "${text}" for "${flag}" flag: invalid size: '${text}'`);
  return bytes;
}

/**
 * go-units ParseUlimit: `name=soft[:hard]`, hard defaulting to soft, -1
 * unlimited; a name given twice keeps the last (docker's UlimitOpt is a map).
 */
function ulimitsFrom(list: string[]): Rlimit[] {
  const byName = new Map<string, Rlimit>();
  for (const text of list) {
    const invalid = (why: string) =>
      new UsageError(`invalid argument "${text}" for "--ulimit" flag: ${why}`);
    const eq = text.indexOf('=');
    if (eq < 0) throw invalid(`invalid ulimit argument: ${text}`);
    const name = text.slice(0, eq);
    if (!(RLIMIT_NAMES as readonly string[]).includes(name))
      throw invalid(`invalid ulimit type: ${name}`);
    const values = text.slice(eq + 1).split(':');
    if (values.length > 2)
      throw invalid(
        `too many limit value arguments - ${text.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``,
      );
    const [soft, hard] = values.map((s) => {
      const n = Number(s);
      if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(n))
        throw invalid(`strconv.ParseInt: parsing "${s}": invalid syntax`);
      if (n < -1) throw invalid(`${n} is not a limit (-1 is unlimited)`);
      return n;
    }) as [number, number?];
    const h = hard ?? soft;
    if (h !== -1 && (soft === -1 || soft > h))
      throw invalid(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${h}`);
    byName.set(name, { name: name as RlimitName, soft, hard: h });
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}
