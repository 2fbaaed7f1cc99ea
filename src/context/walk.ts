/**
 * Reading a source tree (the build context, or a stage's root for COPY --from)
 * the way BuildKit sees it: paths resolved with symlinks followed *inside* the
 * tree only, and the entries under a source walked in a fixed order with
 * .dockerignore and --exclude applied.
 *
 * `COPY link/x /dst` with `link -> /etc` reads `<root>/etc/x`, never the
 * host's /etc: an absolute target restarts at the root and `..` stops at it,
 * as containerd's fs.RootPath does. Symlinks *inside* a copied directory are
 * not followed: they are copied as symlinks.
 */
import { readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { TsbuildError } from '../errors.js';
import { fileType, lstatExisting, lstatFile, type FileStat } from '../util/lstat.js';
import type { Dockerignore } from './dockerignore.js';

/** Linux's MAXSYMLINKS. */
const MAX_LINKS = 40;

/** The part of .dockerignore's Dockerignore the walk needs (--exclude uses the same matcher). */
export type PathMatcher = Pick<Dockerignore, 'matches' | 'mayIncludeUnder'>;

export type EntryKind = 'file' | 'dir' | 'symlink' | 'char' | 'block';

export interface SourceEntry {
  /** Path under the walked source, '/'-separated; '' for the source itself. */
  rel: string;
  /** Host path of the entry. */
  abs: string;
  kind: EntryKind;
  stat: FileStat;
  /** A symlink's target, as stored. */
  link?: string;
}

/**
 * The components of `path` under `root` with every symlink followed inside the
 * root; undefined when some component does not exist (or is not a directory).
 *
 * @example
 * followInRoot('/ctx', 'dlink/c') // dlink -> d ⇒ ['d', 'c']
 */
export function followInRoot(root: string, comps: readonly string[]): string[] | undefined {
  const done: string[] = [];
  const todo = [...comps];
  let links = 0;
  for (let c = todo.shift(); c !== undefined; c = todo.shift()) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      done.pop(); // '..' of the root is the root, as in a chroot
      continue;
    }
    const host = hostPath(root, [...done, c]);
    const st = lstatFile(host);
    if (st === undefined) return undefined;
    const type = fileType(st);
    if (type === 'symlink') {
      if (++links > MAX_LINKS) {
        throw new TsbuildError(
          'SOURCE_LOOP',
          `too many levels of symbolic links in ${comps.join('/')}`,
          {
            source: comps.join('/'),
          },
        );
      }
      const target = readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/'));
      continue;
    }
    if (todo.length > 0 && type !== 'dir') return undefined;
    done.push(c);
  }
  return done;
}

/** The tree's root as a real path: symlinks in the root's own path are the caller's business. */
export function realRoot(root: string): string {
  return realpathSync(root);
}

export function hostPath(root: string, comps: readonly string[]): string {
  return comps.length === 0 ? root : `${root}/${comps.join('/')}`;
}

export interface WalkOptions {
  /** .dockerignore, matched against paths under the tree root. */
  ignore?: PathMatcher;
  /** Where the walked source is under the tree root ('' for the root), for `ignore`. */
  base: string;
  /** --exclude, matched against paths under the walked source (BuildKit's rule). */
  exclude?: PathMatcher;
  /**
   * Where --exclude paths start: '' (the source itself), or for COPY --parents the
   * source's kept path, since BuildKit then copies from the root (or pivot) with the
   * source as an include pattern. The source itself is then matched too.
   */
  excludeBase?: string;
}

/**
 * `abs` and everything under it, depth first, a directory before its contents,
 * names in bytewise order. An ignored or excluded directory is entered only
 * when an exception may re-include something under it, and is yielded only
 * once something under it is. Sockets and named pipes are left out, as BuildKit
 * 20.10's COPY leaves them (conformance case copy-from-links-and-modes).
 */
export function* walkSource(abs: string, opts: WalkOptions): Generator<SourceEntry> {
  const top = classify(abs, '');
  if (top === undefined) return;
  const base = opts.excludeBase ?? '';
  if (base !== '' && opts.exclude?.matches(base).excluded) {
    if (top.kind !== 'dir' || !opts.exclude.mayIncludeUnder(base)) return;
  }
  yield top;
  if (top.kind === 'dir') yield* walkDir(abs, '', opts, []);
}

function* walkDir(
  dir: string,
  rel: string,
  opts: WalkOptions,
  pending: SourceEntry[],
): Generator<SourceEntry> {
  const names = sortNames(readdirSync(dir));
  for (const name of names) {
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const entry = classify(`${dir}/${name}`, childRel);
    if (entry === undefined) continue;
    const verdict = filter(entry, opts);
    if (verdict === 'skip') continue;
    if (verdict === 'keep') {
      if (pending.length > 0) yield* pending.splice(0);
      yield entry;
      if (entry.kind === 'dir') yield* walkDir(entry.abs, childRel, opts, pending);
    } else {
      // Excluded, but an exception may match below: yield it only if something under it is kept.
      pending.push(entry);
      yield* walkDir(entry.abs, childRel, opts, pending);
      if (pending[pending.length - 1] === entry) pending.pop();
    }
  }
}

/** .dockerignore (under the tree root), then --exclude (under the source); this runs once per entry. */
function filter(e: SourceEntry, opts: WalkOptions): 'keep' | 'skip' | 'maybe' {
  const ignored =
    opts.ignore === undefined
      ? 'keep'
      : verdict(e, opts.ignore, opts.base === '' ? e.rel : `${opts.base}/${e.rel}`);
  if (ignored === 'skip' || opts.exclude === undefined) return ignored;
  const excluded = verdict(
    e,
    opts.exclude,
    opts.excludeBase ? `${opts.excludeBase}/${e.rel}` : e.rel,
  );
  return excluded === 'keep' ? ignored : excluded;
}

function verdict(e: SourceEntry, m: PathMatcher, path: string): 'keep' | 'skip' | 'maybe' {
  if (!m.matches(path).excluded) return 'keep';
  return e.kind === 'dir' && m.mayIncludeUnder(path) ? 'maybe' : 'skip';
}

function classify(abs: string, rel: string): SourceEntry | undefined {
  const stat = lstatExisting(abs);
  const kind = fileType(stat);
  if (kind === undefined || kind === 'fifo' || kind === 'socket') return undefined;
  const entry: SourceEntry = { rel, abs, kind, stat };
  if (kind === 'symlink') entry.link = readlinkSync(abs);
  return entry;
}

/** Surrogates: the only UTF-16 units whose order differs from UTF-8's byte order. */
const SURROGATE = /[\ud800-\udfff]/;

/**
 * Names in Go's order: by UTF-8 bytes. JavaScript compares UTF-16 units, which
 * agrees except around surrogate pairs, so only names with one pay for bytes.
 */
export function sortNames(names: string[]): string[] {
  if (!names.some((n) => SURROGATE.test(n))) return names.sort();
  return names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}
