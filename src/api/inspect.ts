/**
 * `inspect`: Docker's image inspect JSON (API types.ImageInspect, 20.10), built
 * from the config and the store's record. Docker fills every container.Config
 * field even when the image leaves it out, so `{{.Config.User}}` prints '' and
 * `{{json .Config.Volumes}}` prints null rather than failing; tsbuild does too.
 */
import { familiarName } from '../image/reference.js';
import type { ContainerConfig, ImageConfig } from '../image/types.js';
import type { ImageRecord, Store } from '../store/store.js';
import { imageSize } from './size.js';
import { openStore, type StoreOptions } from './store.js';

export interface InspectRequest extends StoreOptions {
  /** Names, IDs or ID prefixes. */
  images: string[];
}

export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  Container: string;
  ContainerConfig: Record<string, unknown>;
  DockerVersion: string;
  Author: string;
  Config: Record<string, unknown>;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  Size: number;
  VirtualSize: number;
  GraphDriver: { Data: Record<string, string>; Name: string };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}

/**
 * Inspect images; a name that matches nothing rejects with NO_SUCH_IMAGE.
 * @example
 *   const [img] = await inspect({ images: ['app'] });
 *   img.Config.Env; // ['PATH=/usr/local/sbin:…']
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
    RootFS: { Type: config.rootfs?.type ?? 'layers', Layers: config.rootfs?.diff_ids ?? [] },
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

/** container.Config with Docker's field order and zero values for what is absent. */
function fullConfig(c: ContainerConfig | undefined): Record<string, unknown> {
  const v = c ?? {};
  const out: Record<string, unknown> = {
    Hostname: v.Hostname ?? '',
    Domainname: v.Domainname ?? '',
    User: v.User ?? '',
    AttachStdin: v.AttachStdin ?? false,
    AttachStdout: v.AttachStdout ?? false,
    AttachStderr: v.AttachStderr ?? false,
  };
  if (v.ExposedPorts) out.ExposedPorts = v.ExposedPorts;
  Object.assign(out, {
    Tty: v.Tty ?? false,
    OpenStdin: v.OpenStdin ?? false,
    StdinOnce: v.StdinOnce ?? false,
    Env: v.Env ?? null,
    Cmd: v.Cmd ?? null,
  });
  if (v.Healthcheck) out.Healthcheck = v.Healthcheck;
  if (v.ArgsEscaped) out.ArgsEscaped = v.ArgsEscaped;
  Object.assign(out, {
    Image: v.Image ?? '',
    Volumes: v.Volumes ?? null,
    WorkingDir: v.WorkingDir ?? '',
    Entrypoint: v.Entrypoint ?? null,
    OnBuild: v.OnBuild ?? null,
    Labels: v.Labels ?? null,
  });
  if (v.StopSignal) out.StopSignal = v.StopSignal;
  if (v.Shell) out.Shell = v.Shell;
  return out;
}

export type { ImageConfig };
