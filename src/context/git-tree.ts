/**
 * A commit's tree written out of the objects, with its submodules (git.ts says
 * why this way: modes, symlinks last, commit-time mtimes, confinement).
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { TsbuildError } from '../errors.js';
import { sameOrigin } from '../util/net.js';
import { checkInsecure, parseGitUrl, type GitSpec } from './git-url.js';
import { redactUrl } from './remote-url.js';
import { accessFor, fetchCommit, type Access, type GitContextOptions } from './git-remote.js';
import { eachConcurrently } from '../util/concurrent.js';

/** Submodules inside submodules inside … — a loop in .gitmodules ends here. */
const MAX_SUBMODULE_DEPTH = 8;

interface GitLink {
  path: string;
  oid: string;
}

/**
 * What the whole checkout does last: symlinks only once every submodule is in
 * (so no write of ours can pass through one), then directory times, deepest
 * first (writing into a directory moves its mtime).
 */
interface Finish {
  symlinks: { path: string; target: string; time: number }[];
  dirs: { path: string; time: number }[];
}

/** Commit `oid`'s tree, its submodules' and its symlinks, under `dest`. */
export async function writeRoot(
  gitdir: string,
  oid: string,
  dest: string,
  access: Access,
  opts: GitContextOptions,
): Promise<void> {
  const finish: Finish = { symlinks: [], dirs: [] };
  await writeCommit(gitdir, oid, dest, access, opts, 0, finish);
  for (const l of finish.symlinks) {
    fs.symlinkSync(l.target, l.path);
    fs.lutimesSync(l.path, l.time, l.time);
  }
  for (const d of finish.dirs.reverse()) fs.utimesSync(d.path, d.time, d.time);
}

async function writeCommit(
  gitdir: string,
  oid: string,
  dest: string,
  access: Access,
  opts: GitContextOptions,
  depth: number,
  finish: Finish,
): Promise<void> {
  const cache = {};
  const { commit } = await git.readCommit({ fs, gitdir, oid, cache });
  const time = commit.committer.timestamp;
  const links: GitLink[] = [];
  const repoFs = readOnlyRepoFs(gitdir);
  await writeTree(gitdir, commit.tree, dest, {
    ...{ fs: repoFs, cache, time, links, blobs: [], opts, finish },
  });
  if (links.length === 0) return;
  const modules = await gitmodules(gitdir, commit.tree, cache);
  for (const link of links) {
    const url = modules.get(link.path);
    const fail = (why: string) =>
      new TsbuildError('GIT_SUBMODULE', `${access.shown}: submodule ${link.path}: ${why}`, {
        url: access.shown,
        path: link.path,
      });
    if (url === undefined) throw fail('no URL in .gitmodules');
    if (depth >= MAX_SUBMODULE_DEPTH)
      throw fail(`submodules nest deeper than ${MAX_SUBMODULE_DEPTH}`);
    const subUrl = resolveSubmoduleUrl(access.url, url);
    let spec: GitSpec;
    try {
      spec = parseGitUrl(subUrl);
    } catch (e) {
      throw fail((e as Error).message);
    }
    if (!/^(https?|git|ssh):\/\//.test(spec.remote) && !spec.remote.startsWith('git@'))
      throw fail(`${redactUrl(url)} is not a URL tsbuild fetches (https, http, git, ssh)`);
    checkInsecure(spec.remote, opts.allowInsecureHttp ?? false);
    const env = opts.env ?? process.env;
    let sub = await accessFor(spec.remote, spec.transport, env, { tokens: false }, opts.signal);
    // The superproject's credentials go to its own origin only.
    if (!sub.auth && access.auth && sameOrigin(sub.url, access.url))
      sub = { ...sub, auth: access.auth };
    const created: string[] = [];
    const fetched = await fetchCommit(sub, link.oid, link.oid, { refs: new Map() }, opts, created);
    await writeCommit(
      fetched.gitdir,
      link.oid,
      join(dest, link.path),
      sub,
      opts,
      depth + 1,
      finish,
    );
  }
}

interface TreeWriter {
  /** readOnlyRepoFs of the repository the tree is in. */
  fs: typeof fs;
  cache: object;
  time: number;
  links: GitLink[];
  finish: Finish;
  /** Files and symlinks to write once every directory is there. */
  blobs: { path: string; oid: string; mode: string }[];
  opts: GitContextOptions;
}

/** Blob reads in flight at once: each waits on the thread pool, not the CPU. */
const BLOB_READS = 16;
/** Blobs read before they are written: bounds memory (a batch of large files is read whole). */
const BATCH = 256;

/**
 * The directories of a tree first (few, one object each), then its files and
 * symlinks in batches: a batch's blobs are read with the reads overlapped, then
 * written with synchronous calls. One at a time, a 5,000-file tree spent most of
 * its 5 s waiting on thread-pool round trips; reads and writes interleaved, the
 * file creations slowed to 0.7 ms each. Modes are set explicitly, not left to
 * the umask.
 */
async function writeTree(gitdir: string, treeOid: string, dest: string, w: TreeWriter) {
  await listTree(gitdir, treeOid, dest, '', w);
  for (let start = 0; start < w.blobs.length; start += BATCH) {
    w.opts.signal?.throwIfAborted();
    const batch = w.blobs.slice(start, start + BATCH);
    const data: Uint8Array[] = new Array(batch.length);
    await eachConcurrently(batch.length, BLOB_READS, async (i) => {
      const oid = batch[i]!.oid;
      data[i] = (await git.readBlob({ fs: w.fs, gitdir, oid, cache: w.cache })).blob;
    });
    batch.forEach((b, i) => writeBlob(b, data[i]!, w));
  }
}

function writeBlob(b: TreeWriter['blobs'][number], blob: Uint8Array, w: TreeWriter): void {
  if (b.mode === '120000') {
    w.finish.symlinks.push({
      path: b.path,
      target: Buffer.from(blob).toString('utf8'),
      time: w.time,
    });
    return;
  }
  const time = w.time;
  // O_EXCL|O_NOFOLLOW: never through a symlink, never over something there.
  const fd = fs.openSync(
    b.path,
    fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
    0o600,
  );
  try {
    fs.writeFileSync(fd, blob);
    fs.fchmodSync(fd, b.mode === '100755' ? 0o755 : 0o644);
    fs.futimesSync(fd, time, time);
  } finally {
    fs.closeSync(fd);
  }
}

async function listTree(
  gitdir: string,
  treeOid: string,
  dest: string,
  prefix: string,
  w: TreeWriter,
): Promise<void> {
  // Not recursive: every parent is a directory this checkout made (a submodule's
  // root was made as its gitlink's entry), and mkdir does not follow a last symlink.
  if (prefix === '' && !fs.existsSync(dest)) fs.mkdirSync(dest);
  else if (prefix !== '') fs.mkdirSync(dest);
  fs.chmodSync(dest, 0o755);
  w.finish.dirs.push({ path: dest, time: w.time });
  const { tree } = await git.readTree({ fs: w.fs, gitdir, oid: treeOid, cache: w.cache });
  const names = new Set<string>();
  for (const e of tree) {
    w.opts.signal?.throwIfAborted();
    // A tree entry is one path component, once; git's fsck refuses others, a crafted
    // pack may still carry them (a name twice could be a directory and a symlink).
    if (['', '.', '..', '.git'].includes(e.path) || e.path.includes('/') || names.has(e.path))
      throw new TsbuildError(
        'GIT_BAD_TREE',
        `the repository's tree ${treeOid} has an entry git refuses: ${JSON.stringify(prefix + e.path)}`,
        { tree: treeOid, entry: prefix + e.path },
      );
    names.add(e.path);
    const path = join(dest, e.path);
    const rel = prefix + e.path;
    if (e.type === 'tree') {
      await listTree(gitdir, e.oid, path, `${rel}/`, w);
    } else if (e.type === 'commit') {
      fs.mkdirSync(path);
      fs.chmodSync(path, 0o755);
      w.links.push({ path: rel, oid: e.oid });
    } else {
      w.blobs.push({ path, oid: e.oid, mode: e.mode });
    }
  }
}

const LOOSE_OBJECT = /\/objects\/([0-9a-f]{2})\/[0-9a-f]{38}$/;

/**
 * node:fs for isomorphic-git while it only reads a repository nobody writes to:
 * it looks for every object loose before it looks in the packs (a failed open
 * each, through the thread pool, and an exception) and lists objects/pack each
 * time. A fetch leaves packs and no loose objects, so both are answered from
 * one listing made here. A third of a 5,000-file checkout went there.
 */
function readOnlyRepoFs(gitdir: string): typeof fs {
  const looseDirs = new Set(
    fs.readdirSync(join(gitdir, 'objects')).filter((n) => /^[0-9a-f]{2}$/.test(n)),
  );
  const packDir = join(gitdir, 'objects', 'pack');
  let packs: Promise<string[]> | undefined;
  const notFound = (path: string) =>
    Promise.reject(Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' }));
  const promises = {
    ...fs.promises,
    readdir: (path: string, ...rest: unknown[]) =>
      path === packDir
        ? (packs ??= fs.promises.readdir(path))
        : (fs.promises.readdir as (...a: unknown[]) => Promise<unknown>)(path, ...rest),
    readFile: (path: string, ...rest: unknown[]) => {
      const loose = LOOSE_OBJECT.exec(path);
      if (loose && path.startsWith(gitdir) && !looseDirs.has(loose[1]!)) return notFound(path);
      return (fs.promises.readFile as (...a: unknown[]) => Promise<unknown>)(path, ...rest);
    },
  };
  return { ...fs, promises } as unknown as typeof fs;
}

/** .gitmodules of a tree: submodule path → url. */
async function gitmodules(
  gitdir: string,
  treeOid: string,
  cache: object,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let text: string;
  try {
    const { blob } = await git.readBlob({
      fs,
      gitdir,
      oid: treeOid,
      filepath: '.gitmodules',
      cache,
    });
    text = Buffer.from(blob).toString('utf8');
  } catch {
    return out;
  }
  let path: string | undefined;
  let url: string | undefined;
  const flush = () => {
    if (path !== undefined && url !== undefined) out.set(path, url);
    path = url = undefined;
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) flush();
    const m = /^(path|url)\s*=\s*(.*)$/.exec(line);
    if (m?.[1] === 'path') path = m[2]!.trim().replace(/\/+$/, '');
    if (m?.[1] === 'url') url = m[2]!.trim();
  }
  flush();
  return out;
}

/**
 * A submodule URL as git resolves it: `./x` and `../x` against the
 * superproject's URL (each `../` drops one path component of it), anything
 * else as it is.
 */
export function resolveSubmoduleUrl(base: string, url: string): string {
  if (!url.startsWith('./') && !url.startsWith('../')) return url;
  // scp-like `git@host:org/repo.git`: the path after the colon is what `../` climbs.
  const scp = /^([^/:]+:)(?!\/\/)(.*)$/.exec(base);
  if (scp && !base.includes('://')) {
    const path = resolveSubmoduleUrl(`x:///${scp[2]!}`, url).slice('x:///'.length);
    return `${scp[1]!}${path.replace(/^\/+/, '')}`;
  }
  let b = base.replace(/\/+$/, '');
  let rest = url;
  for (;;) {
    if (rest.startsWith('./')) rest = rest.slice(2);
    else if (rest.startsWith('../')) {
      rest = rest.slice(3);
      b = b.slice(0, Math.max(b.lastIndexOf('/'), 0));
    } else break;
  }
  return `${b}/${rest}`;
}
