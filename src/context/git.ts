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
import * as fs from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { TsbuildError } from '../errors.js';
import { parseGitUrl, type GitSpec } from './git-url.js';
import { followInRoot, hostPath, realRoot } from './walk.js';
import {
  accessFor,
  exists,
  fetchCommit,
  listRefs,
  lockDir,
  pickCommit,
  urlKey,
  type Access,
  type GitCheckout,
  type GitContextOptions,
} from './git-remote.js';
import { writeRoot } from './git-tree.js';

export type { GitCheckout, GitContextOptions } from './git-remote.js';
export { resolveSubmoduleUrl } from './git-tree.js';

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
