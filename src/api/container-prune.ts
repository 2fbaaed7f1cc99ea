/**
 * `container prune`: remove every container that is not running, as
 * `docker container prune` does — failed build steps kept to debug included —
 * and say how much their changes took (Docker's SizeRw: the sizes of the
 * upper dir's non-directory entries, a hardlinked file once). Their named and
 * anonymous volumes stay, as with `docker rm` without `-v`. `tsbuild prune`
 * never removes a container: only this does.
 *
 * A container made but not started yet (`created`, no error recorded) in the
 * last ten minutes is left alone: a `tsbuild run` may be starting it.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { liveState, type ContainerRecord } from '../store/containers.js';
import { inodeKey, isDirectory, lstatFile } from '../util/lstat.js';
import { removeContainer, settleDead } from './container-rootfs.js';
import { parseUntil } from './prune.js';
import { openStore, type StoreOptions } from './store.js';

const STARTING_MS = 10 * 60_000;

export interface ContainerPruneRequest extends StoreOptions {
  /** `until=<timestamp|duration>`: only containers created before then. */
  filters?: string[];
}

export interface ContainerPruneResult {
  /** IDs of the containers removed, oldest first. */
  deleted: string[];
  /** Bytes their changes took. */
  reclaimed: number;
}

/**
 * @example
 *   const { deleted, reclaimed } = await pruneContainers({ filters: ['until=24h'] });
 */
export async function pruneContainers(
  req: ContainerPruneRequest = {},
): Promise<ContainerPruneResult> {
  const { until } = pruneFilters(req.filters ?? []);
  const store = await openStore(req);
  await settleDead(store);
  const now = Date.now();
  const out: ContainerPruneResult = { deleted: [], reclaimed: 0 };
  for (const r of await store.containers.list()) {
    if (!prunable(r, until, now)) continue;
    const size = changesSize(store.containers.upperDir(r.id));
    await removeContainer(store, r, { volumes: false });
    out.deleted.push(r.id);
    out.reclaimed += size;
  }
  return out;
}

/** The `--filter` values (`until=`): a UsageError for any other, checked before anything is asked. */
export function pruneFilters(filters: string[]): { until: number } {
  let until = Infinity;
  for (const f of filters) {
    const at = f.indexOf('=');
    if (at > 0 && f.slice(0, at) === 'until') until = parseUntil(f.slice(at + 1));
    else throw new UsageError(`invalid filter '${f}' (container prune takes until=)`);
  }
  return { until };
}

function prunable(r: ContainerRecord, until: number, now: number): boolean {
  const state = liveState(r.state);
  const created = Date.parse(r.created);
  if (state.status === 'running' || created >= until) return false;
  return !(state.status === 'created' && state.error === undefined && now - created < STARTING_MS);
}

/** The bytes of an upper dir's non-directory entries, each inode once. */
function changesSize(upper: string): number {
  const seen = new Set<string>();
  let size = 0;
  const dirs = [upper];
  for (let dir = dirs.pop(); dir !== undefined; dir = dirs.pop()) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      const path = join(dir, n);
      const st = lstatFile(path);
      if (!st) continue;
      if (isDirectory(st)) dirs.push(path);
      else if (st.size > 0 && !seen.has(inodeKey(st))) {
        seen.add(inodeKey(st));
        size += st.size;
      }
    }
  }
  return size;
}
