/**
 * How tsbuild reaches a git remote (git.ts says what a git context is):
 * credentials scoped to the remote they are for, isomorphic-git over undici for
 * http(s) and the system git for git:// and ssh, the remote's refs resolved as
 * git resolves a name, and fetches into the store's per-URL bare repositories
 * (depth 1 where the ref allows, all of history in a repository of its own
 * otherwise), with errors that name the URL and never the credentials.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import git from 'isomorphic-git';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { request as undiciRequest } from 'undici';
import { Readable } from 'node:stream';
import { TsbuildError } from '../errors.js';
import { sha256 } from '../util/digest.js';
import { splitCredentials, type GitSpec } from './git-url.js';
import { redactUrl } from './remote-url.js';

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

export interface Access {
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

export interface RemoteRefs {
  /** Full ref name → commit id (annotated tags peeled). */
  refs: Map<string, string>;
  /** What HEAD points at: a full ref name, or a commit id when detached. */
  head?: string;
}

export const FULL_OID = /^[0-9a-f]{40}$/;
export const SHORT_OID = /^[0-9a-f]{4,39}$/;
// ---------------------------------------------------------------- access

/**
 * How to reach `remote`. GIT_AUTH_TOKEN and GIT_AUTH_HEADER are for the
 * context's own remote (`tokens`), never a submodule's; a URL's user info is
 * for that URL; ~/.git-credentials matches by host.
 */
export async function accessFor(
  remote: string,
  transport: GitSpec['transport'],
  env: NodeJS.ProcessEnv,
  scope: { tokens: boolean },
  signal: AbortSignal | undefined,
): Promise<Access> {
  // An ssh user (git@, root@) is a login name, shown as Docker shows it; over http
  // a user alone may be a token (https://ghp_…@github.com), so all of it goes.
  const shown =
    transport === 'ssh'
      ? remote.replace(/^(ssh:\/\/[^:@/]+):[^@/]*@/, '$1:***@')
      : redactUrl(remote);
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

export async function listRefs(access: Access): Promise<RemoteRefs> {
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
export function refName(ref: string, remote: RemoteRefs): string | undefined {
  if (ref === '') return remote.head && !FULL_OID.test(remote.head) ? remote.head : undefined;
  return [ref, `refs/${ref}`, `refs/tags/${ref}`, `refs/heads/${ref}`].find((r) =>
    remote.refs.has(r),
  );
}

/** The commit `ref` names, when the ref list says (an abbreviated id needs the objects). */
export function pickCommit(ref: string, remote: RemoteRefs, access: Access): string | undefined {
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

export const urlKey = (url: string) => sha256(url).slice('sha256:'.length, 'sha256:'.length + 32);
export const lockDir = (cacheDir: string, url: string) => join(cacheDir, 'locks', urlKey(url));

/**
 * Make sure `commit` (or, when undefined, the abbreviated id `ref`) is in a
 * local bare repository for this URL; returns it and the full commit id.
 * Repositories it creates are added to `created`.
 */
export async function fetchCommit(
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

export async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}
