/**
 * COPY a dir/*.txt /dst — which files of a tree each source names, with
 * BuildKit's rules:
 *
 * - A leading '/' means the tree's root; a `..` that would climb above the
 *   root is an error (SOURCE_ESCAPES), never a way out.
 * - The path is resolved following symlinks inside the root only (walk.ts).
 * - Wildcards are Go's filepath.Match, one path segment at a time: `*` never
 *   crosses a '/'. The part before the first wildcard is resolved like a plain
 *   path; below it, symlinked directories are not entered (filepath.Walk).
 *   A wildcard that matches nothing copies nothing; one that matches a
 *   dangling symlink is an error, as in BuildKit.
 * - A missing plain path is SOURCE_NOT_FOUND naming it, and, when
 *   .dockerignore hid it, the pattern and line that did.
 * - Files .dockerignore excludes are not in the tree at all, as they are not
 *   in the context Docker sends; `!` exceptions bring them back.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { TsbuildError } from '../errors.js';
import { followInRoot, hostPath, realRoot, sortNames, type PathMatcher } from './walk.js';

export interface SourceTree {
  root: string;
  /** .dockerignore (a Dockerignore): what it excludes is not in the tree. */
  ignore?: PathMatcher;
  /** 'context' or e.g. 'stage build', for messages. */
  label: string;
  /**
   * Whether copies keep the owners files have here (when there is no --chown).
   * BuildKit keeps them for a stage's or image's files (COPY --from), while a
   * context's arrive as 0:0 (Docker 20.10 confirmed). Default: not kept.
   */
  keepOwners?: boolean;
}

export interface ResolvedSource {
  /** The source as written. */
  pattern: string;
  /** The match as named under the root (before its own symlink is followed); '' is the root. */
  path: string;
  /** The real path under the root it resolves to; '' is the root. */
  real: string;
  /** Host path of `real`. */
  abs: string;
  dir: boolean;
  /**
   * COPY --parents: the path the match keeps under the destination (relative to
   * the root, or to the pivot written as `/./`, as BuildKit does).
   */
  keep?: string;
}

export interface ResolveOptions {
  parents?: boolean;
}

/**
 * The matches of `patterns` in `tree`, in the order written, each pattern's
 * matches in bytewise name order.
 *
 * @example
 * resolveSources({ root: '/ctx', label: 'context' }, ['src/*.ts', '/README.md'])
 * // [{ pattern: 'src/*.ts', path: 'src/a.ts', … }, { pattern: '/README.md', path: 'README.md', … }]
 */
export function resolveSources(
  tree: SourceTree,
  patterns: readonly string[],
  opts: ResolveOptions = {},
): ResolvedSource[] {
  const root = realRoot(tree.root);
  const out: ResolvedSource[] = [];
  for (const pattern of patterns) {
    const { comps, pivot } = cleanSource(pattern, tree.label, opts.parents === true);
    const split = comps.findIndex(hasWildcards);
    const paths = split < 0 ? [comps] : expand(tree, root, comps, split);
    if (split < 0) ensureVisible(tree, root, pattern, comps);
    for (const named of paths) {
      const real = followInRoot(root, named);
      if (real === undefined) throw danglingMatch(tree, pattern, named.join('/'));
      // A wildcard match that is a symlink to an ignored file must not bring it in
      // (Docker 20.10: `"/secret.env" not found`): the target is not in the context.
      if (split >= 0) ensureVisible(tree, root, `/${real.join('/')}`, real);
      const abs = hostPath(root, real);
      const match: ResolvedSource = {
        pattern,
        path: named.join('/'),
        real: real.join('/'),
        abs,
        dir: lstatSync(abs).isDirectory(),
      };
      if (opts.parents) match.keep = named.slice(pivot).join('/');
      out.push(match);
    }
  }
  return out;
}

/** Components of a source under the root; `..` above the root is refused. */
function cleanSource(
  pattern: string,
  label: string,
  parents: boolean,
): { comps: string[]; pivot: number } {
  const comps: string[] = [];
  let pivot = 0;
  const parts = pattern.split('/');
  for (let i = 0; i < parts.length; i++) {
    const c = parts[i]!;
    if (c === '.' && parents && i > 0 && i < parts.length - 1) pivot = comps.length;
    if (c === '' || c === '.') continue;
    if (c !== '..') comps.push(c);
    else if (comps.pop() === undefined) {
      throw new TsbuildError(
        'SOURCE_ESCAPES',
        `source ${JSON.stringify(pattern)} is outside the ${label}: ".." cannot leave it`,
        { source: pattern, label },
      );
    }
  }
  return { comps, pivot: Math.min(pivot, comps.length) };
}

/** A plain source must exist, and not be hidden by .dockerignore. */
function ensureVisible(tree: SourceTree, root: string, pattern: string, comps: string[]): void {
  const real = followInRoot(root, comps);
  const hidden = [comps.join('/'), real?.join('/')]
    .filter((p): p is string => p !== undefined && p !== '')
    .map((p) => ({ p, m: tree.ignore?.matches(p) }))
    .find(({ p, m }) => m?.excluded && !(isDir(root, p) && tree.ignore?.mayIncludeUnder(p)));
  if (real !== undefined && hidden === undefined) return;
  const data: Record<string, unknown> = { source: pattern, label: tree.label };
  let message = `${JSON.stringify(pattern)} not found in the ${tree.label}`;
  if (hidden?.m) {
    const { pattern: rule, line } = hidden.m;
    Object.assign(data, { ignorePattern: rule, ignoreLine: line });
    message += `: excluded by .dockerignore${line === undefined ? '' : ` line ${line}`}`;
    if (rule !== undefined) message += ` (${JSON.stringify(rule)})`;
  }
  throw new TsbuildError('SOURCE_NOT_FOUND', message, data);
}

/** BuildKit fails on a wildcard match it cannot follow (Docker 20.10 confirmed: `"/nowhere" not found`). */
function danglingMatch(tree: SourceTree, pattern: string, path: string): TsbuildError {
  return new TsbuildError(
    'SOURCE_NOT_FOUND',
    `${JSON.stringify(path)} (matched by ${JSON.stringify(pattern)}) is a symlink to nothing in the ${tree.label}`,
    { source: pattern, path, label: tree.label },
  );
}

function isDir(root: string, rel: string): boolean {
  return (
    lstatSync(hostPath(root, rel.split('/')), { throwIfNoEntry: false })?.isDirectory() ?? false
  );
}

/**
 * The paths a wildcard pattern matches: the plain prefix resolved through
 * symlinks, then each later segment matched against directory listings.
 */
function expand(tree: SourceTree, root: string, comps: string[], split: number): string[][] {
  const prefix = followInRoot(root, comps.slice(0, split));
  if (prefix === undefined) return [];
  let found: string[][] = [prefix];
  for (let i = split; i < comps.length; i++) {
    const re = goMatcher(comps[i]!, comps.join('/'));
    const last = i === comps.length - 1;
    const next: string[][] = [];
    for (const dir of found) {
      const host = hostPath(root, dir);
      if (!lstatSync(host).isDirectory()) continue;
      for (const name of sortNames(readdirSync(host))) {
        if (!re.test(name)) continue;
        const path = [...dir, name];
        if (!visible(tree, root, path.join('/'))) continue;
        if (!last && !lstatSync(hostPath(root, path)).isDirectory()) continue;
        next.push(path);
      }
    }
    found = next;
  }
  // Named as written: the resolved prefix stands for the written one.
  return found.map((p) => [...comps.slice(0, split), ...p.slice(prefix.length)]);
}

function visible(tree: SourceTree, root: string, rel: string): boolean {
  const ig = tree.ignore;
  if (ig === undefined || !ig.matches(rel).excluded) return true;
  return isDir(root, rel) && ig.mayIncludeUnder(rel);
}

/** Go's containsWildcards: `*`, `?` or `[` not escaped by a backslash. */
export function hasWildcards(segment: string): boolean {
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i];
    if (ch === '\\') i++;
    else if (ch === '*' || ch === '?' || ch === '[') return true;
  }
  return false;
}

/**
 * One segment of a Go filepath.Match pattern as a RegExp: `*`, `?`, `[a-z]`,
 * `[^a-z]`, `\x`. A malformed pattern is Go's ErrBadPattern: SOURCE_BAD_PATTERN.
 *
 * @example
 * goMatcher('we[[]ird', 'we[[]ird').test('we[ird') // true
 */
export function goMatcher(segment: string, pattern: string): RegExp {
  const bad = () =>
    new TsbuildError('SOURCE_BAD_PATTERN', `syntax error in pattern ${JSON.stringify(pattern)}`, {
      source: pattern,
    });
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\') {
      if (++i >= segment.length) throw bad();
      re += escapeRe(segment[i]!);
    } else if (ch === '[') {
      const [cls, end] = charClass(segment, i + 1, bad);
      re += cls;
      i = end;
    } else re += escapeRe(ch);
  }
  return new RegExp(`^${re}$`, 'u');
}

/** A `[...]` class starting after '['; returns the RegExp class and the index of its ']'. */
function charClass(s: string, start: number, bad: () => Error): [string, number] {
  let i = start;
  let out = '[';
  if (s[i] === '^') {
    out += '^';
    i++;
  }
  let first = true;
  for (;;) {
    if (i >= s.length) throw bad();
    if (s[i] === ']' && !first) break;
    first = false;
    const lo = classChar(s, i, bad);
    i = lo.next;
    if (s[i] === '-') {
      const hi = classChar(s, i + 1, bad);
      if (hi.ch < lo.ch) throw bad();
      out += `${escapeClass(lo.ch)}-${escapeClass(hi.ch)}`;
      i = hi.next;
    } else out += escapeClass(lo.ch);
  }
  return [`${out}]`, i];
}

function classChar(s: string, i: number, bad: () => Error): { ch: string; next: number } {
  let ch = s[i];
  if (ch === undefined || ch === '-' || ch === ']') throw bad();
  if (ch === '\\') {
    ch = s[++i];
    if (ch === undefined) throw bad();
  }
  return { ch, next: i + 1 };
}

const escapeRe = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const escapeClass = (c: string) => c.replace(/[\\\]^-]/g, '\\$&');
