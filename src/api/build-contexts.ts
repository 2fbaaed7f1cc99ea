/**
 * `--build-context NAME=VALUE` (buildx's flag; `buildContexts` in the API):
 * extra contexts a Dockerfile reaches with `FROM NAME`, `COPY --from=NAME` and
 * `RUN --mount=from=NAME`. VALUE is read as buildx reads it:
 *
 *   docker-image://REF      an image: the store's, else pulled (`scratch`: empty)
 *   oci-layout://DIR[:TAG]  an image of an OCI layout directory, by tag (default
 *   oci-layout://DIR@DIGEST `latest`) or digest; its blobs go into the store
 *   a git URL               the repository's tree (`#ref:folder`), as a git context
 *   an http(s) URL          a tarball, extracted; anything else is one file named
 *                           `context` (BuildKit's name for a download)
 *   anything else           a local directory (relative to cwd), whose own
 *                           .dockerignore applies, as BuildKit applies it
 *
 * Differences from BuildKit, on purpose: an http(s) archive is extracted (BuildKit
 * hands the archive itself over as the file `context`); a directory's files copy
 * as 0:0, as the main context's do (BuildKit keeps the client's owners).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { BuildEvent } from '../build/events.js';
import { openContext, type BuildContext } from '../context/open.js';
import { contextKey, type NamedContext } from '../build/named-context.js';
import { sniffContext } from '../context/context-tar.js';
import { Dockerignore } from '../context/dockerignore.js';
import { checkInsecure, isGitUrl, isUrl, parseGitUrl } from '../context/git-url.js';
import { downloadContext, redactUrl } from '../context/remote-url.js';
import { TsbuildError, failingAs } from '../errors.js';
import type { Store } from '../store/store.js';
import { withLock } from '../store/lock.js';
import { sha256 } from '../util/digest.js';
import { readLayoutImage } from './archive-read.js';
import type { BuildRequest } from './build-types.js';
import { truthy } from './build-caches.js';
import { imageFor, type BaseImages } from './build-bases.js';
import { IngestSession } from './ingest.js';

/** The request's context and Dockerfile, opened (fetched, unpacked) into `work`. */
export function openRequestContext(
  req: BuildRequest,
  store: Store,
  work: string,
): Promise<BuildContext> {
  return failingAs({ writing: 'the build context', within: work }, () =>
    openContext({
      context: req.context,
      dockerfile: req.dockerfile,
      stdin: req.stdin,
      cwd: req.cwd,
      tmpDir: work,
      git: { cacheDir: join(store.root, 'git'), lock: withLock },
      keepGitDir: truthy(req.buildArgs?.BUILDKIT_CONTEXT_KEEP_GIT_DIR),
      ...(req.env ? { env: req.env } : {}),
      ...(req.allowInsecureHttp ? { allowInsecureHttp: true } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
    }),
  );
}

export interface OpenedContexts {
  /** By normalised name (named-context.ts `contextKey`). */
  contexts: Map<string, NamedContext>;
  /** Removes downloads and extracted trees. */
  close(): Promise<void>;
}

const DOCKER_IMAGE = 'docker-image://';
const OCI_LAYOUT = 'oci-layout://';

/**
 * Open every named context of the request, in `work` (the build's private dir).
 * @example
 *   const { contexts } = await openNamedContexts(store, { buildContexts: { src: '../lib' } }, work, emit, { used: new Map() });
 */
export async function openNamedContexts(
  store: Store,
  req: BuildRequest,
  work: string,
  emit: (e: BuildEvent) => void,
  images: BaseImages,
): Promise<OpenedContexts> {
  const contexts = new Map<string, NamedContext>();
  const cleanups: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of cleanups.splice(0)) await c().catch(() => undefined);
  };
  try {
    for (const [name, value] of Object.entries(req.buildContexts ?? {})) {
      const key = contextKey(name);
      const fail = (why: string, code = 'BUILD_CONTEXT') =>
        new TsbuildError(code, `--build-context ${name}=${redactUrl(value)}: ${why}`, { name });
      if (key === undefined)
        throw fail(
          'the name must be a valid image reference in lower case (a stage or image name)',
        );
      if (contexts.has(key)) throw fail(`${key} is given twice`);
      if (value === '') throw fail('no value: give a directory, a URL or docker-image://REF');
      const opened = await openOne(store, req, name, value, work, cleanups, emit, images).catch(
        (e: unknown) => {
          if (!(e instanceof TsbuildError) || e.message.startsWith('--build-context')) throw e;
          throw fail(e.message, e.code);
        },
      );
      contexts.set(key, opened);
    }
    return { contexts, close };
  } catch (e) {
    await close();
    throw e;
  }
}

async function openOne(
  store: Store,
  req: BuildRequest,
  name: string,
  value: string,
  work: string,
  cleanups: (() => Promise<void>)[],
  emit: (e: BuildEvent) => void,
  images: BaseImages,
): Promise<NamedContext> {
  const label = `context ${name}`;
  if (value.startsWith(DOCKER_IMAGE)) {
    const ref = value.slice(DOCKER_IMAGE.length);
    if (ref === 'scratch') {
      const root = await mkdtemp(join(work, 'named-'));
      return { kind: 'tree', name, tree: { root, label }, identity: 'scratch' };
    }
    return {
      kind: 'image',
      name,
      state: await imageFor(store, ref, req, emit, images),
      source: value,
    };
  }
  if (value.startsWith(OCI_LAYOUT)) return ociLayout(store, req, name, value);
  // buildx's bake `target:` and BuildKit's `input:` need a frontend tsbuild does not have.
  const scheme = /^(target|input):|^([a-z][a-z0-9+.-]*):\/\//i.exec(value);
  if (scheme && !isGitUrl(value) && !isUrl(value))
    throw new TsbuildError(
      'BUILD_CONTEXT',
      `unsupported context source ${scheme[1] ?? scheme[2]}: use a directory, a git or http(s) URL, docker-image:// or oci-layout://`,
    );
  if (isGitUrl(value)) {
    const spec = parseGitUrl(value);
    const checkout = await openGit(store, req, value, false);
    const identity = sha256(`git\0${redactUrl(spec.remote)}\0${checkout.commit}\0${spec.folder}`);
    return { kind: 'tree', name, tree: { root: checkout.dir, label }, identity };
  }
  if (isUrl(value)) {
    checkInsecure(value, req.allowInsecureHttp ?? false);
    const d = await downloadContext(value, {
      tmpDir: work,
      ...(req.signal ? { signal: req.signal } : {}),
    });
    cleanups.push(d.close);
    const root = await mkdtemp(join(work, 'named-'));
    const s = await sniffContext(createReadStream(d.path), redactUrl(value));
    if (s.kind === 'archive') await s.extract(root);
    else {
      await copyFile(d.path, join(root, 'context'));
      await chmod(join(root, 'context'), 0o600);
    }
    return { kind: 'tree', name, tree: { root, label }, identity: await fileDigest(d.path) };
  }
  const dir = isAbsolute(value) ? value : resolve(req.cwd ?? process.cwd(), value);
  const st = await stat(dir).catch(() => undefined);
  if (!st) throw new TsbuildError('CONTEXT_NOT_FOUND', `directory ${dir} not found`, { path: dir });
  if (!st.isDirectory())
    throw new TsbuildError('BUILD_CONTEXT', `${dir} is not a directory`, { path: dir });
  const root = await realpath(dir);
  const ignoreFile = await readFile(join(root, '.dockerignore'), 'utf8').catch(() => undefined);
  const ignore =
    ignoreFile === undefined ? undefined : Dockerignore.parse(ignoreFile, `${name}/.dockerignore`);
  return {
    kind: 'tree',
    name,
    tree: { root, label, ...(ignore ? { ignore } : {}) },
    identity: sha256(`dir\0${root}`),
  };
}

/**
 * A git URL's tree (`#ref:folder`) from the store's git cache, fetched when
 * missing; credentials from `req.env` or the URL, as for a git build context.
 * Also what ADD of a git URL copies (BuildDeps.gitTree).
 */
export async function openGit(
  store: Store,
  req: BuildRequest,
  url: string,
  keepGitDir: boolean,
): Promise<{ dir: string; commit: string }> {
  checkInsecure(url, req.allowInsecureHttp ?? false);
  // Loaded on use: isomorphic-git is a third of the CLI's code (context/open.ts says the same).
  const { openGitContext } = await import('../context/git.js');
  const checkout = await openGitContext(parseGitUrl(url), {
    cacheDir: join(store.root, 'git'),
    lock: withLock,
    ...(req.env ? { env: req.env } : {}),
    ...(keepGitDir ? { keepGitDir: true } : {}),
    ...(req.allowInsecureHttp ? { allowInsecureHttp: true } : {}),
    ...(req.signal ? { signal: req.signal } : {}),
  });
  return { dir: await realpath(checkout.dir), commit: checkout.commit };
}

/** `oci-layout://DIR:TAG` or `oci-layout://DIR@sha256:…`; a bare DIR is its `latest`. */
async function ociLayout(
  store: Store,
  req: BuildRequest,
  name: string,
  value: string,
): Promise<NamedContext> {
  const spec = value.slice(OCI_LAYOUT.length);
  const at = spec.lastIndexOf('@');
  const colon = spec.lastIndexOf(':');
  let path = spec;
  let want: { tag: string } | { digest: string } = { tag: 'latest' };
  if (at >= 0) {
    path = spec.slice(0, at);
    want = { digest: spec.slice(at + 1) };
  } else if (colon > spec.lastIndexOf('/')) {
    path = spec.slice(0, colon);
    want = { tag: spec.slice(colon + 1) };
  }
  const dir = isAbsolute(path) ? path : resolve(req.cwd ?? process.cwd(), path);
  if (!(await stat(dir).catch(() => undefined))?.isDirectory())
    throw new TsbuildError('CONTEXT_NOT_FOUND', `OCI layout directory ${dir} not found`, {
      path: dir,
    });
  await mkdir(join(store.root, 'tmp'), { recursive: true });
  const session = new IngestSession(store);
  try {
    const image = await readLayoutImage(dir, dir, session, want);
    const config = JSON.parse(Buffer.from(image.config).toString('utf8')) as never;
    return {
      kind: 'image',
      name,
      state: { config, layers: image.layers, id: image.configDigest, cmdSet: false },
      source: value,
    };
  } catch (e) {
    await session.rollback();
    throw e;
  }
}

async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
