/**
 * The store's power-loss model (README "Durability"). Nothing on the hot path
 * is fsynced: blobs, snapshots and records are written to temp names and
 * renamed into place, which is all a `kill -9` needs (the page cache keeps
 * what a killed process wrote). A power loss can lose or tear what was not yet
 * written back, so:
 *
 * 1. Before a process first writes to the store, it leaves a marker in
 *    `unsynced/` named by the boot it runs in (/proc/sys/kernel/random/boot_id),
 *    and makes the marker durable (one fsync of that directory).
 * 2. Before a command reports success — before index.json lists an image, at
 *    the end of a build, after a layer is compressed — what it wrote is made
 *    durable, and the marker goes. What a command reported done is on disk.
 *    A command that wrote only files it named (blobs, records: a pull, a push,
 *    a tag) fsyncs those and their directories; one that wrote a snapshot (a
 *    tree of files a step made) or more than MAX_FILES files syncs the whole
 *    file system (`sync -f`, syncfs(2)). syncfs also waits for every other
 *    writer's dirty pages on that file system (a registry on the same disk
 *    receiving the image tsbuild pushes), which is why it is not the default.
 *    A marker whose process ended without that sync (a failed command, a
 *    kill) is settled — one sync, then removed — by the next command that
 *    takes the store's lock.
 * 3. A store opened with a marker of another boot lost power (or crashed)
 *    while a command had unsynced writes. What it may have torn is taken out
 *    before anything reads it: every cache record, blob, layer record and
 *    snapshot changed since the marker was made, except what a listed image
 *    holds (listed only after a sync) — and of that, the snapshots that can be
 *    extracted again. A cache miss then redoes the work; nothing wrong is used.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncDir } from '../util/atomic.js';
import { tempName, tempOwnerAlive } from '../util/temp-owner.js';
import { ResourceError, failingAs } from '../errors.js';

const DIR = 'unsynced';

/** This boot's id: a marker of any other boot outlived a power loss or a crash. */
function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown-boot';
  }
}

/** Past this many named files, one syncfs is cheaper than an fsync each. */
const MAX_FILES = 256;

export class Journal {
  private marked: Promise<string> | undefined;
  /** What to make durable at the next sync: these files, or (undefined) everything. */
  private files: Set<string> | undefined = new Set();

  constructor(private readonly root: string) {}

  /**
   * Called before any write to the store, with the path it writes when it is
   * one file (blobs, records); without for a tree of files (a snapshot). The
   * marker is made once per process until the next sync.
   */
  mark(path?: string): Promise<void> {
    if (path === undefined || this.files === undefined || this.files.size >= MAX_FILES)
      this.files = undefined;
    else this.files.add(path);
    this.marked ??= this.makeMarker().catch((e: unknown) => {
      this.marked = undefined;
      throw e;
    });
    return this.marked.then(() => undefined);
  }

  private async makeMarker(): Promise<string> {
    const dir = join(this.root, DIR);
    const path = join(dir, `${bootId()}_${basename(tempName(dir, 'unsynced'))}`);
    await failingAs({ writing: 'the store journal', to: path }, async () => {
      await mkdir(dir, { recursive: true });
      await writeFile(path, '', { flag: 'wx' });
      await fsyncDir(dir);
    });
    return path;
  }

  /**
   * Markers of this boot whose process is gone (killed, or ended without a
   * sync — a build that failed): their writes are in the page cache, so one
   * sync makes them durable and the markers can go. Done once, with the lock.
   */
  async settleDead(): Promise<void> {
    const dir = join(this.root, DIR);
    const boot = `${bootId()}_`;
    const names = await readdir(dir).catch(() => [] as string[]);
    const dead = names.filter(
      (n) => n.startsWith(boot) && tempOwnerAlive(n.slice(boot.length)) === false,
    );
    if (dead.length === 0) return;
    await syncfs(this.root);
    for (const n of dead) await rm(join(dir, n), { force: true });
  }

  /** Make everything written so far durable, then drop the marker. */
  async sync(): Promise<void> {
    const marked = this.marked;
    if (marked === undefined) return;
    const path = await marked;
    const files = this.files;
    this.files = new Set();
    if (files === undefined) await syncfs(this.root);
    else await fsyncFiles(this.root, files);
    if (this.marked === marked) this.marked = undefined;
    await rm(path, { force: true });
  }
}

/**
 * fsync each file (gone ones skipped: a rollback removed them) and every
 * directory from its parent up to the store's root, so that its name is
 * durable too. A few at a time, on the thread pool.
 */
async function fsyncFiles(root: string, files: Set<string>): Promise<void> {
  const dirs = new Set<string>();
  for (const f of files)
    for (let d = dirname(f); d.startsWith(root) && !dirs.has(d); d = dirname(d)) {
      dirs.add(d);
      if (d === root) break;
    }
  const all = [...files, ...dirs];
  const one = async (p: string) => {
    const fh = await open(p, 'r').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (fh === undefined) return;
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  };
  await failingAs({ writing: 'the store (fsync)', to: root }, async () => {
    for (let i = 0; i < all.length; i += 8) await Promise.all(all.slice(i, i + 8).map(one));
  });
}

/** syncfs(2) on the store's file system, through coreutils' `sync -f` (Node has no binding). */
function syncfs(root: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/sync', ['-f', root], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new ResourceError(
            'IO_ERROR',
            `cannot sync the store at ${root}: ${err.trim() || `sync exited ${code}`}`,
            { path: root },
            undefined,
          ),
        );
    });
  });
}

/** Markers another boot left: the time the oldest was made, or undefined. */
export async function foreignMarkers(
  root: string,
): Promise<{ names: string[]; since: number } | undefined> {
  const dir = join(root, DIR);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  const boot = bootId();
  const foreign = names.filter((n) => !n.startsWith(`${boot}_`));
  if (foreign.length === 0) return undefined;
  let since = Infinity;
  for (const n of foreign) {
    const st = await stat(join(dir, n)).catch(() => undefined);
    since = Math.min(since, st?.mtimeMs ?? 0);
  }
  return { names: foreign, since: since === Infinity ? 0 : since };
}

/** Drop the markers `recover` has dealt with, durably. */
export async function dropMarkers(root: string, names: string[]): Promise<void> {
  const dir = join(root, DIR);
  for (const n of names) await rm(join(dir, n), { force: true });
  await fsyncDir(dir);
}
