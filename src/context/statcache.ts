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
 *
 * The file's layout is statcache-file.ts's; the JSON of version 1 reads as an
 * empty cache.
 */
import type { BigIntStats } from 'node:fs';
import { createReadStream, lstatSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import {
  decodeStatCache,
  encodeStatCache,
  type StatEntry,
  type StatTable,
} from './statcache-file.js';

/** Entries not used for this long are dropped when the cache is saved. */
const KEEP_DAYS = 30;
/** Files up to this size are read in one call; bigger ones stream. */
const SMALL = 256 * 1024;
const RACY_NS = 100_000_000n;
const DAY_MS = 86_400_000;

/** Whether two lstats of a file agree on everything a change to it moves (ctime above all). */
const sameStamp = (a: BigIntStats, b: BigIntStats): boolean =>
  a.ctimeNs === b.ctimeNs &&
  a.size === b.size &&
  a.mtimeNs === b.mtimeNs &&
  a.ino === b.ino &&
  a.mode === b.mode;

/**
 * The hasher's memory: the file as loaded (a table, no object per entry) and the
 * entries made or changed since, which win over it.
 */
export class FileHasher {
  readonly stats = { hits: 0, misses: 0 };
  private readonly pending = new Map<string, Promise<string>>();
  private readonly today = Math.floor(Date.now() / DAY_MS);
  /** The loaded file's entries by path; an entry made again since is taken out. */
  private readonly index = new Map<string, number>();
  private readonly fresh = new Map<string, StatEntry>();
  private dirty = false;

  private constructor(
    private readonly cacheFile: string | undefined,
    private readonly table: StatTable | undefined,
  ) {
    table?.paths.forEach((path, i) => this.index.set(path, i));
  }

  /**
   * Load the cache kept at `cacheFile` (none: an in-memory cache for this
   * process). A missing, unreadable, corrupt or older-format file is an empty
   * cache, never an error.
   *
   * @example
   * const hasher = await FileHasher.open(join(root, 'context-cache', 'ctx.bin'));
   * const hex = await hasher.hash(abs, await lstat(abs, { bigint: true }));
   * await hasher.save();
   */
  static async open(cacheFile?: string): Promise<FileHasher> {
    let table: StatTable | undefined;
    if (cacheFile !== undefined)
      table = decodeStatCache(await readFile(cacheFile).catch(() => EMPTY));
    return new FileHasher(cacheFile, table);
  }

  /** sha256 hex of a regular file's content; not read when `st` matches the cached entry. */
  hash(abs: string, st: BigIntStats): Promise<string> {
    const known = this.cached(abs, st);
    if (known !== undefined) return Promise.resolve(known);
    const key = `${abs}\0${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}:${st.mode}`;
    let p = this.pending.get(key);
    if (!p) {
      this.stats.misses++;
      p = this.miss(abs, st).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  /**
   * The digest when `st` matches the cached entry, else undefined — without a
   * promise, nor any string but the digest: a warm context of 10,000 files is
   * 10,000 of these in a row.
   */
  cached(abs: string, st: BigIntStats): string | undefined {
    const i = this.index.get(abs);
    if (i !== undefined) {
      if (!this.table!.matches(i, st)) return undefined;
      this.stats.hits++;
      if (this.table!.day(i) !== this.today) {
        this.table!.setDay(i, this.today);
        this.dirty = true;
      }
      return this.table!.digest(i);
    }
    const e = this.fresh.get(abs);
    if (e === undefined || !sameEntry(e, st)) return undefined;
    this.stats.hits++;
    return e.digest;
  }

  /** Write the cache back (atomically) if anything changed; prunes entries unused for KEEP_DAYS. */
  async save(): Promise<void> {
    if (!this.dirty || this.cacheFile === undefined) return;
    const out = new Map<string, StatEntry>();
    for (const [path, i] of this.index) {
      if (this.today - this.table!.day(i) <= KEEP_DAYS) out.set(path, this.table!.entry(i));
    }
    for (const [path, e] of this.fresh) out.set(path, e);
    await mkdir(dirname(this.cacheFile), { recursive: true });
    await writeFileAtomic(this.cacheFile, encodeStatCache(out));
    this.dirty = false;
  }

  private async miss(abs: string, st: BigIntStats): Promise<string> {
    const startedNs = BigInt(Date.now()) * 1_000_000n;
    const digest = await digestFile(abs, st.size);
    // Remember it only if the file is what `st` described all along.
    const after = lstatSync(abs, { bigint: true });
    if (sameStamp(after, st) && startedNs - st.ctimeNs > RACY_NS) {
      this.index.delete(abs);
      this.fresh.set(abs, {
        size: st.size,
        mtimeNs: st.mtimeNs,
        ctimeNs: st.ctimeNs,
        ino: st.ino,
        mode: Number(st.mode),
        digest,
        day: this.today,
      });
      this.dirty = true;
    }
    return digest;
  }
}

const EMPTY = Buffer.alloc(0);

const sameEntry = (e: StatEntry, st: BigIntStats): boolean =>
  e.ctimeNs === st.ctimeNs &&
  e.size === st.size &&
  e.mtimeNs === st.mtimeNs &&
  e.ino === st.ino &&
  e.mode === Number(st.mode);

/**
 * A FileHasher that also remembers what lstat said of every file it was asked
 * about, so that changedSince() can tell which changed afterwards — by ctime,
 * which no write can leave as it was (content could come back the same). The
 * stamps are kept in typed arrays: a warm build asks about every file and
 * almost never needs them.
 */
export class StampWatch implements Pick<FileHasher, 'hash' | 'cached'> {
  /** Path → its slot of 5 words (size, mtimeNs, ctimeNs, ino, mode) in `words`. */
  private readonly slots = new Map<string, number>();
  private words = new BigInt64Array(5 * 1024);

  constructor(private readonly hasher: FileHasher) {}

  hash(abs: string, st: BigIntStats): Promise<string> {
    this.remember(abs, st);
    return this.hasher.hash(abs, st);
  }

  cached(abs: string, st: BigIntStats): string | undefined {
    this.remember(abs, st);
    return this.hasher.cached(abs, st);
  }

  /** The files whose stamp is not what it was when they were hashed (gone ones too): one lstat each. */
  changedSince(): string[] {
    const changed: string[] = [];
    for (const [abs, slot] of this.slots) {
      const now = lstatSync(abs, { bigint: true, throwIfNoEntry: false });
      const w = slot * 5;
      const same =
        now !== undefined &&
        this.words[w] === now.size &&
        this.words[w + 1] === now.mtimeNs &&
        this.words[w + 2] === now.ctimeNs &&
        this.words[w + 3] === now.ino &&
        this.words[w + 4] === now.mode;
      if (!same) changed.push(abs);
    }
    return changed;
  }

  private remember(abs: string, st: BigIntStats): void {
    let slot = this.slots.get(abs);
    if (slot === undefined) {
      slot = this.slots.size;
      this.slots.set(abs, slot);
      if (slot * 5 + 5 > this.words.length) {
        const grown = new BigInt64Array(this.words.length * 2);
        grown.set(this.words);
        this.words = grown;
      }
    }
    const w = slot * 5;
    this.words[w] = st.size;
    this.words[w + 1] = st.mtimeNs;
    this.words[w + 2] = st.ctimeNs;
    this.words[w + 3] = st.ino;
    this.words[w + 4] = st.mode;
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
