/**
 * A container's HostConfig as Docker 20.10 keeps it (api/types/container
 * host_config.go): every field of container.HostConfig, container.Resources'
 * among them where Go embeds it, in Go's order, under their json names, the
 * omitempty ones left out when empty. Where tsbuild does what Docker's default
 * does, Docker's value says so: the log is json-file's format
 * (container-log.ts), /dev/shm is 64 MiB, the IPC namespace is the
 * container's own and the cgroup namespace the host's, /proc and /sys are
 * masked as Docker masks them (runtime/run/spec.ts). Where the docker CLI
 * sends an empty list or map rather than none (Dns, PortBindings, Devices),
 * so does this. Anything tsbuild has no option for is Go's zero value.
 *
 * What Docker 20.10.24 shows for `docker run --network=none --init busybox`
 * (without --init, no `"Init"`):
 *
 *   {"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"json-file","Config":{}},
 *    "NetworkMode":"none","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},
 *    "AutoRemove":false,…,"CgroupnsMode":"host","Dns":[],"DnsOptions":[],"DnsSearch":[],
 *    "ExtraHosts":null,"GroupAdd":null,"IpcMode":"private",…,"ShmSize":67108864,
 *    "Runtime":"runc","ConsoleSize":[0,0],"Isolation":"","CpuShares":0,"Memory":0,…,
 *    "OomKillDisable":false,"PidsLimit":null,"Ulimits":null,…,
 *    "MaskedPaths":["/proc/asound",…],"ReadonlyPaths":["/proc/bus",…],"Init":true}
 *
 * Runtime is tsbuild's runner as chosen (`auto`, `runc`, `crun`, `builtin`).
 */
import { DEFAULT_SHM_SIZE, MASKED_PATHS, READONLY_PATHS } from '../runtime/run/spec.js';
import type { RunConfig } from '../store/containers.js';

/**
 * How a field prints in a template: a Go string, bool or integer; a slice or
 * map (JSON null is Go's nil one); a pointer to a bool or int64 (null is nil);
 * or one of HostConfig's small structs and arrays.
 */
export type HostConfigKind =
  | 'string'
  | 'bool'
  | 'int'
  | 'slice'
  | 'map'
  | '*bool'
  | '*int64'
  | 'LogConfig'
  | 'RestartPolicy'
  | 'ConsoleSize';

export interface HostConfigField {
  /** The Go field name, which a template uses. */
  go: string;
  /** Its json name, which the JSON uses (`CpuShares` for CPUShares). */
  json: string;
  kind: HostConfigKind;
  /** Tagged `json:",omitempty"`. */
  omitEmpty: boolean;
}

/** `Name kind [json-name] [omitempty]`, one field a line, in Go's order. */
function fields(spec: string): HostConfigField[] {
  return spec
    .trim()
    .split('\n')
    .map((line) => {
      const [go = '', kind, ...rest] = line.trim().split(/\s+/);
      const omitEmpty = rest.includes('omitempty');
      const json = rest.find((r) => r !== 'omitempty') ?? go;
      return { go, json, kind: kind as HostConfigKind, omitEmpty };
    });
}

/** container.Resources, embedded in HostConfig after Isolation. */
export const RESOURCES_FIELDS = fields(`
  CPUShares int CpuShares
  Memory int
  NanoCPUs int NanoCpus
  CgroupParent string
  BlkioWeight int
  BlkioWeightDevice slice
  BlkioDeviceReadBps slice
  BlkioDeviceWriteBps slice
  BlkioDeviceReadIOps slice
  BlkioDeviceWriteIOps slice
  CPUPeriod int CpuPeriod
  CPUQuota int CpuQuota
  CPURealtimePeriod int CpuRealtimePeriod
  CPURealtimeRuntime int CpuRealtimeRuntime
  CpusetCpus string
  CpusetMems string
  Devices slice
  DeviceCgroupRules slice
  DeviceRequests slice
  KernelMemory int
  KernelMemoryTCP int
  MemoryReservation int
  MemorySwap int
  MemorySwappiness *int64
  OomKillDisable *bool
  PidsLimit *int64
  Ulimits slice
  CPUCount int CpuCount
  CPUPercent int CpuPercent
  IOMaximumIOps int
  IOMaximumBandwidth int
`);

/** HostConfig's own fields before the embedded Resources, and after it. */
export const HOST_CONFIG_FIELDS = {
  before: fields(`
    Binds slice
    ContainerIDFile string
    LogConfig LogConfig
    NetworkMode string
    PortBindings map
    RestartPolicy RestartPolicy
    AutoRemove bool
    VolumeDriver string
    VolumesFrom slice
    CapAdd slice
    CapDrop slice
    CgroupnsMode string
    DNS slice Dns
    DNSOptions slice DnsOptions
    DNSSearch slice DnsSearch
    ExtraHosts slice
    GroupAdd slice
    IpcMode string
    Cgroup string
    Links slice
    OomScoreAdj int
    PidMode string
    Privileged bool
    PublishAllPorts bool
    ReadonlyRootfs bool
    SecurityOpt slice
    StorageOpt map omitempty
    Tmpfs map omitempty
    UTSMode string
    UsernsMode string
    ShmSize int
    Sysctls map omitempty
    Runtime string omitempty
    ConsoleSize ConsoleSize
    Isolation string
  `),
  after: fields(`
    Mounts slice omitempty
    MaskedPaths slice
    ReadonlyPaths slice
    Init *bool omitempty
  `),
};

/** Docker's HostConfig JSON; the fields tsbuild sets are typed, the rest are Go zero values. */
export interface HostConfig {
  Binds: string[] | null;
  LogConfig: { Type: string; Config: Record<string, string> | null };
  NetworkMode: string;
  RestartPolicy: { Name: string; MaximumRetryCount: number };
  AutoRemove: boolean;
  ExtraHosts: string[] | null;
  ReadonlyRootfs: boolean;
  ShmSize: number;
  Runtime?: string;
  MaskedPaths: string[] | null;
  ReadonlyPaths: string[] | null;
  Init?: boolean;
  [field: string]: unknown;
}

const ZERO: Record<HostConfigKind, () => unknown> = {
  string: () => '',
  bool: () => false,
  int: () => 0,
  slice: () => null,
  map: () => null,
  '*bool': () => null,
  '*int64': () => null,
  LogConfig: () => ({ Type: '', Config: null }),
  RestartPolicy: () => ({ Name: '', MaximumRetryCount: 0 }),
  ConsoleSize: () => [0, 0],
};

/** The HostConfig of a container run with `c`. */
export function hostConfigOf(c: RunConfig): HostConfig {
  const set: Partial<Record<string, unknown>> = {
    // `-v /path` (no host side) is an anonymous volume in Config.Volumes, not a bind.
    Binds: c.binds.some((b) => b.includes(':')) ? c.binds.filter((b) => b.includes(':')) : null,
    LogConfig: { Type: 'json-file', Config: {} },
    NetworkMode: c.network,
    PortBindings: {},
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    AutoRemove: c.autoRemove,
    CgroupnsMode: 'host',
    Dns: [],
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: c.extraHosts && c.extraHosts.length > 0 ? c.extraHosts : null,
    IpcMode: 'private',
    ReadonlyRootfs: c.readOnly,
    ShmSize: DEFAULT_SHM_SIZE,
    Runtime: c.runtime,
    BlkioWeightDevice: [],
    Devices: [],
    OomKillDisable: false,
    MaskedPaths: [...MASKED_PATHS],
    ReadonlyPaths: [...READONLY_PATHS],
    Init: c.init ? true : null,
  };
  const out: Record<string, unknown> = {};
  for (const f of [
    ...HOST_CONFIG_FIELDS.before,
    ...RESOURCES_FIELDS,
    ...HOST_CONFIG_FIELDS.after,
  ]) {
    const v = set[f.json] ?? ZERO[f.kind]();
    if (f.omitEmpty && isEmpty(v)) continue;
    out[f.json] = v;
  }
  return out as HostConfig;
}

/** encoding/json's omitempty test for the values above. */
function isEmpty(v: unknown): boolean {
  if (v === null || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.keys(v).length === 0;
}
