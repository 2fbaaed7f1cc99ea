/**
 * `stop` and `kill`: a signal to a running container's first process, sent
 * from here straight to its pid (the record names it by pid and start time,
 * so a reused pid is never hit), as `runc kill` sends it; whichever process
 * supervises the container (a detached one's supervisor, or a foreground
 * `tsbuild run`) sees it end and records its exit status. As for any pid 1 of
 * a pid namespace, a signal the process does not handle does nothing, except
 * SIGKILL: `stop` waits, then kills, as Docker's daemon does.
 *
 * Errors carry Docker's daemon's words (the CLI adds "Error response from
 * daemon: ").
 */
import { constants } from 'node:os';
import { TsbuildError } from '../errors.js';
import type { ImageConfig } from '../image/types.js';
import { isAlive, liveState, type ContainerRecord } from '../store/containers.js';
import type { Store } from '../store/store.js';
import { settleDead } from './container-rootfs.js';
import { openStore, type StoreOptions } from './store.js';

/** Docker's default `stop -t`. */
export const DEFAULT_STOP_SECONDS = 10;
/** How long a SIGKILLed container is waited for before it is an error (Docker's daemon waits too). */
const KILL_WAIT_MS = 10_000;
/** How long a running container's process is waited for to be recorded (a run that is just starting). */
const PROCESS_WAIT_MS = 10_000;
const POLL_MS = 50;

export interface StopRequest extends StoreOptions {
  /** ID, name or ID prefix. */
  container: string;
  /** Seconds to wait after the stop signal before SIGKILL (default 10; negative: no limit). */
  timeout?: number;
}

/**
 * `docker stop`: the image's StopSignal (default SIGTERM), then SIGKILL when
 * the container is still running after `timeout` seconds; resolves to its ID
 * once it has stopped. A container that is not running is left as it is.
 * @example
 *   await stopContainer({ container: 'web', timeout: 1 });
 */
export async function stopContainer(req: StopRequest): Promise<string> {
  const store = await openStore(req);
  await settleDead(store);
  const r = await store.containers.resolve(req.container);
  if (r.state.status !== 'running') return r.id;
  const seconds = req.timeout ?? DEFAULT_STOP_SECONDS;
  const stopSignal = await imageStopSignal(store, r);
  // Sent with -t 0 too, then SIGKILL at once, as Docker's daemon does.
  if (await signalProcess(store, r, stopSignal)) {
    if (await stopped(store, r.id, seconds < 0 ? Infinity : seconds * 1000)) return r.id;
  }
  await killAndWait(store, r);
  return r.id;
}

export interface KillRequest extends StoreOptions {
  container: string;
  /** A name (KILL, SIGKILL, kill) or number, as `docker kill -s`; default KILL. */
  signal?: string;
}

/**
 * `docker kill`: send a signal (default SIGKILL) to a running container's
 * process; with SIGKILL, resolves once it has stopped. Resolves to its ID.
 * @example
 *   await killContainer({ container: 'web', signal: 'HUP' });
 */
export async function killContainer(req: KillRequest): Promise<string> {
  const signal = parseSignal(req.signal ?? 'KILL');
  const store = await openStore(req);
  await settleDead(store);
  let r: ContainerRecord;
  try {
    r = await store.containers.resolve(req.container);
  } catch (e) {
    if (!(e instanceof TsbuildError)) throw e;
    throw cannotKill(req.container, e);
  }
  const notRunning = () =>
    cannotKill(
      req.container,
      new TsbuildError('CONTAINER_NOT_RUNNING', `Container ${r.id} is not running`, { id: r.id }),
    );
  if (r.state.status !== 'running') throw notRunning();
  if (signal === constants.signals.SIGKILL) {
    await killAndWait(store, r);
    return r.id;
  }
  if (!(await signalProcess(store, r, signal))) throw notRunning();
  return r.id;
}

function cannotKill(ref: string, e: TsbuildError): TsbuildError {
  return new TsbuildError(e.code, `Cannot kill container: ${ref}: ${e.message}`, e.data);
}

/**
 * Docker's signal.ParseSignal: a number, or a name with or without SIG in any
 * case; "Invalid signal: X" otherwise.
 */
export function parseSignal(raw: string): number {
  const bad = () => new TsbuildError('BAD_SIGNAL', `Invalid signal: ${raw}`, { signal: raw });
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    // 1 to SIGRTMAX (64 on Linux).
    if (n < 1 || n > 64) throw bad();
    return n;
  }
  const name = `SIG${raw.toUpperCase().replace(/^SIG/, '')}`;
  const n = (constants.signals as Record<string, number>)[name];
  if (n === undefined) throw bad();
  return n;
}

/** The StopSignal of the container's image (its config is kept with the container); SIGTERM by default. */
async function imageStopSignal(store: Store, r: ContainerRecord): Promise<number> {
  try {
    const config = await store.blobs.readJson<ImageConfig>(r.image.id);
    const s = config.config?.StopSignal;
    if (s) return parseSignal(s);
  } catch {
    // A failed build step's container, or a signal Docker would refuse: the default.
  }
  return constants.signals.SIGTERM;
}

/**
 * Signal the container's process, waiting for it to be recorded if the run is
 * just starting; false when the container is not running (any more).
 */
async function signalProcess(store: Store, r: ContainerRecord, signal: number): Promise<boolean> {
  const deadline = Date.now() + PROCESS_WAIT_MS;
  for (;;) {
    const now = await store.containers.get(r.id);
    if (!now || liveState(now.state).status !== 'running') return false;
    const p = now.state.process;
    if (p) {
      if (!isAlive(p)) return false;
      try {
        process.kill(p.pid, signal);
        return true;
      } catch {
        return false;
      }
    }
    if (Date.now() > deadline)
      throw new TsbuildError(
        'CONTAINER_STARTING',
        `container ${r.id} is running, but its process has not started yet`,
        { id: r.id },
      );
    await sleep(POLL_MS);
  }
}

/** SIGKILL the container's process and wait until its supervisor has written it down. */
async function killAndWait(store: Store, r: ContainerRecord): Promise<void> {
  await signalProcess(store, r, constants.signals.SIGKILL);
  if (await stopped(store, r.id, KILL_WAIT_MS)) return;
  throw new TsbuildError(
    'CONTAINER_RUNNING',
    `container ${r.id} is still running after SIGKILL (waited ${KILL_WAIT_MS / 1000} s)`,
    { id: r.id },
  );
}

/**
 * Whether the container stopped within `ms`: its supervisor recorded the
 * end (or died: then settled here), or it was removed (--rm).
 */
async function stopped(store: Store, id: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const now = await store.containers.get(id);
    if (!now) return true;
    if (now.state.status !== 'running') return true;
    if (liveState(now.state).status !== 'running') {
      await settleDead(store);
      return true;
    }
    if (Date.now() > deadline) return false;
    await sleep(POLL_MS);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
