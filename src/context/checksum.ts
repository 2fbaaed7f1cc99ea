/**
 * The content checksum of COPY/ADD sources, for the cache key: what lands in
 * the image, and nothing else.
 *
 * Each entry counts with its path (as named under the tree), its type, its
 * mode bits (permissions and setuid/setgid/sticky, after --chmod), its owner
 * (after --chown: the caller passes what the copy will set), a symlink's
 * target and a file's content (through the stat cache, so an unchanged file
 * is not read again). Never the mtime, never where the tree is on the host:
 * `touch` keeps the key, `chmod +x` changes it, a fresh clone elsewhere hits.
 *
 * A copied directory's own entry does not count (its contents are copied into
 * a destination made 0755), except under COPY --parents, where it is recreated.
 */
import { createHash } from 'node:crypto';
import type { FileHasher } from './statcache.js';
import type { ResolvedSource, SourceTree } from './sources.js';
import { walkSource, type PathMatcher, type SourceEntry } from './walk.js';

export interface ChecksumOptions {
  /** Owner every copied entry gets (0:0 without --chown). */
  uid: number;
  gid: number;
  /** --chmod, applied to files and directories (not symlinks). */
  chmod?: number;
  /** --exclude patterns, matched under each source. */
  exclude?: PathMatcher;
  hasher: Pick<FileHasher, 'hash'>;
  signal?: AbortSignal;
}

export interface SourceChecksum {
  /** `sha256:<hex>` over every source and entry, in copy order. */
  digest: string;
  /** Per entry (path as named under the tree): `sha256:<hex>` of what counts of it. */
  files: Map<string, string>;
}

/**
 * @example
 * const sum = await checksumSources(tree, resolveSources(tree, ['src']), { uid: 0, gid: 0, hasher });
 * sum.files.get('src/a.ts') // 'sha256:…'
 */
export async function checksumSources(
  tree: SourceTree,
  sources: readonly ResolvedSource[],
  opts: ChecksumOptions,
): Promise<SourceChecksum> {
  const all = createHash('sha256');
  const files = new Map<string, string>();
  const lines: (string | [string, Promise<string>])[] = [];
  const limit = limiter(HASH_CONCURRENCY);
  for (const src of sources) {
    lines.push(`source\0${src.pattern}\0${src.path}\0${src.keep ?? ''}\0${src.dir}\n`);
    const walk = walkSource(src.abs, {
      ignore: tree.ignore,
      base: src.real,
      exclude: opts.exclude,
      excludeBase: src.keep,
    });
    for (const e of walk) {
      opts.signal?.throwIfAborted();
      if (e.rel === '' && e.kind === 'dir' && src.keep === undefined) continue;
      const name = e.rel === '' ? src.path : src.path === '' ? e.rel : `${src.path}/${e.rel}`;
      const digest = limit(() => entryDigest(e, opts));
      digest.catch(() => undefined); // awaited below, in order; a later failure must not go unhandled
      lines.push([name, digest]);
    }
  }
  // Files are hashed a few at a time (a cold context is read in parallel), then summed in order.
  for (const line of lines) {
    if (typeof line === 'string') {
      all.update(line);
      continue;
    }
    const digest = await line[1];
    files.set(line[0], digest);
    all.update(`${line[0]}\0${digest}\n`);
  }
  return { digest: `sha256:${all.digest('hex')}`, files };
}

/** Files read at once on a cold stat cache. */
const HASH_CONCURRENCY = 16;

/** Run at most `n` of the given tasks at a time. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return (task) =>
    new Promise((resolve, reject) => {
      const start = () => {
        active++;
        task()
          .then(resolve, reject)
          .finally(() => {
            active--;
            queue.shift()?.();
          });
      };
      if (active < n) start();
      else queue.push(start);
    });
}

/** What counts of one entry, as a digest. */
export async function entryDigest(e: SourceEntry, opts: ChecksumOptions): Promise<string> {
  const perm = Number(e.stat.mode) & 0o7777;
  const mode = e.kind === 'symlink' ? 0o777 : (opts.chmod ?? perm);
  let content = '';
  if (e.kind === 'file') content = await opts.hasher.hash(e.abs, e.stat);
  else if (e.kind === 'symlink') content = e.link ?? '';
  else if (e.kind === 'char' || e.kind === 'block') content = String(e.stat.rdev);
  const record = JSON.stringify([e.kind, mode.toString(8), opts.uid, opts.gid, content]);
  return `sha256:${createHash('sha256').update(record).digest('hex')}`;
}
