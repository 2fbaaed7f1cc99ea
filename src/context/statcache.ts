/**
 * Content digests of context files, remembered by what `lstat` says about
 * them, so a warm rebuild of an unchanged 10,000-file context reads no file.
 *
 * An entry is trusted while (path, size, mtime, ctime, inode, mode) are all
 * unchanged. ctime is what makes this safe: the kernel sets it on every write,
 * chmod, chown or rename and no user can set it back, so a file rewritten to
 * the same size with its mtime restored (`touch -d`) still misses. `touch` on
 * its own misses too and is re-read, giving the same digest.
 *
 * One race remains, git's "racily clean" file: timestamps tick coarsely (a few
 * ms), so a write landing in the same tick as the ctime we saw, after we read
 * the file, would leave every field as it was. A file whose ctime is less than
 * RACY_NS before we started reading it is therefore hashed but not remembered.
 */
import type { BigIntStats } from 'node:fs';
import { createReadStream, lstatSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';

/** Bump when the file's shape or the stamp changes; an older file is then ignored. */
const VERSION = 1;
/** Entries not used for this long are dropped when the cache is saved. */
const KEEP_DAYS = 30;
/** Files up to this size are read in one call; bigger ones stream. */
const SMALL = 256 * 1024;
const RACY_NS = 100_000_000n;
const DAY_MS = 86_400_000;

interface Entry {
  stamp: string;
  digest: string;
  /** Day (since the epoch) it was last used, for pruning. */
  day: number;
}

type Stored = [stamp: string, digest: string, day: number];

/** What a file's lstat says that any change to it moves (ctime above all). */
export const stampOf = (st: BigIntStats): string =>
  `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}:${st.mode}`;

export class FileHasher {
  readonly stats = { hits: 0, misses: 0 };
  private readonly used = new Set<string>();
  private readonly pending = new Map<string, Promise<string>>();
  private readonly today = Math.floor(Date.now() / DAY_MS);
  private dirty = false;

  private constructor(
    private readonly cacheFile: string | undefined,
    private readonly entries: Map<string, Entry>,
  ) {}

  /**
   * Load the cache kept at `cacheFile` (none: an in-memory cache for this
   * process). A missing, unreadable or corrupt file is an empty cache, never an error.
   *
   * @example
   * const hasher = await FileHasher.open(join(root, 'statcache.json'));
   * const hex = await hasher.hash(abs, await lstat(abs, { bigint: true }));
   * await hasher.save();
   */
  static async open(cacheFile?: string): Promise<FileHasher> {
    const entries = new Map<string, Entry>();
    if (cacheFile !== undefined) {
      try {
        load(JSON.parse(await readFile(cacheFile, 'utf8')), entries);
      } catch {
        entries.clear();
      }
    }
    return new FileHasher(cacheFile, entries);
  }

  /** sha256 hex of a regular file's content; not read when `st` matches the cached entry. */
  hash(abs: string, st: BigIntStats): Promise<string> {
    const known = this.cached(abs, st);
    if (known !== undefined) return Promise.resolve(known);
    const stamp = stampOf(st);
    const key = `${abs}\0${stamp}`;
    let p = this.pending.get(key);
    if (!p) {
      this.stats.misses++;
      p = this.miss(abs, st, stamp).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  /**
   * The digest when `st` matches the cached entry, else undefined — without a
   * promise: a warm context of 10,000 files is 10,000 of these in a row.
   */
  cached(abs: string, st: BigIntStats): string | undefined {
    const e = this.entries.get(abs);
    this.used.add(abs);
    if (e === undefined || e.stamp !== stampOf(st)) return undefined;
    this.stats.hits++;
    if (e.day !== this.today) {
      e.day = this.today;
      this.dirty = true;
    }
    return e.digest;
  }

  /** Write the cache back (atomically) if anything changed; prunes entries unused for KEEP_DAYS. */
  async save(): Promise<void> {
    if (!this.dirty || this.cacheFile === undefined) return;
    const out: Record<string, Stored> = {};
    for (const [path, e] of this.entries) {
      if (this.used.has(path) || this.today - e.day <= KEEP_DAYS)
        out[path] = [e.stamp, e.digest, e.day];
    }
    await mkdir(dirname(this.cacheFile), { recursive: true });
    await writeFileAtomic(this.cacheFile, JSON.stringify({ v: VERSION, entries: out }));
    this.dirty = false;
  }

  private async miss(abs: string, st: BigIntStats, stamp: string): Promise<string> {
    const startedNs = BigInt(Date.now()) * 1_000_000n;
    const digest = await digestFile(abs, st.size);
    // Remember it only if the file is what `st` described all along.
    const after = lstatSync(abs, { bigint: true });
    if (stampOf(after) === stamp && startedNs - st.ctimeNs > RACY_NS) {
      this.entries.set(abs, { stamp, digest, day: this.today });
      this.dirty = true;
    }
    return digest;
  }
}

/**
 * A FileHasher that also remembers the stamp of every file it was asked about,
 * so that changedSince() can tell which changed afterwards — by ctime, which no
 * write can leave as it was (content could come back the same).
 */
export class StampWatch implements Pick<FileHasher, 'hash' | 'cached'> {
  private readonly stamps = new Map<string, string>();

  constructor(private readonly hasher: FileHasher) {}

  hash(abs: string, st: BigIntStats): Promise<string> {
    this.stamps.set(abs, stampOf(st));
    return this.hasher.hash(abs, st);
  }

  cached(abs: string, st: BigIntStats): string | undefined {
    this.stamps.set(abs, stampOf(st));
    return this.hasher.cached(abs, st);
  }

  /** The files whose stamp is not what it was when they were hashed (gone ones too): one lstat each. */
  changedSince(): string[] {
    const changed: string[] = [];
    for (const [abs, stamp] of this.stamps) {
      const now = lstatSync(abs, { bigint: true, throwIfNoEntry: false });
      if (now === undefined || stampOf(now) !== stamp) changed.push(abs);
    }
    return changed;
  }
}

async function digestFile(abs: string, size: bigint): Promise<string> {
  const h = createHash('sha256');
  if (size <= SMALL) {
    // Synchronously: for small files the thread pool round trip costs more than the read.
    h.update(readFileSync(abs));
  } else {
    for await (const chunk of createReadStream(abs, { highWaterMark: 1 << 20 }))
      h.update(chunk as Buffer);
  }
  return h.digest('hex');
}

function load(data: unknown, into: Map<string, Entry>): void {
  const d = data as { v?: unknown; entries?: unknown };
  if (d?.v !== VERSION || typeof d.entries !== 'object' || d.entries === null) return;
  for (const [path, v] of Object.entries(d.entries as Record<string, unknown>)) {
    if (!Array.isArray(v) || v.length !== 3) continue;
    const [stamp, digest, day] = v as unknown[];
    if (typeof stamp !== 'string' || typeof day !== 'number') continue;
    if (typeof digest !== 'string' || digest.length !== 64) continue;
    into.set(path, { stamp, digest, day });
  }
}
