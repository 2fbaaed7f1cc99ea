/**
 * Containers (`tsbuild run`): a RUN whose upper dir outlives the process. One
 * directory per container, made whole in tmp/ and renamed into place, so a
 * half-made container is never listed:
 *
 *   containers/<64-hex id>/
 *     config.json      the record (ContainerRecord), replaced whole through tmp/
 *     upper/           the overlay's upper dir: every change the container made
 *                      (whiteouts as 0/0 devices, opaque dirs by xattr), the
 *                      diff `commit` and `diff` read, as a RUN step's is its layer
 *     work/            the overlay's work dir
 *     rootfs/          where the overlay is mounted while the container runs
 *     run/             the runner's work root (bundles, runtime state) and
 *                      the default network's namespace
 *     container.log    its output, as Docker's json-file driver writes it
 *                      ({"log":…,"stream":"stdout","time":…} per chunk)
 *
 * The layers a container runs on are named in its record (diffIDs, bottom
 * first): `held()` adds them to what prune and rmi keep, stopped or not.
 *
 * Nothing but the record says a container runs, so the record names its
 * supervisor (the `tsbuild run` that waits for it) and its process, each by
 * pid and start time (field 22 of /proc/<pid>/stat, which survives pid reuse):
 * a container whose supervisor is gone is shown exited, never running, and
 * `settleDead` (api/) unmounts what it left and writes it down as exited.
 *
 * Names are unique: checked and taken under the store's lock.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startTime, tempName } from '../util/temp-owner.js';
import { checkName, generateName } from './container-names.js';
import { StoreError } from './errors.js';
import { writeRecord } from './temps.js';

export type ContainerStatus = 'created' | 'running' | 'exited';

/** A process named so that a reused pid is not taken for it. */
export interface ProcessRef {
  pid: number;
  /** Its start time in clock ticks since boot (field 22 of /proc/<pid>/stat). */
  start: string;
}

/** A mount of the container, as resolved from -v and --mount. */
export interface ContainerMount {
  type: 'bind' | 'tmpfs' | 'volume';
  /** The host path of a bind; a volume's name; '' for tmpfs. */
  source: string;
  /** Absolute path in the container. */
  target: string;
  readOnly: boolean;
  /** A volume made for this container alone (no name given): `--rm` removes it. */
  anonymous?: boolean;
  /** tmpfs's mount options (size=…, mode=…). */
  options?: string[];
  /**
   * Docker's `Mounts[].Mode`: a `-v`'s mode as given (`ro`, `rw,nocopy`…), `z` for
   * a local volume given none or by `--mount`. Absent in records made before it was
   * kept: then `ro` or ''.
   */
  mode?: string;
}

/** What the container runs, resolved once from the image and the options (Docker's rules). */
export interface RunConfig {
  /** The image's Entrypoint or --entrypoint's; null when none. */
  entrypoint: string[] | null;
  /** The image's Cmd or the COMMAND given; null when none. */
  cmd: string[] | null;
  /** entrypoint + cmd, as executed (before --init's). */
  args: string[];
  /** Config.Env: the -e values, then the image's whose names they do not set. */
  env: string[];
  /** Config.WorkingDir: '' when neither the image nor `-w` sets one (the process starts in /). */
  cwd: string;
  user: string;
  hostname: string;
  mounts: ContainerMount[];
  /** HostConfig.Binds: the -v values as given. */
  binds: string[];
  network: 'default' | 'none' | 'host' | 'bridge';
  readOnly: boolean;
  init: boolean;
  autoRemove: boolean;
  tty: boolean;
  openStdin: boolean;
  /** The runner: auto, runc, crun, builtin. */
  runtime: string;
  /** HostConfig.ExtraHosts: `--add-host` as `HOST:IP`, lines of its /etc/hosts. */
  extraHosts?: string[];
}

export interface ContainerState {
  status: ContainerStatus;
  /** The `tsbuild run` (or supervisor process) that waits for the container. */
  supervisor?: ProcessRef;
  /** The container's first process, as the host sees it. */
  process?: ProcessRef;
  exitCode: number;
  startedAt?: string;
  finishedAt?: string;
  /** Why it did not start (State.Error). */
  error?: string;
}

export interface ContainerRecord {
  version: 1;
  id: string;
  name: string;
  /** A `tsbuild run`, or a failed build step kept to debug. */
  kind: 'run' | 'failed-step';
  created: string;
  image: { id: string; ref: string };
  /** The diffIDs of the layers it runs on, bottom first. */
  layers: string[];
  config: RunConfig;
  state: ContainerState;
  /** A failed build step's: its instruction and cache key (a newer failure of it replaces it). */
  step?: { instruction: string; key: string };
}

export type NewContainer = Omit<
  ContainerRecord,
  'version' | 'id' | 'name' | 'created' | 'state' | 'config'
> & {
  name?: string;
  /** The config, or how to make it from the new ID (the default hostname is the short ID). */
  config: RunConfig | ((id: string) => RunConfig);
};

const ID = /^[0-9a-f]{64}$/;

export class ContainerStore {
  readonly dir: string;

  constructor(
    root: string,
    private readonly tmp: string,
    /** The store's lock (store.withLock). */
    private readonly lock: <T>(fn: () => Promise<T>) => Promise<T>,
  ) {
    this.dir = join(root, 'containers');
  }

  path(id: string): string {
    return join(this.dir, id);
  }
  upperDir(id: string): string {
    return join(this.dir, id, 'upper');
  }
  workDir(id: string): string {
    return join(this.dir, id, 'work');
  }
  rootfsDir(id: string): string {
    return join(this.dir, id, 'rootfs');
  }
  runDir(id: string): string {
    return join(this.dir, id, 'run');
  }
  logPath(id: string): string {
    return join(this.dir, id, 'container.log');
  }

  /** Make a container (state `created`): its name taken, its dirs made, all or nothing. */
  async create(c: NewContainer): Promise<ContainerRecord> {
    const wanted = c.name === undefined ? undefined : checkName(c.name);
    await mkdir(this.tmp, { recursive: true });
    await mkdir(this.dir, { recursive: true });
    const temp = tempName(this.tmp, 'container');
    // 0700: its record holds the -e values, its upper dir whatever the container
    // made (a setuid shell, say): no other user of the host may reach either.
    await mkdir(temp, { mode: 0o700 });
    try {
      for (const d of ['upper', 'work', 'rootfs', 'run'])
        await mkdir(join(temp, d), { mode: 0o755 });
      return await this.lock(async () => {
        const all = await this.readAll();
        const byName = new Map(all.map((r) => [r.name, r]));
        if (wanted !== undefined && byName.has(wanted))
          throw new StoreError(
            'CONTAINER_NAME_CONFLICT',
            `Conflict. The container name "/${wanted}" is already in use by container "${byName.get(wanted)!.id}". You have to remove (or rename) that container to be able to reuse that name.`,
            { name: wanted },
          );
        const id = newId(all);
        const record: ContainerRecord = {
          version: 1,
          id,
          name: wanted ?? generateName((n) => byName.has(n)),
          kind: c.kind,
          created: new Date().toISOString(),
          image: c.image,
          layers: c.layers,
          ...(c.step ? { step: c.step } : {}),
          config: typeof c.config === 'function' ? c.config(id) : c.config,
          state: { status: 'created', exitCode: 0 },
        };
        await writeRecord(join(temp, 'config.json'), json(record), this.tmp, 'a container record');
        await rename(temp, this.path(record.id));
        return record;
      });
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }

  /** Every container, oldest first, its state as it is now (see `liveState`). */
  async list(): Promise<ContainerRecord[]> {
    const all = await this.readAll();
    return all
      .map((r) => ({ ...r, state: liveState(r.state) }))
      .sort((a, b) => a.created.localeCompare(b.created));
  }

  /** The record of `id` as stored (state not checked against /proc), or undefined. */
  async get(id: string): Promise<ContainerRecord | undefined> {
    if (!ID.test(id)) return undefined;
    try {
      return JSON.parse(
        await readFile(join(this.path(id), 'config.json'), 'utf8'),
      ) as ContainerRecord;
    } catch {
      return undefined;
    }
  }

  /**
   * A container by full ID, name (`/` optional) or unique ID prefix, in that
   * order, as Docker's daemon finds one (daemon.GetContainer).
   */
  async resolve(ref: string): Promise<ContainerRecord> {
    const all = await this.list();
    const exact = all.find((r) => r.id === ref);
    if (exact) return exact;
    const name = ref.startsWith('/') ? ref.slice(1) : ref;
    const named = all.find((r) => r.name === name);
    if (named) return named;
    const prefixed = /^[0-9a-f]+$/.test(ref) ? all.filter((r) => r.id.startsWith(ref)) : [];
    if (prefixed.length > 1)
      throw new StoreError(
        'AMBIGUOUS_CONTAINER',
        `Multiple IDs found with provided prefix: ${ref}`,
        {
          ref,
        },
      );
    if (prefixed.length === 1) return prefixed[0]!;
    throw new StoreError('NO_SUCH_CONTAINER', `No such container: ${ref}`, { ref });
  }

  /** Change a container's record under the lock; the new record (undefined when it is gone). */
  update(
    id: string,
    change: (r: ContainerRecord) => ContainerRecord,
  ): Promise<ContainerRecord | undefined> {
    return this.lock(async () => {
      const r = await this.get(id);
      if (!r) return undefined;
      const next = change(r);
      await writeRecord(
        join(this.path(id), 'config.json'),
        json(next),
        this.tmp,
        'a container record',
      );
      return next;
    });
  }

  /**
   * Delete a container. `prepare` runs first, under the lock, with its
   * directory (unmount what it left: the store never deletes through a mount).
   * The directory is renamed into tmp/ before it is deleted, so a kill half
   * way leaves a temp dir the next command sweeps, never half a container.
   */
  async remove(id: string, prepare: (dir: string) => Promise<void>): Promise<void> {
    await this.lock(async () => {
      const dir = this.path(id);
      if (!(await this.get(id))) return;
      await prepare(dir);
      const doomed = tempName(this.tmp, 'container');
      await rename(dir, doomed);
      await rm(doomed, { recursive: true, force: true });
    });
  }

  /** The layers (diffIDs) and images (IDs) some container runs on: prune and rmi keep them. */
  async held(): Promise<{ layers: Set<string>; images: Map<string, ContainerRecord[]> }> {
    const layers = new Set<string>();
    const images = new Map<string, ContainerRecord[]>();
    for (const r of await this.readAll()) {
      for (const l of r.layers) layers.add(l);
      images.set(r.image.id, [...(images.get(r.image.id) ?? []), r]);
    }
    return { layers, images };
  }

  private async readAll(): Promise<ContainerRecord[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const out: ContainerRecord[] = [];
    for (const n of names) {
      const r = await this.get(n);
      if (r) out.push(r);
    }
    return out;
  }
}

/**
 * The state as it is now: a container recorded as running whose supervisor
 * has gone (killed with it, or the machine rebooted) has exited — with 255,
 * as Docker's daemon records a container it finds dead when it restarts.
 */
export function liveState(s: ContainerState): ContainerState {
  if (s.status !== 'running' || isAlive(s.supervisor)) return s;
  return { ...s, status: 'exited', exitCode: 255 };
}

/**
 * Whether `p` is still the process it was, and not a zombie: a supervisor
 * killed after its parent exited is reaped by init, which may take a second
 * or more (a container's init, a CI sandbox's), and is dead meanwhile.
 */
export function isAlive(p: ProcessRef | undefined): boolean {
  if (p === undefined) return false;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // After comm (which may hold ')'): field 3, the state, then field 22, the start time.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] === p.start && fields[0] !== 'Z' && fields[0] !== 'X';
}

/** This process, as a supervisor. */
export function selfRef(): ProcessRef {
  return { pid: process.pid, start: startTime('self') ?? '' };
}

function newId(all: ContainerRecord[]): string {
  for (;;) {
    const id = randomBytes(32).toString('hex');
    // Docker's rule: a short ID (12 digits) that reads as a number is not given out.
    if (/^\d+$/.test(id.slice(0, 12))) continue;
    if (!all.some((r) => r.id.startsWith(id.slice(0, 12)))) return id;
  }
}

function json(r: ContainerRecord): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
