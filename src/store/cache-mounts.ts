/**
 * RUN --mount=type=cache directories: `<root>/cache-mounts/<hex>/` per cache
 * (hex: sha256 of its id and what seeded it, as BuildKit keys `id:ref`), with
 * `meta.json` (id, when made and last used) and one or more instances `0/`,
 * `1/`… — never a layer, never in a cache key.
 *
 * Sharing between processes on one store:
 * - `locked`: an exclusive lock on instance 0 (proper-lockfile, `0.lock`),
 *   waited for, and no live `shared` user of it;
 * - `private`: the first instance whose lock is free, a new one when all are taken;
 * - `shared`: instance 0 with no lock; a marker in `0.users/` names the user's
 *   process, so `prune` and `locked` users know it is in use.
 * A killed process's lock goes stale and its marker names a dead pid: neither
 * holds a cache forever.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { sha256, digestHex } from '../util/digest.js';
import { tempName, tempOwnerAlive } from '../util/temp-owner.js';
import { writeRecord } from './temps.js';

export type CacheSharing = 'shared' | 'private' | 'locked';

export interface CacheMountMeta {
  id: string;
  /** What seeded it besides the id ('' for an empty cache). */
  seed: string;
  created: string;
  lastUsed: string;
}

export interface CacheMountUsage extends CacheMountMeta {
  /** The directory name under cache-mounts/. */
  key: string;
  size: number;
  inUse: boolean;
}

export interface HeldCacheMount {
  /** The directory to bind at the target. */
  dir: string;
  /** True when this instance was made now (and `init` filled it). */
  fresh: boolean;
  release(): Promise<void>;
}

const LOCK = { stale: 60_000, update: 10_000, realpath: false } as const;
const WAIT_MS = 10 * 60_000;

export class CacheMounts {
  readonly dir: string;
  constructor(
    root: string,
    private readonly tmp: string,
  ) {
    this.dir = join(root, 'cache-mounts');
  }

  /**
   * The cache `id` seeded by `seed`, held for one step; `init` fills a new instance
   * (made under tmp/ and renamed into place, so a half-seeded cache is never seen).
   */
  async acquire(
    id: string,
    seed: string,
    sharing: CacheSharing,
    init: (dir: string) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<HeldCacheMount> {
    const key = digestHex(sha256(`${id}\0${seed}`));
    const base = join(this.dir, key);
    await mkdir(base, { recursive: true });
    await mkdir(this.tmp, { recursive: true });
    await this.touch(base, id, seed);
    if (sharing === 'shared') {
      const fresh = await this.instance(base, 0, init);
      const users = join(base, '0.users');
      await mkdir(users, { recursive: true });
      const marker = tempName(users, 'user');
      await writeFile(marker, '');
      return { dir: join(base, '0'), fresh, release: () => rm(marker, { force: true }) };
    }
    for (let n = 0, wait = 20; ; n = sharing === 'private' ? n + 1 : 0) {
      signal?.throwIfAborted();
      const release = await tryLock(join(base, `${n}.lock`));
      if (release && (sharing === 'private' || !(await liveUsers(join(base, '0.users'))))) {
        try {
          const fresh = await this.instance(base, n, init);
          return { dir: join(base, String(n)), fresh, release };
        } catch (e) {
          await release();
          throw e;
        }
      }
      await release?.();
      if (sharing === 'locked') {
        if (wait > WAIT_MS) throw new Error(`cache mount ${JSON.stringify(id)} stayed locked`);
        await new Promise((r) => setTimeout(r, Math.min(200, wait)));
        wait += Math.min(200, wait);
      }
    }
  }

  /** Every cache mount, with its size on disk and whether a step holds it now. */
  async list(): Promise<CacheMountUsage[]> {
    const out: CacheMountUsage[] = [];
    for (const key of await readdir(this.dir).catch(() => [] as string[])) {
      const base = join(this.dir, key);
      const meta = await readMeta(base);
      if (!meta) continue;
      out.push({ ...meta, key, size: await duBytes(base), inUse: await inUse(base) });
    }
    return out;
  }

  /** Remove a cache mount unless a step holds it; its size when removed. */
  async remove(key: string): Promise<number | undefined> {
    const base = join(this.dir, key);
    if (!existsSync(base) || (await inUse(base))) return undefined;
    const size = await duBytes(base);
    // Renamed first: a step that comes now makes a new one rather than see half a tree.
    const doomed = tempName(this.tmp, 'cachemount');
    await rename(base, doomed);
    await rm(doomed, { recursive: true, force: true });
    return size;
  }

  private async instance(
    base: string,
    n: number,
    init: (dir: string) => Promise<void>,
  ): Promise<boolean> {
    const dir = join(base, String(n));
    if (existsSync(dir)) return false;
    // Two steps may make the instance at once (two stages, one shared cache), and
    // rename() replaces an empty directory: the second would put its own dir in
    // place under the first, which then writes to one nobody else sees. So one
    // makes it while the other waits, and finds it made.
    const release = await waitLock(join(base, `${n}.init.lock`));
    try {
      if (existsSync(dir)) return false;
      await mkdir(this.tmp, { recursive: true });
      const temp = tempName(this.tmp, 'cachemount');
      await mkdir(temp, { mode: 0o755 });
      try {
        await init(temp);
        await rename(temp, dir);
      } catch (e) {
        await rm(temp, { recursive: true, force: true });
        throw e;
      }
      return true;
    } finally {
      await release();
    }
  }

  private async touch(base: string, id: string, seed: string): Promise<void> {
    const now = new Date().toISOString();
    const meta = (await readMeta(base)) ?? { id, seed, created: now, lastUsed: now };
    meta.lastUsed = now;
    await writeRecord(
      join(base, 'meta.json'),
      JSON.stringify(meta),
      this.tmp,
      'a cache mount record',
    );
  }
}

async function readMeta(base: string): Promise<CacheMountMeta | undefined> {
  try {
    return JSON.parse(await readFile(join(base, 'meta.json'), 'utf8')) as CacheMountMeta;
  } catch {
    return undefined;
  }
}

async function tryLock(path: string): Promise<(() => Promise<void>) | undefined> {
  try {
    return await lockfile.lock(path, { ...LOCK, lockfilePath: path, onCompromised: () => {} });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOCKED') return undefined;
    throw e;
  }
}

/** The lock at `path`, waited for (a dead holder's goes stale and is taken). */
async function waitLock(path: string): Promise<() => Promise<void>> {
  for (let wait = 20; ; wait += Math.min(200, wait)) {
    const release = await tryLock(path);
    if (release) return release;
    if (wait > WAIT_MS) throw new Error(`${path} stayed locked`);
    await new Promise((r) => setTimeout(r, Math.min(200, wait)));
  }
}

/** Markers of live processes (a dead one's marker is removed on the way). */
async function liveUsers(dir: string): Promise<boolean> {
  let live = false;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (tempOwnerAlive(name) === false) await rm(join(dir, name), { force: true });
    else live = true;
  }
  return live;
}

async function inUse(base: string): Promise<boolean> {
  for (const name of await readdir(base).catch(() => [] as string[])) {
    if (
      name.endsWith('.lock') &&
      (await lockfile
        .check(join(base, name), { ...LOCK, lockfilePath: join(base, name) })
        .catch(() => false))
    )
      return true;
    if (name.endsWith('.users') && (await liveUsers(join(base, name)))) return true;
  }
  return false;
}

/** Bytes used by a tree: every inode once (st_blocks, as du counts). */
async function duBytes(path: string, seen = new Set<bigint>()): Promise<number> {
  const st = await stat(path, { bigint: true }).catch(() => undefined);
  if (!st || seen.has(st.ino)) return 0;
  seen.add(st.ino);
  let total = Number(st.blocks) * 512;
  if (st.isDirectory()) {
    for (const e of await readdir(path, { withFileTypes: true })) {
      if (e.isSymbolicLink()) continue;
      total += await duBytes(join(path, e.name), seen);
    }
  }
  return total;
}
