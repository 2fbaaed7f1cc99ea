/**
 * The container verbs besides `run`: `ps`, `rm` and `container inspect`, in
 * the shapes Docker's API gives them (the CLI prints them as the docker CLI
 * does). Each first settles containers whose supervisor is gone
 * (container-rootfs.ts), so none is ever shown running when it is not.
 */
import { TsbuildError } from '../errors.js';
import { StoreError } from '../store/errors.js';
import { isAlive, liveState, type ContainerRecord } from '../store/containers.js';
import type { Store } from '../store/store.js';
import type { ContainerConfig } from '../image/types.js';
import { containerConfig, containerImageConfig } from './container-config.js';
import { hostConfigOf } from './host-config.js';
import { removeContainer, settleDead } from './container-rootfs.js';
import { openStore, type StoreOptions } from './store.js';

/** One container as `docker ps` gets it from the API. */
export interface ContainerSummary {
  id: string;
  name: string;
  /** The image as the user named it, or its ID when that name now means another image. */
  image: string;
  imageId: string;
  /** Path and args, an arg with a space in single quotes (Docker's list.go). */
  command: string;
  created: string;
  status: 'created' | 'running' | 'exited';
  exitCode: number;
  startedAt?: string;
  finishedAt?: string;
  kind: ContainerRecord['kind'];
}

export interface PsRequest extends StoreOptions {
  /** Stopped containers too (`-a`). */
  all?: boolean;
}

/**
 * Containers, newest first, running ones only unless `all`.
 * @example
 *   for (const c of await ps({ all: true })) console.log(c.name, c.status, c.exitCode);
 */
export async function ps(req: PsRequest = {}): Promise<ContainerSummary[]> {
  const store = await openStore(req);
  await settleDead(store);
  const out: ContainerSummary[] = [];
  for (const r of (await store.containers.list()).reverse()) {
    if (!req.all && r.state.status !== 'running') continue;
    out.push({
      id: r.id,
      name: r.name,
      image: await imageName(store, r),
      imageId: r.image.id,
      command: commandLine(r.config.args),
      created: r.created,
      status: r.state.status,
      exitCode: r.state.exitCode,
      ...(r.state.startedAt ? { startedAt: r.state.startedAt } : {}),
      ...(r.state.finishedAt ? { finishedAt: r.state.finishedAt } : {}),
      kind: r.kind,
    });
  }
  return out;
}

async function imageName(store: Store, r: ContainerRecord): Promise<string> {
  try {
    if ((await store.resolve(r.image.ref)).id === r.image.id) return r.image.ref;
  } catch {
    // Gone or renamed: the ID, as Docker shows it then.
  }
  return r.image.id;
}

function commandLine(args: string[]): string {
  const [path = '', ...rest] = args;
  if (rest.length === 0) return path;
  return `${path} ${rest.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`;
}

export interface RemoveContainerRequest extends StoreOptions {
  container: string;
  /** `-f`: kill a running container first. */
  force?: boolean;
  /** `-v`: its anonymous volumes too. */
  volumes?: boolean;
}

/** How long `rm -f` waits for a killed container's supervisor to write it down. */
const FORCE_WAIT_MS = 10_000;

/**
 * `docker rm`: remove a stopped container (`force`: kill a running one first).
 * @example
 *   await rmContainer({ container: 'web', force: true });
 */
export async function rmContainer(req: RemoveContainerRequest): Promise<string> {
  const store = await openStore(req);
  await settleDead(store);
  let r = await store.containers.resolve(req.container);
  if (r.state.status === 'running') {
    if (!req.force)
      throw new StoreError(
        'CONTAINER_RUNNING',
        `You cannot remove a running container ${r.id}. Stop the container before attempting removal or force remove`,
        { id: r.id },
      );
    r = await killAndWait(store, r);
  }
  if (await store.containers.get(r.id))
    await removeContainer(store, r, { volumes: req.volumes ?? false });
  return r.id;
}

/** SIGKILL the container's process, then wait for its supervisor to record the end. */
async function killAndWait(store: Store, r: ContainerRecord): Promise<ContainerRecord> {
  const p = r.state.process;
  if (p && isAlive(p)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  const deadline = Date.now() + FORCE_WAIT_MS;
  for (;;) {
    const now = await store.containers.get(r.id);
    if (!now) return r;
    if (liveState(now.state).status !== 'running') {
      await settleDead(store);
      return (await store.containers.get(r.id)) ?? now;
    }
    if (Date.now() > deadline)
      throw new TsbuildError(
        'CONTAINER_RUNNING',
        `could not remove container ${r.id}: it is still running after SIGKILL`,
        { id: r.id },
      );
    await new Promise((res) => setTimeout(res, 50));
  }
}

export interface InspectContainersRequest extends StoreOptions {
  containers: string[];
}

/**
 * `docker container inspect`: one object per container, Docker's field names.
 * Unknown names are a NO_SUCH_CONTAINER error after the others are gathered.
 */
export async function inspectContainers(
  req: InspectContainersRequest,
): Promise<{ found: ContainerInspect[]; missing: string[] }> {
  const store = await openStore(req);
  await settleDead(store);
  const found: ContainerInspect[] = [];
  const missing: string[] = [];
  for (const name of req.containers) {
    try {
      const r = await store.containers.resolve(name);
      found.push(inspectOf(store, r, (await containerImageConfig(store, r))?.config ?? {}));
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      missing.push(e.message);
    }
  }
  return { found, missing };
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

export type ContainerInspect = ReturnType<typeof inspectOf>;

function inspectOf(store: Store, r: ContainerRecord, image: ContainerConfig) {
  const c = r.config;
  const running = r.state.status === 'running';
  const [path = '', ...args] = c.args;
  const dir = store.containers;
  return {
    Id: r.id,
    Created: r.created,
    Path: c.init ? '/sbin/docker-init' : path,
    Args: c.init ? ['--', ...c.args] : args,
    State: {
      Status: r.state.status,
      Running: running,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: running ? (r.state.process?.pid ?? 0) : 0,
      ExitCode: r.state.exitCode,
      Error: r.state.error ?? '',
      StartedAt: r.state.startedAt ?? ZERO_TIME,
      FinishedAt: r.state.finishedAt ?? ZERO_TIME,
    },
    Image: r.image.id,
    LogPath: dir.logPath(r.id),
    Name: `/${r.name}`,
    RestartCount: 0,
    Driver: 'overlay',
    Platform: 'linux',
    HostConfig: hostConfigOf(c),
    GraphDriver: {
      Name: 'overlay',
      Data: {
        UpperDir: dir.upperDir(r.id),
        WorkDir: dir.workDir(r.id),
        MergedDir: dir.rootfsDir(r.id),
      },
    },
    Mounts: c.mounts.map((m) =>
      m.type === 'volume'
        ? {
            Type: 'volume',
            Name: m.source,
            Source: `${store.volumes.dir}/${m.source}/_data`,
            Destination: m.target,
            Driver: 'local',
            Mode: m.mode ?? (m.readOnly ? 'ro' : ''),
            RW: !m.readOnly,
            Propagation: '',
          }
        : {
            Type: m.type,
            Source: m.source,
            Destination: m.target,
            Mode: m.mode ?? (m.readOnly ? 'ro' : ''),
            RW: !m.readOnly,
            Propagation: m.type === 'bind' ? 'rprivate' : '',
          },
    ),
    // The run's options merged over the image's config, as Docker keeps it.
    Config: containerConfig(r, image),
    Kind: r.kind,
  };
}
