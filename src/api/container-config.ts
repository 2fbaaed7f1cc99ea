/**
 * A container's Config as Docker keeps it: the daemon's create-time merge of
 * the run's options over its image's config (daemon/create.go, merge.go).
 * `container inspect` shows it and `commit` starts from it, so both read it
 * here. What Docker 20.10 shows for a container of an image with
 * `VOLUME /data`, `LABEL a=1`, `EXPOSE 80`, `STOPSIGNAL SIGUSR1`, run as
 * `docker run --network=none IMG true`:
 *
 *   {"Hostname":"…","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,
 *    "AttachStderr":true,"ExposedPorts":{"80/tcp":{}},"Tty":false,"OpenStdin":false,
 *    "StdinOnce":false,"Env":["PATH=…"],"Cmd":["true"],"Image":"IMG","Volumes":{"/data":{}},
 *    "WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"a":"1"},"StopSignal":"SIGUSR1"}
 *
 * and for an imported image with no config, `"Env":null`, `"Volumes":null`, `"Labels":{}`.
 */
import type { ContainerConfig, ImageConfig } from '../image/types.js';
import type { ContainerRecord } from '../store/containers.js';
import type { Store } from '../store/store.js';

/** Docker's container Config, in Docker's field order. */
export function containerConfig(r: ContainerRecord, image: ContainerConfig): ContainerConfig {
  const c = r.config;
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const fromImage = same(c.cmd, image.Cmd) && same(c.entrypoint, image.Entrypoint);
  // `-v /path` (no host side) is an anonymous volume: Docker adds it to Config.Volumes,
  // beside the image's VOLUMEs. `-v name:/path` and `--mount` are HostConfig's.
  const anonymous = c.binds.filter((b) => !b.includes(':'));
  const volumes = { ...(image.Volumes ?? {}) };
  for (const v of anonymous) volumes[v] = {};
  return {
    Hostname: c.hostname,
    Domainname: '',
    User: c.user,
    AttachStdin: c.openStdin,
    AttachStdout: true,
    AttachStderr: true,
    ...(image.ExposedPorts ? { ExposedPorts: image.ExposedPorts } : {}),
    Tty: c.tty,
    OpenStdin: c.openStdin,
    StdinOnce: c.openStdin,
    Env: c.env.length > 0 ? c.env : null,
    Cmd: c.cmd,
    ...(image.Healthcheck ? { Healthcheck: image.Healthcheck } : {}),
    ...(fromImage && image.ArgsEscaped ? { ArgsEscaped: true } : {}),
    Image: r.image.ref,
    Volumes: Object.keys(volumes).length > 0 ? volumes : null,
    WorkingDir: c.cwd,
    Entrypoint: c.entrypoint,
    OnBuild: null,
    Labels: image.Labels ?? {},
    ...(image.StopSignal ? { StopSignal: image.StopSignal } : {}),
  };
}

/**
 * The container's image config: kept in the store while the container is
 * (store.heldByContainers), even when `rmi -f` took the image. A failed build
 * step's container ran on a stage's state, which has none.
 */
export async function containerImageConfig(
  store: Store,
  r: ContainerRecord,
): Promise<ImageConfig | undefined> {
  if (!/^sha256:[0-9a-f]{64}$/.test(r.image.id) || !(await store.blobs.has(r.image.id)))
    return undefined;
  return store.blobs.readJson<ImageConfig>(r.image.id);
}
