/**
 * The loopback git servers and fixture repos of test/setup/ work with real
 * clients: the git CLI over smart HTTP (with and without auth, shallow, by
 * commit id, with recursive submodules) and git://, and isomorphic-git, which
 * git build contexts use. Stopping a server leaves no process behind.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bigRepo,
  DOCKERFILE,
  standardRepo,
  submoduleRepos,
  type StandardRepo,
} from '../setup/git-repos.js';
import { startGitDaemon, startGitHttp, type GitHttpServer } from '../setup/git-server.js';
import { tempRoot } from '../helpers/tmp.js';

const run = promisify(execFile);

/** The git CLI as a client: no user config, never prompting for a password. */
async function client(cwd: string, ...args: string[]) {
  const env = {
    PATH: process.env.PATH,
    HOME: cwd,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '/bin/false',
  };
  const { stdout } = await run('git', args, { cwd, env });
  return stdout.trim();
}

/** Our descendants whose command is git's, read from /proc. */
function gitDescendants(): string[] {
  const parent = new Map<number, number>();
  const comm = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // comm may hold spaces and parentheses; the fields after the last ')' do not.
      const close = stat.lastIndexOf(')');
      comm.set(Number(entry), stat.slice(stat.indexOf('(') + 1, close));
      parent.set(Number(entry), Number(stat.slice(close + 2).split(' ')[1]));
    } catch {
      // exited while we looked
    }
  }
  const ours = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === process.pid) return true;
    }
    return false;
  };
  return [...comm].filter(([pid, c]) => c.startsWith('git') && ours(pid)).map(([, c]) => c);
}

describe('loopback git servers', () => {
  let root: string;
  let work: string;
  let ids: StandardRepo;
  let subs: ReturnType<typeof submoduleRepos>;
  let srv: GitHttpServer;
  const user = { user: 'alice', password: 's3cret' };

  beforeAll(async () => {
    root = tempRoot('tsbuild-gitsrv-');
    work = tempRoot('tsbuild-gitclient-');
    ids = standardRepo(join(root, 'repos'));
    subs = submoduleRepos(join(root, 'repos'));
    fs.cpSync(ids.path, join(root, 'repos/private.git'), { recursive: true });
    fs.mkdirSync(join(root, 'files'));
    writeFileSync(join(root, 'files/ctx.tar'), Buffer.from([0, 1, 2, 255, 10, 13, 0]));
    srv = await startGitHttp({
      root: join(root, 'repos'),
      private: { private: user },
      files: join(root, 'files'),
    });
  });

  // Removing the benchmark repo's 5,000-file checkout takes seconds where unlinks are
  // slow (this disk is mounted with `discard`: 5,000 unlinks took 8.5 s here), past
  // the 10 s default for hooks under load; the test file's own budget bounds it instead.
  afterAll(async () => {
    await srv?.stop();
    await fs.promises.rm(root, { recursive: true, force: true });
    await fs.promises.rm(work, { recursive: true, force: true });
  }, 120_000);

  it('makes the same commit ids every time', () => {
    const again = standardRepo(join(root, 'again'));
    expect({ ...again, path: '' }).toEqual({ ...ids, path: '' });
    const distinct = [ids.first, ids.main, ids.mybranch, ids.mytag, ids.v1, ids.bothTag];
    expect(new Set([...distinct, ids.bothBranch]).size).toBe(7);
  });

  it('clones over smart HTTP, full and shallow', async () => {
    await client(work, 'clone', '-q', `${srv.url}/standard.git`, 'full');
    const full = join(work, 'full');
    expect(await client(full, 'rev-parse', 'HEAD')).toBe(ids.main);
    expect(await client(full, 'rev-parse', 'origin/mybranch')).toBe(ids.mybranch);
    expect(await client(full, 'rev-parse', 'v1.0^{commit}')).toBe(ids.v1);
    expect(await client(full, 'rev-parse', 'refs/tags/both')).toBe(ids.bothTag);
    expect(readFileSync(join(full, 'Dockerfile'), 'utf8')).toBe(DOCKERFILE);
    expect(readlinkSync(join(full, 'escape'))).toBe('../../../../etc');
    expect(readlinkSync(join(full, 'myfolder/up'))).toBe('../README');
    expect(statSync(join(full, 'run.sh')).mode & 0o777).toBe(0o755);
    expect(srv.requests).toContainEqual({
      method: 'GET',
      path: '/standard.git/info/refs?service=git-upload-pack',
    });
    expect(srv.requests).toContainEqual({ method: 'POST', path: '/standard.git/git-upload-pack' });

    await client(work, 'clone', '-q', '--depth', '1', `${srv.url}/standard.git`, 'shallow');
    const shallow = join(work, 'shallow');
    expect(await client(shallow, 'rev-list', '--count', 'HEAD')).toBe('1');
    expect(await client(shallow, 'rev-parse', 'HEAD')).toBe(ids.main);
  });

  it('clones a private repo only with its credentials', async () => {
    const noAuth = client(work, 'clone', '-q', `${srv.url}/private.git`, 'p1');
    await expect(noAuth).rejects.toMatchObject({ code: 128 });
    const wrong = `http://alice:nope@127.0.0.1:${srv.port}/private.git`;
    await expect(client(work, 'clone', '-q', wrong, 'p2')).rejects.toMatchObject({ code: 128 });
    const right = `http://alice:s3cret@127.0.0.1:${srv.port}/private.git`;
    await client(work, 'clone', '-q', right, 'p3');
    expect(await client(join(work, 'p3'), 'rev-parse', 'HEAD')).toBe(ids.main);
    const basic = 'Basic ' + Buffer.from('alice:s3cret').toString('base64');
    expect(srv.requests.filter((r) => r.path.startsWith('/private.git/'))).toContainEqual({
      method: 'POST',
      path: '/private.git/git-upload-pack',
      auth: basic,
    });
  });

  it('speaks protocol v2, and v0 with gzipped request bodies', async () => {
    const dir = join(work, 'protocols');
    const trace = { GIT_TRACE_CURL: '1', GIT_TRACE_CURL_NO_DATA: '1' };
    const v2 = await run('git', ['clone', '-q', `${srv.url}/standard.git`, dir], {
      env: { PATH: process.env.PATH, GIT_CONFIG_GLOBAL: '/dev/null', ...trace },
    });
    expect(v2.stderr).toContain('Git-Protocol: version=2');
    // Over 1 KiB of "have" lines is what makes git gzip a request.
    for (let i = 0; i < 100; i++) {
      await client(
        dir,
        '-c',
        'user.name=t',
        '-c',
        'user.email=t@t',
        'commit',
        '-q',
        '--allow-empty',
        `-m${i}`,
      );
    }
    const v0 = await run(
      'git',
      ['-c', 'protocol.version=0', 'fetch', '--depth=3', 'origin', 'mybranch'],
      {
        cwd: dir,
        env: { PATH: process.env.PATH, GIT_CONFIG_GLOBAL: '/dev/null', ...trace },
      },
    );
    expect(v0.stderr).toContain('Content-Encoding: gzip');
    expect(await client(dir, 'rev-parse', 'FETCH_HEAD')).toBe(ids.mybranch);
  });

  it('fetches a commit that is no ref tip, by id', async () => {
    const dir = join(work, 'byid');
    fs.mkdirSync(dir);
    await client(dir, 'init', '-q');
    await client(dir, 'remote', 'add', 'origin', `${srv.url}/standard.git`);
    await client(dir, 'fetch', '-q', '--depth', '1', 'origin', ids.first);
    expect(await client(dir, 'rev-parse', 'FETCH_HEAD')).toBe(ids.first);
    await client(dir, 'checkout', '-q', 'FETCH_HEAD');
    expect(readFileSync(join(dir, 'myfolder/hello.txt'), 'utf8')).toBe('hello from first\n');
  });

  it('clones submodules recursively through relative URLs, at the pinned commits', async () => {
    await client(work, 'clone', '-q', '--recurse-submodules', `${srv.url}/app.git`, 'app');
    const app = join(work, 'app');
    expect(await client(app, 'rev-parse', 'HEAD')).toBe(subs.app);
    expect(await client(join(app, 'vendor/lib'), 'rev-parse', 'HEAD')).toBe(subs.libPinned);
    expect(subs.libPinned).not.toBe(subs.libTip);
    expect(readFileSync(join(app, 'vendor/lib/lib.txt'), 'utf8')).toBe('lib, pinned\n');
    expect(await client(join(app, 'vendor/lib/deep'), 'rev-parse', 'HEAD')).toBe(subs.deep);
    expect(readFileSync(join(app, 'vendor/lib/deep/deep.txt'), 'utf8')).toBe('deep submodule\n');
    expect(readFileSync(join(app, '.gitmodules'), 'utf8')).toContain('url = ../lib.git');
    expect(srv.requests.map((r) => r.path)).toContain('/deep.git/git-upload-pack');
  });

  it('serves /files/ byte for byte, and 404s what is not there', async () => {
    const got = await fetch(`${srv.url}/files/ctx.tar`);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer())).toEqual(readFileSync(join(root, 'files/ctx.tar')));
    expect((await fetch(`${srv.url}/files/missing.tar`)).status).toBe(404);
    expect((await fetch(`${srv.url}/files/..%2frepos%2fstandard.git%2fHEAD`)).status).toBe(404);
    expect((await fetch(`${srv.url}/nothere.git/info/refs?service=git-upload-pack`)).status).toBe(
      404,
    );
  });

  it('serves isomorphic-git, which git contexts use: shallow, single ref, v1', async () => {
    const dir = join(work, 'iso');
    const url = `${srv.url}/standard.git`;
    await git.clone({ fs, http, dir, url, depth: 1, singleBranch: true, ref: 'main' });
    expect(await git.resolveRef({ fs, dir, ref: 'HEAD' })).toBe(ids.main);
    expect(readFileSync(join(dir, 'myfolder/hello.txt'), 'utf8')).toBe('hello from main\n');

    const priv = join(work, 'iso-private');
    const privUrl = `${srv.url}/private.git`;
    const denied = git.clone({ fs, http, dir: priv, url: privUrl, depth: 1, singleBranch: true });
    await expect(denied).rejects.toMatchObject({ code: 'HttpError' });
    const onAuth = () => ({ username: user.user, password: user.password });
    await git.clone({ fs, http, dir: priv, url: privUrl, depth: 1, singleBranch: true, onAuth });
    expect(await git.resolveRef({ fs, dir: priv, ref: 'HEAD' })).toBe(ids.main);
  });

  it('writes the benchmark repo, and it clones', async () => {
    const big = bigRepo(join(root, 'repos'), { files: 5000, commits: 200 });
    await client(work, 'clone', '-q', '--depth', '1', `${srv.url}/big.git`, 'big');
    expect(await client(join(work, 'big'), 'rev-parse', 'HEAD')).toBe(big.main);
    const tracked = await client(join(work, 'big'), 'ls-files');
    expect(tracked.split('\n')).toHaveLength(5001);
    expect(await client(big.path, 'rev-list', '--count', 'main')).toBe('200');
  });

  it('clones over git:// and leaves no process after stop()', async () => {
    const daemon = await startGitDaemon(join(root, 'repos'));
    try {
      expect(daemon.url).toMatch(/^git:\/\/127\.0\.0\.1:\d+$/);
      await client(work, 'clone', '-q', `${daemon.url}/standard.git`, 'daemon');
      expect(await client(join(work, 'daemon'), 'rev-parse', 'HEAD')).toBe(ids.main);
      expect(gitDescendants().length).toBeGreaterThan(0);
    } finally {
      await daemon.stop();
    }
    const other = await startGitHttp({ root: join(root, 'repos') });
    await client(work, 'clone', '-q', '--depth', '1', `${other.url}/standard.git`, 'other');
    await other.stop();
    expect(gitDescendants()).toEqual([]);
    await expect(fetch(`${other.url}/standard.git/info/refs`)).rejects.toThrow();
  });
});
