/**
 * ADD of a git URL (BuildKit's `ADD https://host/repo.git#ref:folder /dst`,
 * `git@…`, `git://…`, `--keep-git-dir`, `--checksum=<commit>`), against git's
 * http-backend and git daemon on loopback: the tree at the ref is copied into
 * the destination as a directory is (modes and symlinks kept, 0:0 unless
 * --chown, every mtime the commit's time), `.git` only when asked, the cache
 * keyed by the commit the ref resolves to, credentials as for git contexts.
 */
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerfileError } from '../../src/errors.js';
import { Store } from '../../src/store/store.js';
import { rejected } from '../helpers/caught.js';
import { tempRoot } from '../helpers/tmp.js';
import { startGitDaemon, startGitHttp, type GitHttpServer } from '../setup/git-server.js';
import { gitIn, makeRepo, writeFiles } from '../setup/git-repos.js';
import { buildIn, configOf, contextOf, flatten, storeWithBusybox } from './harness.js';

const SECRET = 'add-git-s3cret';
let root: string;
let repos: string;
let srv: GitHttpServer;
let daemon: { url: string; stop(): Promise<void> };
let v1: string;
let url: string;

beforeAll(async () => {
  root = await storeWithBusybox();
  repos = tempRoot('tsbuild-add-git-');
  makeRepo(repos, 'src', (work, git) => {
    writeFiles(work, { 'hello.txt': 'v1\n', 'bin/run.sh': 'echo run\n', 'sub/inner.txt': 'in\n' });
    chmodSync(join(work, 'bin/run.sh'), 0o755);
    git('add', '-A');
    git('commit', '-q', '-m', 'one');
    git('tag', 'v1');
    v1 = git('rev-parse', 'HEAD');
  });
  makeRepo(repos, 'private', (work, git) => {
    writeFiles(work, { 'secret.txt': 'private\n' });
    git('add', '-A');
    git('commit', '-q', '-m', 'private');
  });
  srv = await startGitHttp({
    root: repos,
    private: { private: { user: 'x-access-token', password: SECRET } },
  });
  daemon = await startGitDaemon(repos);
  url = `${srv.url}/src.git`;
}, 60_000);

afterAll(async () => {
  await srv?.stop();
  await daemon?.stop();
});

/** A new commit on main of src.git, as a push would make it. */
function pushToMain(content: string): void {
  const work = mkdtempSync(join(tmpdir(), 'tsbuild-add-git-push-'));
  try {
    const git = gitIn(work);
    git('clone', '-q', join(repos, 'src.git'), '.');
    writeFiles(work, { 'hello.txt': content });
    git('commit', '-q', '-am', 'next');
    git('push', '-q', 'origin', 'main');
    gitIn(join(repos, 'src.git'))('update-server-info');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const read = (dir: string, path: string) => readFileSync(join(dir, path), 'utf8');
const mode = (dir: string, path: string) => (statSync(join(dir, path)).mode & 0o7777).toString(8);

describe('ADD <git URL>', () => {
  it('copies the tree at the ref into the destination, without .git', async () => {
    const ctx = contextOf({ Dockerfile: `FROM busybox\nADD ${url}#v1 /src\n` });
    await buildIn(root, { context: ctx, tags: ['ag-tag'] });
    const fs = await flatten(root, 'ag-tag');
    expect(read(fs, 'src/hello.txt')).toBe('v1\n');
    expect(read(fs, 'src/sub/inner.txt')).toBe('in\n');
    expect([mode(fs, 'src/bin/run.sh'), mode(fs, 'src/hello.txt'), mode(fs, 'src/sub')]).toEqual([
      '755',
      '644',
      '755',
    ]);
    const st = statSync(join(fs, 'src/hello.txt'));
    expect([st.uid, st.gid]).toEqual([0, 0]);
    // The commit's time, so the same commit gives the same layer anywhere.
    expect(Math.round(st.mtimeMs / 1000)).toBeGreaterThanOrEqual(1_700_000_000);
    expect(Math.round(st.mtimeMs / 1000)).toBeLessThan(1_700_100_000);
    expect(existsSync(join(fs, 'src/.git'))).toBe(false);
    expect((await configOf(root, 'ag-tag')).history?.at(-1)?.created_by).toBe(
      `ADD ${url}#v1 /src # buildkit`,
    );
  });

  it('takes a folder (#ref:folder), and applies --chown and --chmod', async () => {
    const ctx = contextOf({
      Dockerfile: `FROM busybox\nADD --chown=1000:1000 --chmod=go-rwx ${url}#main:sub /only/\n`,
    });
    await buildIn(root, { context: ctx, tags: ['ag-sub'] });
    const fs = await flatten(root, 'ag-sub');
    expect(read(fs, 'only/inner.txt')).toBe('in\n');
    expect(existsSync(join(fs, 'only/hello.txt'))).toBe(false);
    const st = statSync(join(fs, 'only/inner.txt'));
    expect([st.uid, st.gid, (st.mode & 0o777).toString(8)]).toEqual([1000, 1000, '600']);
  });

  it('keeps .git with --keep-git-dir=true, at the commit', async () => {
    const ctx = contextOf({ Dockerfile: `FROM busybox\nADD --keep-git-dir=true ${url}#v1 /k\n` });
    await buildIn(root, { context: ctx, tags: ['ag-keep'] });
    const fs = await flatten(root, 'ag-keep');
    expect(read(fs, 'k/.git/HEAD').trim()).toBe(v1);
    expect(lstatSync(join(fs, 'k/.git')).isDirectory()).toBe(true);
  });

  it('over git:// too', async () => {
    const ctx = contextOf({ Dockerfile: `FROM busybox\nADD ${daemon.url}/src.git#v1 /d/\n` });
    await buildIn(root, { context: ctx, tags: ['ag-daemon'] });
    expect(read(await flatten(root, 'ag-daemon'), 'd/hello.txt')).toBe('v1\n');
  });

  it('hits the cache while the ref resolves to the same commit, and misses when it moves', async () => {
    const ctx = contextOf({ Dockerfile: `FROM busybox\nADD ${url}#main /m/\n` });
    const text = `ADD ${url}#main /m/`;
    expect((await buildIn(root, { context: ctx })).cached[text]).toBe(false);
    expect((await buildIn(root, { context: ctx })).cached[text]).toBe(true);
    pushToMain('v2\n');
    const moved = await buildIn(root, { context: ctx, tags: ['ag-moved'] });
    expect(moved.cached[text]).toBe(false);
    expect(read(await flatten(root, 'ag-moved'), 'm/hello.txt')).toBe('v2\n');
    const pinned = contextOf({ Dockerfile: `FROM busybox\nADD ${url}#v1 /src\n` });
    expect((await buildIn(root, { context: pinned })).cached[`ADD ${url}#v1 /src`]).toBe(true);
  });

  it('checks --checksum against the commit the ref resolves to', async () => {
    const ok = contextOf({
      Dockerfile: `FROM busybox\nADD --checksum=${v1} ${url}#v1 /c/\n`,
    });
    await buildIn(root, { context: ok, tags: ['ag-sum'] });
    const bad = contextOf({
      Dockerfile: `FROM busybox\nADD --checksum=${'0'.repeat(40)} ${url}#v1 /c/\n`,
    });
    const e = await rejected(buildIn(root, { context: bad }));
    expect(e).toMatchObject({
      code: 'CHECKSUM_MISMATCH',
      message: `Dockerfile:2:1: ADD --checksum=${'0'.repeat(40)}: ${url}#v1 resolved to commit ${v1}`,
    });
  });

  it('uses the credentials a git context uses, and keeps them out of the store', async () => {
    const priv = `${srv.url}/private.git`;
    const ctx = contextOf({ Dockerfile: `FROM busybox\nADD ${priv} /p/\n` });
    const denied = await rejected(buildIn(root, { context: ctx }));
    expect(denied).toBeInstanceOf(DockerfileError);
    expect(denied).toMatchObject({
      code: 'GIT_AUTH_FAILED',
      message: `Dockerfile:2:1: ${priv}: authentication failed (HTTP 401); no credentials were given (GIT_AUTH_TOKEN, GIT_AUTH_HEADER, ~/.git-credentials)`,
    });
    await buildIn(root, {
      context: ctx,
      tags: ['ag-private'],
      env: { HOME: '/nonexistent', GIT_AUTH_TOKEN: SECRET },
    });
    expect(read(await flatten(root, 'ag-private'), 'p/secret.txt')).toBe('private\n');
    const store = await Store.open(root);
    const records = JSON.stringify(await store.cache.list());
    expect(records).not.toContain(SECRET);
  });

  it("refuses Dockerfile 1.17's query form at the source, rather than fetch a wrong URL", async () => {
    const ctx = contextOf({ Dockerfile: `FROM busybox\nADD ${url}?ref=v1 /q/\n` });
    const e = await rejected(buildIn(root, { context: ctx }));
    expect(e).toMatchObject({
      code: 'ADD_GIT_QUERY',
      message: `Dockerfile:2:5: ADD ${url}?ref=v1: git URL query parameters (?ref=, ?subdir=, ?keep-git-dir=, ?checksum=) are not supported; write #ref:folder and --keep-git-dir, --checksum`,
    });
  });

  it('is refused for COPY, at its line', async () => {
    const ctx = contextOf({ Dockerfile: `FROM busybox\nCOPY ${url}#v1 /src\n` });
    const e = await rejected(buildIn(root, { context: ctx }));
    expect(e).toMatchObject({
      code: 'COPY_GIT',
      message: `Dockerfile:2:1: source can't be a git ref for COPY: ${url}#v1 (use ADD)`,
    });
  });
});
