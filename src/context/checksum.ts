/**
 * The content checksum of COPY/ADD sources, for the cache key: what lands in
 * the image, and nothing else.
 *
 * Each entry counts with its path (as named under the tree), its type, its
 * mode bits (permissions and setuid/setgid/sticky, after --chmod), its owner
 * (after --chown: the caller passes what the copy will set), a symlink's
 * target, which files are hardlinks of one another, and a file's content
 * (through the stat cache, so an unchanged file is not read again). Never the
 * mtime, never where the tree is on the host:
 * `touch` keeps the key, `chmod +x` changes it, a fresh clone elsewhere hits.
 *
 * A copied directory's own entry does not count (its contents are copied into
 * a destination made 0755), except under COPY --parents, where it is recreated.
 */
import { createHash } from 'node:crypto';
import type { ModeChange } from '../util/chmod.js';
import type { FileHasher } from './statcache.js';
import type { ResolvedSource, SourceTree } from './sources.js';
import { inodeKey, lstatExisting } from '../util/lstat.js';
import {
  followInRoot,
  hostPath,
  realRoot,
  walkSource,
  type PathMatcher,
  type SourceEntry,
} from './walk.js';

export interface ChecksumOptions {
  /** Owner every copied entry gets (--chown, or 0:0); undefined: each keeps its own (COPY --from). */
  uid: number | undefined;
  gid: number | undefined;
  /** --chmod, applied to files and directories (not symlinks). */
  chmod?: ModeChange;
  /** --exclude patterns, matched under each source. */
  exclude?: PathMatcher;
  hasher: Pick<FileHasher, 'hash'> & Partial<Pick<FileHasher, 'cached'>>;
  signal?: AbortSignal;
}

export interface SourceChecksum {
  /** `sha256:<hex>` over every source and entry, in copy order. */
  digest: string;
  /** Per entry (path as named under the tree): what counts of it, e.g. `file 644 0:0 <sha256 hex>`. */
  files: Map<string, string>;
}

/**
 * @example
 * const sum = await checksumSources(tree, resolveSources(tree, ['src']), { uid: 0, gid: 0, hasher });
 * sum.files.get('src/a.ts') // 'file 644 0:0 9f86d0…'
 */
export async function checksumSources(
  tree: SourceTree,
  sources: readonly ResolvedSource[],
  opts: ChecksumOptions,
): Promise<SourceChecksum> {
  const all = createHash('sha256');
  // Per entry in copy order: its name, and its record once known. An entry is kept
  // only while a read is due for it: a warm context of 10,000 files then keeps
  // 10,000 short strings, not 10,000 lstats, for the garbage collector to copy.
  const names: string[] = [];
  const records: string[] = [];
  const unknown: { i: number; entry: SourceEntry }[] = [];
  const linkOf = new Map<number, string>();
  const heads = new Map<number, string>();
  const add = (name: string, entry: SourceEntry) => {
    const known = knownRecord(entry, opts, heads);
    if (known === undefined) unknown.push({ i: names.length, entry });
    names.push(name);
    records.push(known ?? '');
  };
  for (const src of sources) {
    // Hardlinks stay hardlinks within one source (copy-tree.ts): that counts too.
    const inodes = new Map<string, string>();
    const header = `source\0${src.pattern}\0${src.path}\0${src.keep ?? ''}\0${src.dir}\n`;
    all.update(header);
    // COPY --parents recreates the kept directories above the source with their modes
    // and owners (copy-into.ts keptPath): they count too.
    for (const entry of keptParents(tree, src)) add(entry.rel, entry);
    const walk = walkSource(src.abs, {
      ignore: tree.ignore,
      base: src.real,
      exclude: opts.exclude,
      excludeBase: src.keep,
    });
    for (const entry of walk) {
      if (opts.signal?.aborted) opts.signal.throwIfAborted();
      if (entry.rel === '' && entry.kind === 'dir' && src.keep === undefined) continue;
      const rel = entry.rel;
      const name = rel === '' ? src.path : src.path === '' ? rel : `${src.path}/${rel}`;
      if (entry.kind === 'file' && entry.stat.nlink > 1) {
        const inode = inodeKey(entry.stat);
        const first = inodes.get(inode);
        if (first === undefined) inodes.set(inode, name);
        else linkOf.set(names.length, first);
      }
      add(name, entry);
    }
  }
  // What the stat cache or the entry itself says is known at once; a few workers
  // read the rest (a cold context in parallel). The sum is taken in order.
  let next = 0;
  const worker = async () => {
    while (next < unknown.length) {
      const { i, entry } = unknown[next++]!;
      records[i] = await entryRecord(entry, opts);
    }
  };
  await Promise.all(Array.from({ length: HASH_CONCURRENCY }, worker));
  const files = new Map<string, string>();
  // Hashed in chunks: one update per line costs more than building the lines.
  let chunk = '';
  for (let i = 0; i < names.length; i++) {
    const link = linkOf.get(i);
    const record = link === undefined ? records[i]! : `${records[i]} link=${JSON.stringify(link)}`;
    files.set(names[i]!, record);
    chunk += `${names[i]}\0${record}\n`;
    if (chunk.length > 1 << 16) {
      all.update(chunk);
      chunk = '';
    }
  }
  all.update(chunk);
  return { digest: `sha256:${all.digest('hex')}`, files };
}

/** The directories COPY --parents recreates above `src` (not `src` itself), as entries. */
function keptParents(tree: SourceTree, src: ResolvedSource): SourceEntry[] {
  if (src.keep === undefined) return [];
  const keep = src.keep.split('/').filter((c) => c !== '');
  const named = src.path.split('/').filter((c) => c !== '');
  const pivot = named.slice(0, named.length - keep.length);
  const root = realRoot(tree.root);
  const out: SourceEntry[] = [];
  for (let i = 0; i < keep.length - 1; i++) {
    const comps = [...pivot, ...keep.slice(0, i + 1)];
    const real = followInRoot(root, comps);
    if (real === undefined) continue;
    const abs = hostPath(root, real);
    out.push({ rel: comps.join('/'), abs, kind: 'dir', stat: lstatExisting(abs) });
  }
  return out;
}

/** Files read at once on a cold stat cache. */
const HASH_CONCURRENCY = 16;

/**
 * What counts of one entry, as one line: `file 644 0:0 <sha256 hex>`,
 * `symlink 777 0:0 target`, `dir 755 1000:1000`. Readable, so a cache miss can
 * say what changed; no digest per file, which would cost more than the walk.
 */
export async function entryRecord(e: SourceEntry, opts: ChecksumOptions): Promise<string> {
  if (e.kind === 'file') return `${recordHead(e, opts)} ${await opts.hasher.hash(e.abs, e.stat)}`;
  return knownRecord(e, opts)!;
}

/**
 * entryRecord when it needs no read: anything but a file the stat cache does not
 * know. `heads` remembers record heads by mode, for a caller that asks for
 * thousands of entries with one owner.
 */
function knownRecord(
  e: SourceEntry,
  opts: ChecksumOptions,
  heads?: Map<number, string>,
): string | undefined {
  const head = recordHead(e, opts, heads);
  if (e.kind === 'file') {
    const digest = opts.hasher.cached?.(e.abs, e.stat);
    return digest === undefined ? undefined : `${head} ${digest}`;
  }
  if (e.kind === 'symlink') return `${head} ${JSON.stringify(e.link ?? '')}`;
  if (e.kind === 'char' || e.kind === 'block')
    return `${head} ${e.stat.exact?.rdev ?? e.stat.rdev}`;
  return head;
}

function recordHead(e: SourceEntry, opts: ChecksumOptions, heads?: Map<number, string>): string {
  // The mode's type bits tell the kind apart; with the owner fixed, the mode decides the head.
  const fixedOwner = opts.uid !== undefined && opts.gid !== undefined;
  const full = e.stat.mode;
  const known = fixedOwner ? heads?.get(full) : undefined;
  if (known !== undefined) return known;
  const perm = full & 0o7777;
  // As copy-tree.ts chmodded(): the entry's mode after --chmod.
  const mode =
    e.kind === 'symlink' ? 0o777 : opts.chmod === undefined ? perm : opts.chmod.apply(full);
  const head = `${e.kind} ${mode.toString(8)} ${opts.uid ?? e.stat.uid}:${opts.gid ?? e.stat.gid}`;
  if (fixedOwner) heads?.set(full, head);
  return head;
}
