/**
 * Opening a build context the way `docker build` does (Docker 20.10, BuildKit):
 *
 * - a directory; a tar file (plain or compressed, beyond docker, which wants
 *   `-` for that); or `-`: stdin holds a tar context, or else a bare Dockerfile
 *   and the context is empty (the Dockerfile is not in it: `COPY . /` copies
 *   nothing).
 * - `-f path` is relative to the cwd for a directory context and to the
 *   archive root for an archive; `-f -` reads the Dockerfile from stdin. With
 *   no `-f`: `Dockerfile`, else `dockerfile`, in the context.
 * - `.dockerignore`: `<Dockerfile>.dockerignore` beside the Dockerfile wins
 *   over `<context>/.dockerignore` (`-f build/app.Dockerfile` reads
 *   `build/app.Dockerfile.dockerignore`; the default `Dockerfile` reads
 *   `Dockerfile.dockerignore`) — Docker 20.10 with BuildKit does this. An
 *   archive context has no .dockerignore at all: Docker 20.10 (both builders)
 *   copies `a` from a tar whose own .dockerignore says `a`; the file is only
 *   for trimming what a client sends, and a tar is sent as it is.
 */
import { lstat, mkdtemp, readFile, realpath, rm, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { TsbuildError } from '../errors.js';
import { sniffContext } from './context-tar.js';
import { Dockerignore } from './dockerignore.js';
import { followInRoot, hostPath, realRoot } from './walk.js';

export interface BuildContext {
  /** A real directory holding the context files (for tar/stdin: an extracted temp dir). */
  readonly dir: string;
  readonly ignore: Dockerignore;
  /** `name` is what spans and errors use, e.g. 'Dockerfile' or 'build/app.Dockerfile'. */
  readonly dockerfile: { text: string; name: string; path?: string };
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
  const close = async () => {
    if (temp !== undefined) await rm(temp, { recursive: true, force: true });
    temp = undefined;
  };
  try {
    const source = await contextSource(o, cwd);
    let dir: string;
    let stdinDockerfile: string | undefined;
    if (source.kind === 'dir') {
      dir = source.dir;
    } else {
      temp = await mkdtemp(join(o.tmpDir, 'context-'));
      dir = await realpath(temp);
      const s = await sniffContext(source.stream, source.name);
      if (s.kind === 'archive') await s.extract(dir);
      else if (source.name === 'stdin') stdinDockerfile = await s.text();
      else {
        source.stream.destroy();
        throw new TsbuildError('CONTEXT_NOT_AN_ARCHIVE', `${o.context}: not a tar archive`);
      }
    }
    const dockerfile =
      stdinDockerfile !== undefined
        ? noDashF(o, stdinDockerfile)
        : await readDockerfile(o, dir, cwd, source.kind === 'dir');
    const ignore = source.kind === 'dir' ? await readIgnore(dir, dockerfile) : Dockerignore.empty;
    return { dir, ignore, dockerfile, close };
  } catch (e) {
    await close();
    throw e;
  }
}

type Source = { kind: 'dir'; dir: string } | { kind: 'stream'; stream: Readable; name: string };

async function contextSource(o: OpenContextOptions, cwd: string): Promise<Source> {
  if (o.context === '-') return { kind: 'stream', stream: needStdin(o), name: 'stdin' };
  const abs = resolve(cwd, o.context);
  const st = await stat(abs).catch(() => undefined);
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
  local: boolean,
): Promise<BuildContext['dockerfile']> {
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
    // In an archive, -f names a file inside it.
    path = join(dir, o.dockerfile);
    if (!inside(dir, path))
      throw new TsbuildError(
        'DOCKERFILE_NOT_FOUND',
        `-f ${o.dockerfile}: not inside the context archive`,
        { path: o.dockerfile },
      );
  }
  const name = inside(dir, path)
    ? relative(dir, path).split(sep).join('/')
    : (o.dockerfile ?? 'Dockerfile');
  let text: string;
  try {
    // An archive's Dockerfile may be a symlink: it resolves inside the archive, never
    // to a file of this machine (Docker: not found).
    if (!local) path = confined(dir, path);
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message =
      code === 'EISDIR' ? `the Dockerfile ${path} is a directory` : `Dockerfile not found: ${path}`;
    throw new TsbuildError('DOCKERFILE_NOT_FOUND', message, { path });
  }
  return { text, name, path };
}

async function readIgnore(dir: string, df: BuildContext['dockerfile']): Promise<Dockerignore> {
  const candidates: [string, string][] = [];
  if (df.path !== undefined)
    candidates.push([`${df.path}.dockerignore`, `${df.name}.dockerignore`]);
  candidates.push([join(dir, '.dockerignore'), '.dockerignore']);
  for (const [path, name] of candidates) {
    const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
      throw new TsbuildError('DOCKERIGNORE_READ', `${name}: ${e.message}`, { file: name, path });
    });
    if (text !== undefined) return Dockerignore.parse(text, name);
  }
  return Dockerignore.empty;
}

/** `path` (under `dir`) with its symlinks followed inside `dir` only. */
function confined(dir: string, path: string): string {
  const root = realRoot(dir);
  const real = followInRoot(root, relative(dir, path).split(sep));
  if (real === undefined)
    throw new TsbuildError('DOCKERFILE_NOT_FOUND', `Dockerfile not found: ${path}`, { path });
  return hostPath(root, real);
}

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}
