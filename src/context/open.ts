/**
 * Opening a build context the way `docker build` does (Docker 20.10, BuildKit):
 *
 * - a directory; a tar file (plain or compressed, beyond docker, which wants
 *   `-` for that); or `-`: stdin holds a tar context, or else a bare Dockerfile
 *   and the context is empty (the Dockerfile is not in it: `COPY . /` copies
 *   nothing).
 * - `-f path` is relative to the cwd for a directory context and to the
 *   archive root for an archive; `-f -` reads the Dockerfile from stdin. With
 *   no `-f`: `Dockerfile`, else `dockerfile`, in the context. A Dockerfile that
 *   is a symlink resolves inside its own directory, as BuildKit reads it
 *   (`Dockerfile -> /etc/shadow` is not found, and never read).
 * - `.dockerignore`: `<Dockerfile>.dockerignore` beside the Dockerfile wins
 *   over `<context>/.dockerignore` (`-f build/app.Dockerfile` reads
 *   `build/app.Dockerfile.dockerignore`; the default `Dockerfile` reads
 *   `Dockerfile.dockerignore`) — Docker 20.10 with BuildKit does this. An
 *   archive context has no .dockerignore at all: Docker 20.10 (both builders)
 *   copies `a` from a tar whose own .dockerignore says `a`; the file is only
 *   for trimming what a client sends, and a tar is sent as it is. A
 *   .dockerignore symlink resolves inside the context (in-root.ts).
 * - a git URL (git-url.ts says which strings are): the repository's tree at
 *   the ref, cached in the store by commit (git.ts); the context is the
 *   fragment's folder, `-f` is relative to that folder (or, absolute, to the
 *   repository's root) and never leaves the repository; `.dockerignore`
 *   applies as in a directory. A local directory of the same name wins: the
 *   string as written must exist, `..` and all (docker's CLI stats it so).
 * - any other http(s) URL: downloaded (remote-url.ts), then an archive
 *   context, or else a bare Dockerfile as on stdin.
 */
import { lstat, mkdtemp, readFile, realpath, rm, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { TsbuildError } from '../errors.js';
import { fileKind } from '../util/file-kind.js';
import { sniffContext } from './context-tar.js';
import { Dockerignore } from './dockerignore.js';
import type { GitContextOptions } from './git.js';
import { checkInsecure, parseGitUrl, remoteKind } from './git-url.js';
import { downloadContext, redactUrl, type Download } from './remote-url.js';
import { findInRoot, type InRoot } from './in-root.js';

export interface BuildContext {
  /** A real directory holding the context files (for tar/stdin: an extracted temp dir). */
  readonly dir: string;
  readonly ignore: Dockerignore;
  /** `name` is what spans and errors use, e.g. 'Dockerfile' or 'build/app.Dockerfile'. */
  readonly dockerfile: { text: string; name: string; path?: string };
  /** A git URL context's commit (provenance names it, as BuildKit pins the git source). */
  readonly gitCommit?: string;
  /** Removes any temp dir; safe twice. */
  close(): Promise<void>;
}

export interface OpenContextOptions {
  /** A directory, a tar file (any compression), or '-' (stdin). */
  context: string;
  /** -f: a path (see above) or '-' (stdin). */
  dockerfile?: string;
  stdin?: Readable;
  cwd?: string;
  /** Where tar/stdin contexts are extracted. */
  tmpDir: string;
  /** The store's git cache (`<root>/git`) and its lock; needed for a git URL context. */
  git?: { cacheDir: string; lock: GitContextOptions['lock'] };
  /** Git credentials come from here (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Keep `.git` in a git context (BUILDKIT_CONTEXT_KEEP_GIT_DIR). */
  keepGitDir?: boolean;
  /** Plain http is refused for a git or remote context unless to loopback or this says yes. */
  allowInsecureHttp?: boolean;
  signal?: AbortSignal;
}

/**
 * Resolve the context, its Dockerfile and its .dockerignore. Errors:
 * CONTEXT_NOT_FOUND, DOCKERFILE_NOT_FOUND (`data.path`), STDIN_TWICE,
 * NO_STDIN, DOCKERIGNORE_PATTERN, and LayerErrors for a broken archive.
 *
 * @example
 * const ctx = await openContext({ context: '.', dockerfile: 'build/app.Dockerfile', tmpDir });
 * try { parse(ctx.dockerfile.text, { file: ctx.dockerfile.name }); } finally { await ctx.close(); }
 */
export async function openContext(o: OpenContextOptions): Promise<BuildContext> {
  const cwd = o.cwd ?? process.cwd();
  if (o.context === '-' && o.dockerfile === '-')
    throw new TsbuildError(
      'STDIN_TWICE',
      "invalid argument: can't use stdin for both build context and dockerfile",
    );
  let temp: string | undefined;
  let download: Download | undefined;
  const close = async () => {
    if (temp !== undefined) await rm(temp, { recursive: true, force: true });
    temp = undefined;
    await download?.close();
  };
  try {
    const source = await contextSource(o, cwd, (d) => (download = d));
    let dir: string;
    let stdinDockerfile: string | undefined;
    if (source.kind === 'dir' || source.kind === 'git') {
      dir = source.dir;
    } else {
      temp = await mkdtemp(join(o.tmpDir, 'context-'));
      dir = await realpath(temp);
      const s = await sniffContext(source.stream, source.name);
      if (s.kind === 'archive') await s.extract(dir);
      else if (source.name === 'stdin' || source.kind === 'url') stdinDockerfile = await s.text();
      else {
        source.stream.destroy();
        throw new TsbuildError('CONTEXT_NOT_AN_ARCHIVE', `${o.context}: not a tar archive`);
      }
    }
    const dockerfile =
      stdinDockerfile !== undefined
        ? noDashF(o, stdinDockerfile)
        : await readDockerfile(o, dir, cwd, source);
    const ignore =
      source.kind === 'dir' || source.kind === 'git'
        ? await readIgnore(dir, dockerfile, source.kind === 'git' ? source.root : undefined)
        : Dockerignore.empty;
    return {
      dir,
      ignore,
      dockerfile,
      close,
      ...(source.kind === 'git' ? { gitCommit: source.commit } : {}),
    };
  } catch (e) {
    await close();
    throw e;
  }
}

type Source =
  | { kind: 'dir'; dir: string }
  /** `root`: the repository's checkout; `dir`: the context folder in it. */
  | { kind: 'git'; dir: string; root: string; commit: string }
  | { kind: 'stream'; stream: Readable; name: string }
  | { kind: 'url'; stream: Readable; name: string };

async function contextSource(
  o: OpenContextOptions,
  cwd: string,
  downloaded: (d: Download) => void,
): Promise<Source> {
  if (o.context === '-') return { kind: 'stream', stream: needStdin(o), name: 'stdin' };
  // Stat the string as written, as docker's CLI does: `https://h/r.git#v1:x/../../..`
  // is a directory only if `https:` (and so on) exists, since the kernel resolves a
  // `..` after the component before it; path.resolve would fold it away first.
  const abs = isAbsolute(o.context) ? o.context : `${cwd}/${o.context}`;
  const st = await stat(abs).catch(() => undefined);
  if (!st?.isDirectory()) {
    const kind = remoteKind(o.context);
    if (kind !== 'local') checkInsecure(o.context, o.allowInsecureHttp ?? false);
    if (kind === 'git') {
      if (o.git === undefined)
        throw new TsbuildError('GIT_NO_CACHE', 'a git context needs a store to keep it in');
      // Loaded here: isomorphic-git is a third of the CLI's code, and a local build needs none of it.
      const { openGitContext } = await import('./git.js');
      const checkout = await openGitContext(parseGitUrl(o.context), {
        ...o.git,
        ...(o.env ? { env: o.env } : {}),
        ...(o.keepGitDir ? { keepGitDir: true } : {}),
        ...(o.allowInsecureHttp ? { allowInsecureHttp: true } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      });
      return {
        kind: 'git',
        dir: await realpath(checkout.dir),
        root: await realpath(checkout.root),
        commit: checkout.commit,
      };
    }
    if (kind === 'url') {
      const d = await downloadContext(o.context, {
        tmpDir: o.tmpDir,
        ...(o.signal ? { signal: o.signal } : {}),
      });
      downloaded(d);
      return { kind: 'url', stream: createReadStream(d.path), name: redactUrl(o.context) };
    }
  }
  if (!st)
    throw new TsbuildError(
      'CONTEXT_NOT_FOUND',
      `unable to prepare context: path ${JSON.stringify(o.context)} not found`,
      { path: o.context },
    );
  if (st.isDirectory()) return { kind: 'dir', dir: await realpath(abs) };
  return { kind: 'stream', stream: createReadStream(abs), name: o.context };
}

function needStdin(o: OpenContextOptions): Readable {
  if (!o.stdin) throw new TsbuildError('NO_STDIN', "'-' reads stdin, but no stdin was given");
  return o.stdin;
}

/** A bare Dockerfile on stdin: there is no archive for `-f` to name a file in. */
function noDashF(o: OpenContextOptions, text: string): BuildContext['dockerfile'] {
  if (o.dockerfile !== undefined)
    throw new TsbuildError(
      'DOCKERFILE_NOT_FOUND',
      `-f ${o.dockerfile}: the context on stdin is a Dockerfile, not an archive`,
      { path: o.dockerfile },
    );
  return { text, name: 'Dockerfile' };
}

async function readDockerfile(
  o: OpenContextOptions,
  dir: string,
  cwd: string,
  source: Source,
): Promise<BuildContext['dockerfile']> {
  const local = source.kind === 'dir';
  // A git context's -f stays in the repository: relative to the folder, or absolute from its root.
  const confineTo = source.kind === 'git' ? source.root : dir;
  if (o.dockerfile === '-') {
    const chunks: Buffer[] = [];
    for await (const c of needStdin(o)) chunks.push(Buffer.from(c as Buffer));
    return { text: Buffer.concat(chunks).toString('utf8'), name: 'Dockerfile' };
  }
  let path: string;
  if (o.dockerfile === undefined) {
    path = join(dir, 'Dockerfile');
    if (!(await exists(path)) && (await exists(join(dir, 'dockerfile'))))
      path = join(dir, 'dockerfile');
  } else if (local) {
    path = resolve(cwd, o.dockerfile);
  } else {
    // In an archive or a repository, -f names a file inside it.
    path =
      source.kind === 'git' && isAbsolute(o.dockerfile)
        ? join(source.root, o.dockerfile)
        : join(dir, o.dockerfile);
    if (!inside(confineTo, path))
      throw new TsbuildError(
        'DOCKERFILE_NOT_FOUND',
        `-f ${o.dockerfile}: not inside the context ${source.kind === 'git' ? 'repository' : 'archive'}`,
        { path: o.dockerfile },
      );
  }
  const name = inside(dir, path)
    ? relative(dir, path).split(sep).join('/')
    : (o.dockerfile ?? 'Dockerfile');
  // BuildKit reads the Dockerfile from its own directory (from the archive or the
  // repository for those), so a symlink resolves in there, never to a host file;
  // `-f` may name a file anywhere, but not a link out of that file's directory.
  const root = local ? dirname(path) : confineTo;
  const within = local
    ? "the Dockerfile's directory"
    : `the context ${source.kind === 'git' ? 'repository' : 'archive'}`;
  const at = findInRoot(root, path);
  const fail = (why: string) => new TsbuildError('DOCKERFILE_NOT_FOUND', why, { path });
  if (!at.found)
    throw fail(
      at.link === undefined
        ? `Dockerfile not found: ${path}`
        : `Dockerfile not found: ${path} is a symlink to ${JSON.stringify(at.link)}, which resolves to nothing inside ${root} (symlinks resolve inside ${within})`,
    );
  if (at.stat.isDirectory()) throw fail(`the Dockerfile ${path} is a directory`);
  // A FIFO or a device would hang the read, or feed it without end.
  if (!at.stat.isFile())
    throw fail(`the Dockerfile ${path} is not a regular file (a ${fileKind(at.stat)})`);
  return { text: await readFile(at.host, 'utf8'), name, path };
}

/**
 * `<Dockerfile>.dockerignore` beside the Dockerfile, else the context's
 * `.dockerignore`, each looked up as BuildKit does (in-root.ts): the first in
 * the Dockerfile's directory, the second in the context; a symlink is followed
 * inside those only, so a link to a host file is no .dockerignore at all
 * (Docker 20.10 then copies what the host file would have excluded).
 * `repository`: a git checkout, where both are looked up in the whole
 * repository and only a regular file is read.
 */
async function readIgnore(
  dir: string,
  df: BuildContext['dockerfile'],
  repository?: string,
): Promise<Dockerignore> {
  const candidates: [string, string, string][] = [];
  if (df.path !== undefined)
    candidates.push([`${df.path}.dockerignore`, `${df.name}.dockerignore`, dirname(df.path)]);
  candidates.push([join(dir, '.dockerignore'), '.dockerignore', dir]);
  for (const [path, name, own] of candidates) {
    const root = repository ?? own;
    if (!inside(root, path)) continue;
    const at = lookupIgnore(root, path);
    if (!at.found) continue;
    if (repository !== undefined && !at.stat.isFile()) continue;
    if (!at.stat.isFile() && !at.stat.isDirectory())
      throw new TsbuildError('DOCKERIGNORE_READ', `${name}: not a regular file`, {
        file: name,
        path,
      });
    const text = await readFile(at.host, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new TsbuildError('DOCKERIGNORE_READ', `${name}: ${e.message}`, { file: name, path });
    });
    return Dockerignore.parse(text, name);
  }
  return Dockerignore.empty;
}

/** A symlink loop where a .dockerignore would be is none (BuildKit ignores the read's error). */
function lookupIgnore(root: string, path: string): InRoot {
  try {
    return findInRoot(root, path);
  } catch (e) {
    if (e instanceof TsbuildError && e.code === 'SOURCE_LOOP') return { found: false };
    throw e;
  }
}

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}
