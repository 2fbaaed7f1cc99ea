/**
 * `inspect`: Docker's image inspect JSON (API types.ImageInspect, 20.10), built
 * from the config and the store's record. Docker fills every container.Config
 * field even when the image leaves it out, so `{{.Config.User}}` prints '' and
 * `{{json .Config.Volumes}}` prints null rather than failing; tsbuild does too.
 */
import { familiarName } from '../image/reference.js';
import type { ContainerConfig, HealthConfig, ImageConfig } from '../image/types.js';
import type { ImageRecord, Store } from '../store/store.js';
import { imageSize } from './size.js';
import { openStore, type StoreOptions } from './store.js';

export interface InspectRequest extends StoreOptions {
  /** Names, IDs or ID prefixes. */
  images: string[];
}

/**
 * Docker's container.Config as `docker inspect` prints it (API 1.41, Docker
 * 20.10), field for field and in its order: every field is there, one the
 * image leaves out at Go's zero value — `''`, `false`, or `null` for a list or
 * map (a nil slice or map) — except the `omitempty` ones (optional here),
 * which are left out when empty. So `Env` is `null`, not missing and not `[]`,
 * for an image without environment, as Docker 20.10 prints it.
 */
export interface InspectConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  /** `'80/tcp'` → `{}` (Go's struct{}). */
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  /** `NAME=value` entries. */
  Env: string[] | null;
  Cmd: string[] | null;
  /** Durations in nanoseconds, as Docker's JSON has them. */
  Healthcheck?: HealthConfig;
  /** Present (true) only when set. */
  ArgsEscaped?: true;
  Image: string;
  /** Path → `{}` (Go's struct{}). */
  Volumes: Record<string, Record<string, never>> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  /** Present (true) only when set: a committed container's, never a build's. */
  NetworkDisabled?: true;
  MacAddress?: string;
  OnBuild: string[] | null;
  Labels: Record<string, string> | null;
  StopSignal?: string;
  /** Seconds. */
  StopTimeout?: number;
  Shell?: string[];
}

/** Docker's image inspect JSON (API types.ImageInspect, 20.10); PascalCase because it is Docker's JSON. */
export interface ImageInspect {
  /** `sha256:<hex>`, the config digest. */
  Id: string;
  /** Familiar references (`app:latest`); `[]`, never null, when untagged. */
  RepoTags: string[];
  /** Familiar `name@sha256:…` references a registry serves it as. */
  RepoDigests: string[];
  /** The parent image's ID, or `''`. */
  Parent: string;
  Comment: string;
  /** RFC 3339 as Go writes it; Go's zero time `0001-01-01T00:00:00Z` when the config has none. */
  Created: string;
  Container: string;
  ContainerConfig: InspectConfig;
  DockerVersion: string;
  Author: string;
  Config: InspectConfig;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  /** Bytes of the (uncompressed) layers. */
  Size: number;
  VirtualSize: number;
  GraphDriver: { Data: Record<string, string>; Name: string };
  /** `Layers` (the diff IDs) is left out for an image with none, as Docker does (`omitempty`). */
  RootFS: { Type: string; Layers?: string[] };
  /** Go's zero time when never tagged. */
  Metadata: { LastTagTime: string };
}

/**
 * Inspect images; a name that matches nothing rejects with NO_SUCH_IMAGE.
 * @example
 *   const [img] = await inspect({ images: ['app'] });
 *   img.Config.Env; // ['PATH=/usr/local/sbin:…'] (string[] | null)
 */
export async function inspect(req: InspectRequest): Promise<ImageInspect[]> {
  const store = await openStore(req);
  const out: ImageInspect[] = [];
  for (const name of req.images) out.push(await inspectOne(store, await store.resolve(name)));
  return out;
}

async function inspectOne(store: Store, r: ImageRecord): Promise<ImageInspect> {
  const config = await store.config(r);
  const size = await imageSize(store, r);
  return {
    Id: r.id,
    RepoTags: r.tags.map(familiarName),
    RepoDigests: r.repoDigests.map(familiarName),
    Parent: r.parent ?? '',
    // Docker's: the config's comment, else the last history entry's (a commit's -m, a build's
    // buildkit.dockerfile.v0).
    Comment: config.comment || (config.history?.at(-1)?.comment ?? ''),
    Created: goJsonTime(config.created),
    Container: config.container ?? '',
    ContainerConfig: fullConfig(config.container_config),
    DockerVersion: config.docker_version ?? '',
    Author: config.author ?? '',
    Config: fullConfig(config.config),
    Architecture: config.architecture,
    ...(config.variant ? { Variant: config.variant } : {}),
    Os: config.os,
    ...(config['os.version'] ? { OsVersion: config['os.version'] } : {}),
    Size: size,
    VirtualSize: size,
    GraphDriver: { Data: { Root: store.root }, Name: 'tsbuild' },
    RootFS: rootFS(config),
    Metadata: { LastTagTime: goJsonTime(r.lastTagTime) },
  };
}

/**
 * A time as Go's encoding/json writes a time.Time (RFC 3339 with the fraction's
 * trailing zeros cut: `…05.42Z`, not `…05.420Z`), and Go's zero time for none.
 */
function goJsonTime(t: string | undefined): string {
  if (!t) return '0001-01-01T00:00:00Z';
  return t.replace(/\.(\d*?)0+(?=Z|[+-]\d\d:\d\d$)/, (_, kept: string) => (kept ? `.${kept}` : ''));
}

function rootFS(config: ImageConfig): ImageInspect['RootFS'] {
  const layers = config.rootfs?.diff_ids ?? [];
  const type = config.rootfs?.type ?? 'layers';
  return layers.length > 0 ? { Type: type, Layers: layers } : { Type: type };
}

/** Fields Docker's container.Config has that an image config may carry (a committed container's). */
interface CommittedFields {
  NetworkDisabled?: boolean;
  MacAddress?: string;
  StopTimeout?: number;
}

/** container.Config with Docker's field order and zero values for what is absent. */
function fullConfig(c: ContainerConfig | undefined): InspectConfig {
  const v: ContainerConfig & CommittedFields = c ?? {};
  return {
    Hostname: v.Hostname ?? '',
    Domainname: v.Domainname ?? '',
    User: v.User ?? '',
    AttachStdin: v.AttachStdin ?? false,
    AttachStdout: v.AttachStdout ?? false,
    AttachStderr: v.AttachStderr ?? false,
    ...(v.ExposedPorts && Object.keys(v.ExposedPorts).length > 0
      ? { ExposedPorts: structSet(v.ExposedPorts) }
      : {}),
    Tty: v.Tty ?? false,
    OpenStdin: v.OpenStdin ?? false,
    StdinOnce: v.StdinOnce ?? false,
    Env: v.Env ?? null,
    Cmd: v.Cmd ?? null,
    ...(v.Healthcheck ? { Healthcheck: v.Healthcheck } : {}),
    ...(v.ArgsEscaped ? { ArgsEscaped: true as const } : {}),
    Image: v.Image ?? '',
    Volumes: v.Volumes ? structSet(v.Volumes) : null,
    WorkingDir: v.WorkingDir ?? '',
    Entrypoint: v.Entrypoint ?? null,
    ...(v.NetworkDisabled ? { NetworkDisabled: true as const } : {}),
    ...(v.MacAddress ? { MacAddress: v.MacAddress } : {}),
    OnBuild: v.OnBuild ?? null,
    Labels: v.Labels ? sortedMap(v.Labels) : null,
    ...(v.StopSignal ? { StopSignal: v.StopSignal } : {}),
    ...(v.StopTimeout !== undefined && v.StopTimeout !== null
      ? { StopTimeout: v.StopTimeout }
      : {}),
    ...(v.Shell && v.Shell.length > 0 ? { Shell: v.Shell } : {}),
  };
}

/** A Go map[string]struct{}: whatever the config has as values, Docker's JSON has `{}`. */
function structSet(m: Record<string, object>): Record<string, Record<string, never>> {
  return Object.fromEntries(
    Object.keys(m)
      .sort()
      .map((k) => [k, {}]),
  );
}

/** A Go map's JSON: keys sorted, as encoding/json writes them (`LABEL b=2 a=1` is `{"a":…,"b":…}`). */
function sortedMap(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(m)
      .sort()
      .map((k) => [k, m[k]!]),
  );
}

export type { ImageConfig };
