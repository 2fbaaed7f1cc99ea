/**
 * COPY/ADD, planned: which sources, where they land, with what owner and
 * mode, and the content checksum the cache key needs. Nothing is written to
 * the image here; `copyInto` carries the plan out (only on a cache miss).
 *
 * Docker's destination rules: relative to WORKDIR; a destination ending in
 * '/' (or '.') is a directory; several sources need one ("When using COPY
 * with more than one source file, the destination must be a directory and
 * end with a /", the classic builder's words — BuildKit 20.10 silently let
 * the last source win).
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { DockerfileError, TsbuildError, type Span } from '../../errors.js';
import { parseChmod, type ModeChange } from '../../util/chmod.js';
import { digestHex } from '../../util/digest.js';
import { checksumSources, type SourceChecksum } from '../../context/checksum.js';
import { Dockerignore } from '../../context/dockerignore.js';
import { redactUrl } from '../../context/remote-url.js';
import { resolveSources, type ResolvedSource, type SourceTree } from '../../context/sources.js';
import type { FileHasher } from '../../context/statcache.js';
import type { PathMatcher } from '../../context/walk.js';
import type { AddInstruction, CopyInstruction } from '../../dockerfile/ast.js';
import { resolveChown, type Owner } from './chown.js';
import { download, type Download } from './download.js';

export interface CopyPlan {
  kind: 'COPY' | 'ADD';
  /** The tree local sources come from (the context, or a stage's root for --from). */
  tree: SourceTree;
  sources: ResolvedSource[];
  /** ADD's URLs, already downloaded. */
  downloads: Download[];
  /** ADD's git repositories, fetched: each tree is copied into the destination as a directory is. */
  gits: GitSource[];
  /** Heredoc sources: name and (expanded) body. */
  inline: { name: string; content: string }[];
  /** Absolute, WORKDIR applied. */
  dest: string;
  destIsDir: boolean;
  /** --chown's, or 0:0; undefined: every file keeps its owner in the tree (BuildKit's COPY --from). */
  owner: Owner | undefined;
  /** --chmod, octal or symbolic (util/chmod.ts). */
  chmod: ModeChange | undefined;
  parents: boolean;
  exclude: PathMatcher | undefined;
  /** ADD: extract local tar archives. */
  unpack: boolean;
}

export interface GitSource {
  /** The URL without credentials. */
  url: string;
  commit: string;
  /** The checkout (the fragment's folder of it); `source` is its root. */
  tree: SourceTree;
  source: ResolvedSource;
  keepGitDir: boolean;
}

/** Fetch a git URL's tree (`#ref:folder`) as a git context is fetched: credentials, cache by commit. */
export type GitFetch = (
  url: string,
  keepGitDir: boolean,
) => Promise<{ dir: string; commit: string }>;

export interface PlanOptions {
  tree: SourceTree;
  /** The WORKDIR the instruction runs in. */
  workdir: string;
  /** The destination's rootfs (the parent state), where --chown names are looked up. */
  rootfsForChown: string;
  hasher: Pick<FileHasher, 'hash'>;
  /** A directory private to this build, for downloads. */
  workDir: string;
  /** Shared by the steps of one build, so a URL is downloaded once. */
  downloads?: Map<string, Promise<Download>>;
  /** ADD of a git URL; without it such a source is refused. */
  git?: GitFetch;
  signal?: AbortSignal;
}

const URL_RE = /^https?:\/\//i;

/**
 * @example
 * const { plan, checksum } = await planCopy(ins, { tree, workdir: '/app', rootfsForChown, hasher, workDir });
 * // cache key input: checksum.digest; on a miss: await copyInto(rootfs, plan)
 */
export async function planCopy(
  ins: CopyInstruction | AddInstruction,
  opts: PlanOptions,
): Promise<{ plan: CopyPlan; checksum: SourceChecksum }> {
  const written = ins.sources.map((w) => w.value);
  const urls = ins.kind === 'ADD' ? written.filter(isRemote) : [];
  const local = written.filter((s) => !urls.includes(s));
  const gitCopy = ins.kind === 'COPY' ? written.find(isGit) : undefined;
  if (gitCopy !== undefined)
    throw new TsbuildError(
      'COPY_GIT',
      `source can't be a git ref for COPY: ${redactUrl(gitCopy)} (use ADD)`,
      {
        source: redactUrl(gitCopy),
      },
    );
  const url = ins.kind === 'COPY' ? written.find((s) => URL_RE.test(s)) : undefined;
  if (url !== undefined) {
    throw new TsbuildError('COPY_URL', `source can't be a URL for COPY: ${url} (use ADD)`, {
      source: url,
    });
  }
  if (ins.kind === 'ADD' && ins.checksum !== undefined && (urls.length !== 1 || local.length > 0)) {
    throw new TsbuildError('CHECKSUM_NEEDS_URL', 'ADD --checksum needs exactly one URL source', {});
  }
  const parents = ins.kind === 'COPY' && ins.parents;
  const owner = ins.chown
    ? resolveChown(opts.rootfsForChown, ins.chown, ins.chownSpan)
    : opts.tree.keepOwners === true
      ? undefined
      : { uid: 0, gid: 0 };
  const chmod = ins.chmod === undefined ? undefined : chmodAt(ins.chmod, ins.chmodSpan);
  const exclude =
    ins.exclude.length > 0 ? Dockerignore.parse(ins.exclude.join('\n'), '--exclude') : undefined;
  const sources = resolveSources(opts.tree, local, { parents });
  const raw = ins.dest.value;
  const destIsDir = raw.endsWith('/') || raw === '.' || raw.endsWith('/.') || parents;
  const count = sources.length + urls.length + ins.inline.length;
  if (count > 1 && !destIsDir) {
    throw new TsbuildError(
      'COPY_DEST_NOT_DIR',
      `When using ${ins.kind} with more than one source file, the destination must be a directory and end with a /`,
      { dest: raw },
    );
  }
  // Only once the instruction is known to be good: a download is the slow part.
  const downloads = await Promise.all(
    urls.filter((u) => !isGit(u)).map((u) => fetchOnce(u, ins, opts)),
  );
  const gits =
    ins.kind === 'ADD'
      ? await Promise.all(urls.filter(isGit).map((u) => fetchGit(u, ins, opts)))
      : [];
  const inline = ins.inline.map((h) => ({ name: h.name, content: h.content }));

  const plan: CopyPlan = {
    kind: ins.kind,
    tree: opts.tree,
    sources,
    downloads,
    gits,
    inline,
    dest: posix.resolve(opts.workdir || '/', raw),
    destIsDir,
    owner,
    chmod,
    parents,
    exclude,
    unpack: ins.kind === 'ADD',
  };
  const local_ = await checksumSources(opts.tree, sources, {
    uid: owner?.uid,
    gid: owner?.gid,
    chmod,
    exclude,
    hasher: opts.hasher,
    signal: opts.signal,
  });
  return { plan, checksum: withExtras(local_, plan) };
}

/** Downloads and heredocs join the local sources' checksum. */
function withExtras(sum: SourceChecksum, plan: CopyPlan): SourceChecksum {
  if (plan.downloads.length === 0 && plan.inline.length === 0 && plan.gits.length === 0) return sum;
  const files = new Map(sum.files);
  const all = createHash('sha256').update(`${sum.digest}\n`);
  const add = (key: string, record: string) => {
    files.set(key, record);
    all.update(`${key}\0${record}\n`);
  };
  const { uid, gid } = plan.owner ?? { uid: 0, gid: 0 };
  // A download or heredoc is a regular file of mode m before --chmod.
  const mode = (m: number) => (plan.chmod?.apply(0o100000 | m) ?? m).toString(8);
  // Records read like checksum.ts's: `url 600 0:0 <name> <sha256 hex>`.
  for (const d of plan.downloads) {
    add(d.url, `url ${mode(0o600)} ${uid}:${gid} ${JSON.stringify(d.name)} ${digestHex(d.digest)}`);
  }
  // A commit's tree is the same files wherever and whenever it is fetched: the commit is its content.
  for (const g of plan.gits) {
    const chmod = plan.chmod ? ` ${plan.chmod.text}` : '';
    add(`git ${g.url}`, `git ${g.commit}${g.keepGitDir ? ' .git' : ''} ${uid}:${gid}${chmod}`);
  }
  for (const h of plan.inline) {
    const content = createHash('sha256').update(h.content).digest('hex');
    add(`<<${h.name}`, `inline ${mode(0o644)} ${uid}:${gid} ${content}`);
  }
  return { digest: `sha256:${all.digest('hex')}`, files };
}

async function fetchGit(url: string, ins: AddInstruction, opts: PlanOptions): Promise<GitSource> {
  const shown = redactUrl(url);
  if (opts.git === undefined)
    throw new TsbuildError('ADD_GIT', `ADD ${shown}: this build cannot fetch git repositories`, {
      source: shown,
    });
  // Dockerfile 1.17's `?ref=…&subdir=…` form would reach git as part of the URL.
  if (URL_RE.test(url) && new URL(url).search !== '') {
    const at = ins.sources.find((w) => w.value === url)?.span ?? ins.span;
    throw new DockerfileError(
      'ADD_GIT_QUERY',
      `ADD ${shown}: git URL query parameters (?ref=, ?subdir=, ?keep-git-dir=, ?checksum=) are not supported; write #ref:folder and --keep-git-dir, --checksum`,
      at,
      { data: { source: shown } },
    );
  }
  const { dir, commit } = await opts.git(url, ins.keepGitDir);
  // BuildKit's GitChecksum: the commit the ref resolved to must be the one given (or start with it).
  if (ins.checksum !== undefined && !commit.startsWith(ins.checksum.toLowerCase()))
    throw new TsbuildError(
      'CHECKSUM_MISMATCH',
      `ADD --checksum=${ins.checksum}: ${shown} resolved to commit ${commit}`,
      { source: shown, commit },
    );
  const tree: SourceTree = { root: dir, label: `git ${shown}` };
  return {
    url: shown,
    commit,
    tree,
    source: resolveSources(tree, ['.'])[0]!,
    keepGitDir: ins.keepGitDir,
  };
}

function fetchOnce(
  url: string,
  ins: CopyInstruction | AddInstruction,
  opts: PlanOptions,
): Promise<Download> {
  const checksum = ins.kind === 'ADD' ? ins.checksum : undefined;
  const key = `${url}\0${checksum ?? ''}`;
  let p = opts.downloads?.get(key);
  if (p === undefined) {
    p = download(url, { dir: opts.workDir, checksum, signal: opts.signal });
    opts.downloads?.set(key, p);
  }
  return p;
}

/** --chmod's value, an error at the flag when it is neither octal nor symbolic. */
function chmodAt(value: string, span: Span | undefined): ModeChange {
  try {
    return parseChmod(value);
  } catch (e) {
    if (!(e instanceof TsbuildError) || span === undefined) throw e;
    throw new DockerfileError(e.code, e.message, span, { data: { ...e.data } });
  }
}

function isRemote(src: string): boolean {
  return URL_RE.test(src) || isGit(src);
}

/** Git sources BuildKit's ADD accepts (`#ref:folder` as for a git context). */
function isGit(src: string): boolean {
  if (/^git@|^git:\/\/|^ssh:\/\//.test(src)) return true;
  return URL_RE.test(src) && /\.git\/?$/.test(new URL(src).pathname);
}
