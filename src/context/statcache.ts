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
import { createReadStream, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { lstatExisting, lstatFile, nanoseconds, type FileStat } from '../util/lstat.js';
import {
  decodeStatCache,
  encodeStatCache,
  sameStamp,
  stampOf,
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
function sameFile(a: FileStat, b: FileStat): boolean {
  if (a.exact !== undefined || b.exact !== undefined) return sameStamp(stampOf(a), stampOf(b));
  return (
    a.ctimeSec === b.ctimeSec &&
    a.ctimeNsec === b.ctimeNsec &&
    a.size === b.size &&
    a.mtimeSec === b.mtimeSec &&
    a.mtimeNsec === b.mtimeNsec &&
    a.ino === b.ino &&
    a.mode === b.mode
  );
}

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
   * const hex = await hasher.hash(abs, lstatExisting(abs));
   * await hasher.save();
   */
  static async open(cacheFile?: string): Promise<FileHasher> {
    let table: StatTable | undefined;
    if (cacheFile !== undefined)
      table = decodeStatCache(await readFile(cacheFile).catch(() => EMPTY));
    return new FileHasher(cacheFile, table);
  }

  /** sha256 hex of a regular file's content; not read when `st` matches the cached entry. */
  hash(abs: string, st: FileStat): Promise<string> {
    const known = this.cached(abs, st);
    if (known !== undefined) return Promise.resolve(known);
    const { size, mtimeNs, ctimeNs, ino, mode } = stampOf(st);
    const key = `${abs}\0${size}:${mtimeNs}:${ctimeNs}:${ino}:${mode}`;
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
  cached(abs: string, st: FileStat): string | undefined {
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
    if (e === undefined || !sameStamp(e, stampOf(st))) return undefined;
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

  private async miss(abs: string, st: FileStat): Promise<string> {
    const startedNs = BigInt(Date.now()) * 1_000_000n;
    const digest = await digestFile(abs, st.size);
    // Remember it only if the file is what `st` described all along.
    const after = lstatExisting(abs);
    const ctimeNs = nanoseconds(st.ctimeSec, st.ctimeNsec);
    if (sameFile(after, st) && startedNs - ctimeNs > RACY_NS) {
      this.index.delete(abs);
      this.fresh.set(abs, { ...stampOf(st), digest, day: this.today });
      this.dirty = true;
    }
    return digest;
  }
}

const EMPTY = Buffer.alloc(0);

/** Numbers per file in StampWatch's array. */
const SLOT = 7;

/**
 * A FileHasher that also remembers what lstat said of every file it was asked
 * about, so that changedSince() can tell which changed afterwards — by ctime,
 * which no write can leave as it was (content could come back the same). The
 * stamps are kept in a typed array, not as objects the garbage collector
 * would copy: a warm build asks about every file and almost never needs them.
 */
export class StampWatch implements Pick<FileHasher, 'hash' | 'cached'> {
  /** Path → its slot of SLOT numbers in `words`: size, mtime s/ns, ctime s/ns, ino, mode. */
  private readonly slots = new Map<string, number>();
  private words = new Float64Array(SLOT * 1024);
  /** The few files lstat gave values past 2^53 (FileStat.exact): their whole lstat. */
  private readonly wide = new Map<string, FileStat>();

  constructor(private readonly hasher: FileHasher) {}

  hash(abs: string, st: FileStat): Promise<string> {
    this.remember(abs, st);
    return this.hasher.hash(abs, st);
  }

  cached(abs: string, st: FileStat): string | undefined {
    this.remember(abs, st);
    return this.hasher.cached(abs, st);
  }

  /** The files whose stamp is not what it was when they were hashed (gone ones too): one lstat each. */
  changedSince(): string[] {
    const changed: string[] = [];
    for (const [abs, slot] of this.slots) {
      const now = lstatFile(abs);
      const then = this.wide.get(abs);
      const w = slot * SLOT;
      const v = this.words;
      const same =
        now !== undefined &&
        (then !== undefined || now.exact !== undefined
          ? then !== undefined && sameFile(now, then)
          : v[w] === now.size &&
            v[w + 1] === now.mtimeSec &&
            v[w + 2] === now.mtimeNsec &&
            v[w + 3] === now.ctimeSec &&
            v[w + 4] === now.ctimeNsec &&
            v[w + 5] === now.ino &&
            v[w + 6] === now.mode);
      if (!same) changed.push(abs);
    }
    return changed;
  }

  private remember(abs: string, st: FileStat): void {
    let slot = this.slots.get(abs);
    if (slot === undefined) {
      slot = this.slots.size;
      this.slots.set(abs, slot);
      if (slot * SLOT + SLOT > this.words.length) {
        const grown = new Float64Array(this.words.length * 2);
        grown.set(this.words);
        this.words = grown;
      }
    }
    if (st.exact !== undefined) this.wide.set(abs, st);
    else this.wide.delete(abs);
    const w = slot * SLOT;
    const v = this.words;
    v[w] = st.size;
    v[w + 1] = st.mtimeSec;
    v[w + 2] = st.mtimeNsec;
    v[w + 3] = st.ctimeSec;
    v[w + 4] = st.ctimeNsec;
    v[w + 5] = st.ino;
    v[w + 6] = st.mode;
  }
}

async function digestFile(abs: string, size: number): Promise<string> {
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
