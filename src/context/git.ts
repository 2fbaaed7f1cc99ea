/**
 * A git repository as a build context: `https://host/repo.git#ref:folder`.
 *
 * 1. The ref is resolved against the remote's refs (one round trip, no
 *    fetch) the way git resolves a name: `refs/<ref>`, then `refs/tags/<ref>`,
 *    then `refs/heads/<ref>` — a name that is both a tag and a branch is the
 *    tag; no ref is the remote's HEAD; a full commit id is itself; an
 *    abbreviated one is looked up after a full fetch.
 * 2. Checked-out trees are kept in the store by commit id
 *    (`git/trees/<commit>`), so the second build of a ref fetches nothing.
 * 3. Otherwise the commit is fetched into a per-URL bare repository
 *    (`git/repos/<hash of the URL>`): depth 1 where the ref allows, all of
 *    history when a commit id is not a ref's tip and the server will not send
 *    it by id. http(s) goes through isomorphic-git; git:// and ssh through the
 *    system git (isomorphic-git speaks only http), and a clear error when
 *    there is none.
 * 4. The tree is written by us from the objects, not by a checkout: file
 *    modes as git gives them under umask 022 (0644, 0755, dirs 0755), symlinks
 *    as symlinks, and every mtime the commit's time, so the same commit makes
 *    the same layer on any machine, any day. Submodules are fetched at the
 *    commit their gitlink records (relative URLs resolved against the
 *    superproject's, as git does) and written in place, recursively.
 * 5. The folder is followed inside the checkout only: a symlink in the
 *    repository never leads the context to a host path.
 *
 * Credentials: `user:password@` in the URL, GIT_AUTH_TOKEN (sent as basic
 * auth, user `x-access-token`, as BuildKit does), GIT_AUTH_HEADER (the
 * Authorization header verbatim), or a matching `~/.git-credentials` line.
 * They never reach a message, an event, the store's paths or the image.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import git from 'isomorphic-git';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { request as undiciRequest } from 'undici';
import { Readable } from 'node:stream';
import { TsbuildError } from '../errors.js';
import { sha256 } from '../util/digest.js';
import { sameOrigin } from '../util/net.js';
import { checkInsecure, parseGitUrl, splitCredentials, type GitSpec } from './git-url.js';
import { redactUrl } from './remote-url.js';
import { followInRoot, hostPath, realRoot } from './walk.js';

const run = promisify(execFile);

export interface GitContextOptions {
  /** The store's git cache: `<root>/git`. */
  cacheDir: string;
  /** Credentials come from here (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Keep `.git` in the context (BUILDKIT_CONTEXT_KEEP_GIT_DIR=1). */
  keepGitDir?: boolean;
  /** Plain http to a host that is not loopback (submodules included). */
  allowInsecureHttp?: boolean;
  signal?: AbortSignal;
  /**
   * Run `fn` holding a cross-process lock named by the directory `dir` (the store's
   * lock): two builds of one repository must not fetch into it at once.
   */
  lock: <T>(dir: string, fn: () => Promise<T>) => Promise<T>;
}

export interface GitCheckout {
  /** The checked-out tree (cached: never write to it). */
  root: string;
  /** The context folder inside it: `root` or a real directory under it. */
  dir: string;
  commit: string;
}

interface Access {
  /** The URL without credentials. */
  url: string;
  /** The URL as it may be shown. */
  shown: string;
  headers: Record<string, string>;
  auth?: { username: string; password: string };
  transport: GitSpec['transport'];
  /** The system git runs with it (PATH, HOME, GIT_SSH_COMMAND, an ssh agent). */
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

interface RemoteRefs {
  /** Full ref name → commit id (annotated tags peeled). */
  refs: Map<string, string>;
  /** What HEAD points at: a full ref name, or a commit id when detached. */
  head?: string;
}

const FULL_OID = /^[0-9a-f]{40}$/;
const SHORT_OID = /^[0-9a-f]{4,39}$/;
/** Submodules inside submodules inside … — a loop in .gitmodules ends here. */
const MAX_SUBMODULE_DEPTH = 8;

/** Fetch (or find in the cache) the tree `spec` names and return its context folder. */
export async function openGitContext(spec: GitSpec, opts: GitContextOptions): Promise<GitCheckout> {
  const env = opts.env ?? process.env;
  const access = await accessFor(spec.remote, spec.transport, env, { tokens: true }, opts.signal);
  opts.signal?.throwIfAborted();
  const remote = await listRefs(access);
  const known = pickCommit(spec.ref, remote, access);
  // By remote and commit: a commit id alone must not hand one repository's tree to a
  // URL that never had it (BuildKit keys its git cache the same way).
  const name = (commit: string) =>
    `${commit}-${urlKey(access.url)}${opts.keepGitDir ? '.git' : ''}`;
  const treeDir = join(opts.cacheDir, 'trees');
  if (known !== undefined && (await exists(join(treeDir, name(known))))) {
    const root = join(treeDir, name(known));
    return { root, dir: folderIn(root, spec, access), commit: known };
  }
  // Repositories this call creates go again if it fails: nothing is left behind.
  const created: string[] = [];
  try {
    const { gitdir, commit } = await fetchCommit(access, spec.ref, known, remote, opts, created);
    const root = join(treeDir, name(commit));
    if (!(await exists(root))) {
      await publishTree(root, opts.cacheDir, async (tmp) => {
        await writeRoot(gitdir, commit, tmp, access, opts);
        folderIn(tmp, spec, access); // a missing folder publishes nothing
        if (opts.keepGitDir)
          await opts.lock(lockDir(opts.cacheDir, access.url), () => keepGit(gitdir, commit, tmp));
      });
    }
    return { root, dir: folderIn(root, spec, access), commit };
  } catch (e) {
    for (const dir of created) await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Parse and open in one call, for callers holding the context string. */
export async function openGitUrl(context: string, opts: GitContextOptions): Promise<GitCheckout> {
  return openGitContext(parseGitUrl(context), opts);
}

// ---------------------------------------------------------------- access

/**
 * How to reach `remote`. GIT_AUTH_TOKEN and GIT_AUTH_HEADER are for the
 * context's own remote (`tokens`), never a submodule's; a URL's user info is
 * for that URL; ~/.git-credentials matches by host.
 */
async function accessFor(
  remote: string,
  transport: GitSpec['transport'],
  env: NodeJS.ProcessEnv,
  scope: { tokens: boolean },
  signal: AbortSignal | undefined,
): Promise<Access> {
  const shown = redactUrl(remote);
  const common = { shown, transport, env, ...(signal ? { signal } : {}) };
  if (transport !== 'http') return { url: remote, headers: {}, ...common };
  const { url, username, password } = splitCredentials(remote);
  const headers: Record<string, string> = {};
  let auth: Access['auth'];
  if (username !== undefined) auth = { username, password: password ?? '' };
  else if (scope.tokens && env.GIT_AUTH_HEADER) headers.Authorization = env.GIT_AUTH_HEADER;
  else if (scope.tokens && env.GIT_AUTH_TOKEN)
    auth = { username: 'x-access-token', password: env.GIT_AUTH_TOKEN };
  else auth = await storedCredentials(url, env);
  return { url, headers, ...common, ...(auth ? { auth } : {}) };
}

/** The first `~/.git-credentials` line for this URL's scheme and host (and path, when it has one). */
async function storedCredentials(
  url: string,
  env: NodeJS.ProcessEnv,
): Promise<Access['auth'] | undefined> {
  const file = join(env.HOME ?? homedir(), '.git-credentials');
  const text = await readFile(file, 'utf8').catch(() => '');
  const want = new URL(url);
  for (const line of text.split('\n')) {
    let entry: URL;
    try {
      entry = new URL(line.trim());
    } catch {
      continue;
    }
    if (entry.protocol !== want.protocol || entry.host !== want.host || !entry.username) continue;
    const path = entry.pathname.replace(/\/+$/, '');
    if (path !== '' && !want.pathname.startsWith(path)) continue;
    return {
      username: decodeURIComponent(entry.username),
      password: decodeURIComponent(entry.password),
    };
  }
  return undefined;
}

function httpArgs(access: Access) {
  return {
    http: gitHttp(access.signal),
    url: access.url,
    headers: access.headers,
    ...(access.auth ? { onAuth: () => access.auth } : {}),
    // A wrong password must fail, not be asked for again forever.
    onAuthFailure: () => ({ cancel: true }),
  };
}

/**
 * isomorphic-git's HTTP through undici rather than its own simple-get client:
 * the build's AbortSignal reaches the socket, and a redirect to another origin
 * (https → http on the same host included) drops the Authorization header.
 */
function gitHttp(signal: AbortSignal | undefined): HttpClient {
  return {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      const body = req.body ? Readable.from(req.body) : undefined;
      const res = await undiciRequest(req.url, {
        method: (req.method ?? 'GET') as 'GET',
        headers: req.headers ?? {},
        ...(body ? { body } : {}),
        maxRedirections: 10,
        ...(signal ? { signal } : {}),
      });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers))
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      return {
        url: req.url,
        method: req.method ?? 'GET',
        statusCode: res.statusCode,
        statusMessage: '',
        headers,
        body: res.body as unknown as AsyncIterableIterator<Uint8Array>,
      };
    },
  };
}

// ---------------------------------------------------------------- refs

async function listRefs(access: Access): Promise<RemoteRefs> {
  const refs = new Map<string, string>();
  let head: string | undefined;
  if (access.transport === 'http') {
    let list: Awaited<ReturnType<typeof git.listServerRefs>>;
    try {
      list = await git.listServerRefs({
        ...httpArgs(access),
        protocolVersion: 1,
        symrefs: true,
        peelTags: true,
      });
    } catch (e) {
      throw remoteError(access, e);
    }
    for (const r of list) {
      if (r.ref === 'HEAD') head = r.target ?? r.oid;
      else refs.set(r.ref, r.peeled ?? r.oid);
    }
    return { refs, ...(head ? { head } : {}) };
  }
  const out = await systemGit(access, ['ls-remote', '--symref', access.url]);
  for (const line of out.split('\n')) {
    const sym = /^ref: (\S+)\tHEAD$/.exec(line);
    if (sym) {
      head = sym[1];
      continue;
    }
    const m = /^([0-9a-f]{40})\t(\S+)$/.exec(line);
    if (!m) continue;
    const [, oid, name] = m as unknown as [string, string, string];
    if (name === 'HEAD') head ??= oid;
    else if (name.endsWith('^{}')) refs.set(name.slice(0, -3), oid);
    else if (!refs.has(name)) refs.set(name, oid);
  }
  return { refs, ...(head ? { head } : {}) };
}

/** The full ref name `ref` means on this remote, in git's order; undefined if none. */
function refName(ref: string, remote: RemoteRefs): string | undefined {
  if (ref === '') return remote.head && !FULL_OID.test(remote.head) ? remote.head : undefined;
  return [ref, `refs/${ref}`, `refs/tags/${ref}`, `refs/heads/${ref}`].find((r) =>
    remote.refs.has(r),
  );
}

/** The commit `ref` names, when the ref list says (an abbreviated id needs the objects). */
function pickCommit(ref: string, remote: RemoteRefs, access: Access): string | undefined {
  const name = refName(ref, remote);
  if (name !== undefined) return remote.refs.get(name);
  if (ref === '') {
    if (remote.head && FULL_OID.test(remote.head)) return remote.head;
    throw new TsbuildError('GIT_EMPTY_REPO', `${access.shown}: the repository has no HEAD`, {
      url: access.shown,
    });
  }
  if (FULL_OID.test(ref)) return ref;
  if (SHORT_OID.test(ref)) return undefined;
  throw refNotFound(access, ref);
}

function refNotFound(access: Access, ref: string): TsbuildError {
  return new TsbuildError(
    'GIT_REF_NOT_FOUND',
    `${access.shown}: no branch, tag or commit named ${JSON.stringify(ref)}`,
    { url: access.shown, ref },
  );
}

// ---------------------------------------------------------------- fetch

const urlKey = (url: string) => sha256(url).slice('sha256:'.length, 'sha256:'.length + 32);
const lockDir = (cacheDir: string, url: string) => join(cacheDir, 'locks', urlKey(url));

/**
 * Make sure `commit` (or, when undefined, the abbreviated id `ref`) is in a
 * local bare repository for this URL; returns it and the full commit id.
 * Repositories it creates are added to `created`.
 */
async function fetchCommit(
  access: Access,
  ref: string,
  commit: string | undefined,
  remote: RemoteRefs,
  opts: GitContextOptions,
  created: string[],
): Promise<{ gitdir: string; commit: string }> {
  const key = urlKey(access.url);
  const lock = lockDir(opts.cacheDir, access.url);
  await mkdir(lock, { recursive: true });
  return opts.lock(lock, async () => {
    const name = refName(ref, remote);
    // A ref's tip: depth 1 is enough. A commit id: try it by id at depth 1 (most
    // servers allow a reachable one), else all of history, in a repository of its
    // own so the shallow one stays shallow.
    if (commit !== undefined) {
      const shallow = await repoFor(opts.cacheDir, `${key}-1`, created);
      if (await hasCommit(shallow, commit)) return { gitdir: shallow, commit };
      const ok = await fetchInto(access, shallow, name ?? commit, 1).then(
        () => true,
        (e: unknown) => {
          // Only a server that will not send a commit by id gets the full fetch;
          // auth, network and missing-repository errors are errors.
          if (name !== undefined || !(e instanceof TsbuildError) || e.code !== 'GIT_FETCH_FAILED')
            throw e;
          return false;
        },
      );
      if (ok && (await hasCommit(shallow, commit))) return { gitdir: shallow, commit };
    }
    const full = await repoFor(opts.cacheDir, `${key}-all`, created);
    if (commit === undefined || !(await hasCommit(full, commit)))
      await fetchInto(access, full, undefined, undefined);
    const found = commit ?? (await expand(full, ref));
    if (found === undefined || !(await hasCommit(full, found))) throw refNotFound(access, ref);
    return { gitdir: full, commit: found };
  });
}

async function repoFor(cacheDir: string, name: string, created: string[]): Promise<string> {
  const gitdir = join(cacheDir, 'repos', name);
  if (await exists(join(gitdir, 'HEAD'))) return gitdir;
  created.push(gitdir);
  await mkdir(join(cacheDir, 'repos'), { recursive: true });
  const tmp = await mkdtemp(join(cacheDir, 'repos', '.init-'));
  await git.init({ fs, gitdir: tmp, bare: true });
  // isomorphic-git's fetch wants a remote to map what it fetches to; the URL is given per fetch.
  await git.setConfig({
    fs,
    gitdir: tmp,
    path: 'remote.origin.fetch',
    value: '+refs/heads/*:refs/remotes/origin/*',
  });
  await rename(tmp, gitdir).catch(async (e: NodeJS.ErrnoException) => {
    await rm(tmp, { recursive: true, force: true });
    if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
  });
  return gitdir;
}

/** Fetch `what` (a full ref name or commit id; undefined: every branch and tag) at `depth`. */
async function fetchInto(
  access: Access,
  gitdir: string,
  what: string | undefined,
  depth: number | undefined,
): Promise<void> {
  access.signal?.throwIfAborted();
  if (access.transport === 'http') {
    try {
      await git.fetch({
        fs,
        gitdir,
        ...httpArgs(access),
        ...(what !== undefined ? { ref: what, singleBranch: true } : { singleBranch: false }),
        tags: what === undefined,
        ...(depth !== undefined ? { depth } : {}),
      });
    } catch (e) {
      throw remoteError(access, e);
    }
    return;
  }
  const args = ['--git-dir', gitdir, 'fetch', '--no-tags', '--quiet'];
  if (depth !== undefined) args.push('--depth', String(depth));
  args.push(access.url);
  if (what !== undefined) args.push(what);
  else args.push('+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*');
  await systemGit(access, args);
}

async function hasCommit(gitdir: string, oid: string): Promise<boolean> {
  try {
    await git.readCommit({ fs, gitdir, oid });
    return true;
  } catch {
    return false;
  }
}

async function expand(gitdir: string, short: string): Promise<string | undefined> {
  try {
    return await git.expandOid({ fs, gitdir, oid: short });
  } catch {
    return undefined;
  }
}

async function systemGit(access: Access, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('git', args, {
      maxBuffer: 64 << 20,
      ...(access.signal ? { signal: access.signal } : {}),
      // Never prompt: a missing credential is an error, not a hang.
      env: { ...access.env, GIT_TERMINAL_PROMPT: '0', GIT_SSH_COMMAND: sshCommand(access.env) },
    });
    return stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (access.signal?.aborted) throw access.signal.reason;
    if (err.code === 'ENOENT')
      throw new TsbuildError(
        'GIT_NOT_INSTALLED',
        `${access.shown}: ${access.transport === 'ssh' ? 'ssh' : 'git://'} URLs need the git command, which is not installed (http(s) URLs do not)`,
        { url: access.shown },
      );
    const why = (err.stderr ?? err.message).trim().split('\n').pop() ?? '';
    throw new TsbuildError('GIT_FETCH_FAILED', `${access.shown}: ${redactAll(why, access)}`, {
      url: access.shown,
    });
  }
}

/** BatchMode: ssh fails at once instead of asking for a password or a host key. */
function sshCommand(env: NodeJS.ProcessEnv): string {
  return env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes';
}

function remoteError(access: Access, e: unknown): TsbuildError {
  if (e instanceof TsbuildError) return e;
  const err = e as Error & { code?: string; data?: { statusCode?: number } };
  // onAuthFailure cancels: a 401 for credentials we sent comes back as UserCanceledError.
  const status = err.code === 'UserCanceledError' ? 401 : err.data?.statusCode;
  const shown = access.shown;
  if (status === 401 || status === 403)
    return new TsbuildError(
      'GIT_AUTH_FAILED',
      `${shown}: authentication failed (HTTP ${status})${access.auth || access.headers.Authorization ? '' : '; no credentials were given (GIT_AUTH_TOKEN, GIT_AUTH_HEADER, ~/.git-credentials)'}`,
      { url: shown, status },
    );
  if (status === 404)
    return new TsbuildError('GIT_REPO_NOT_FOUND', `${shown}: repository not found (HTTP 404)`, {
      url: shown,
      status,
    });
  const sys = (err as NodeJS.ErrnoException).code;
  if (
    sys === 'ECONNREFUSED' ||
    sys === 'ENOTFOUND' ||
    sys === 'EHOSTUNREACH' ||
    sys === 'ETIMEDOUT'
  )
    return new TsbuildError('GIT_UNREACHABLE', `${shown}: cannot reach the host (${sys})`, {
      url: shown,
    });
  if (err.code === 'NotFoundError')
    return new TsbuildError('GIT_REF_NOT_FOUND', `${shown}: ${err.message}`, { url: shown });
  return new TsbuildError(
    'GIT_FETCH_FAILED',
    `${shown}: ${redactAll(err.message, access)}${status ? ` (HTTP ${status})` : ''}`,
    { url: shown },
  );
}

/** A message with the URL's credentials, token or header taken out. */
function redactAll(text: string, access: Access): string {
  let out = text.split(access.url).join(access.shown);
  for (const secret of [access.auth?.password, access.headers.Authorization]) {
    if (secret) out = out.split(secret).join('***');
  }
  return out.replace(/(\w+:\/\/)[^@/\s]+@/g, '$1***@');
}

// ---------------------------------------------------------------- trees

/** Build a tree in a temp dir beside `dest`, then rename it into place: never half-written. */
async function publishTree(
  dest: string,
  cacheDir: string,
  fill: (tmp: string) => Promise<void>,
): Promise<void> {
  await mkdir(join(cacheDir, 'trees'), { recursive: true });
  const tmp = await mkdtemp(join(cacheDir, 'trees', '.tmp-'));
  try {
    await fill(tmp);
    await rename(tmp, dest).catch((e: NodeJS.ErrnoException) => {
      // Another build wrote the same commit first: the same bytes.
      if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

interface GitLink {
  path: string;
  oid: string;
}

/** Write commit `oid`'s tree (and its submodules') under `dest`. */
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
async function writeRoot(
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
    let next = 0;
    const read = async () => {
      while (next < batch.length) {
        const i = next++;
        const oid = batch[i]!.oid;
        data[i] = (await git.readBlob({ fs: w.fs, gitdir, oid, cache: w.cache })).blob;
      }
    };
    await Promise.all(Array.from({ length: BLOB_READS }, read));
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

/** `.git` in the context: a copy of the repository with HEAD at the commit, not bare. */
async function keepGit(gitdir: string, commit: string, dest: string): Promise<void> {
  const dotgit = join(dest, '.git');
  await cp(gitdir, dotgit, { recursive: true });
  await writeFile(join(dotgit, 'HEAD'), `${commit}\n`);
  await git.setConfig({ fs, gitdir: dotgit, path: 'core.bare', value: false });
}

/** The folder the fragment names, followed inside the checkout only. */
function folderIn(root: string, spec: GitSpec, access: Access): string {
  if (spec.folder === '') return root;
  const real = realRoot(root);
  const found = followInRoot(real, spec.folder.split('/'));
  const dir = found === undefined ? undefined : hostPath(real, found);
  const isDir = dir !== undefined && fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory();
  if (!isDir)
    throw new TsbuildError(
      'GIT_FOLDER_NOT_FOUND',
      `${access.shown}: the folder ${JSON.stringify(spec.folder)} is not a directory in the repository`,
      { url: access.shown, folder: spec.folder },
    );
  return dir;
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}
