/**
 * Building from git URLs and remote URLs (issue 6), against real servers on
 * loopback: git's own http-backend behind a Node server, git daemon, and a
 * /files/ route for remote tarballs and Dockerfiles. Every row of the issue's
 * table, tag vs branch, commit ids, submodules, credentials, the cache, the
 * errors, and the image of a git URL equal to the image of a local checkout.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  symlinkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejected } from '../helpers/caught.js';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';
import { startGitDaemon, startGitHttp, type GitHttpServer } from '../setup/git-server.js';
import { startSshd } from '../setup/sshd.js';
import {
  makeRepo,
  standardRepo,
  submoduleRepos,
  writeFiles,
  type StandardRepo,
  type SubmoduleRepos,
} from '../setup/git-repos.js';
import { buildIn, configOf, flatten, storeWithBusybox } from './harness.js';

const SECRET = 's3cr3t-pw';
let repos: string;
let files: string;
let ids: StandardRepo;
let subs: SubmoduleRepos;
let srv: GitHttpServer;
let daemon: { url: string; stop(): Promise<void> };
let root: string;
let std: string;

beforeAll(async () => {
  repos = tempRoot('tsbuild-git-repos-');
  ids = standardRepo(repos);
  subs = submoduleRepos(repos);
  makeRepo(repos, 'runner', (work, git) => {
    writeFiles(work, {
      Dockerfile:
        'FROM busybox\nCOPY . /src/\nRUN echo "$(stat -c %a /src/tool.sh) $(/src/tool.sh)" > /out\n',
      'tool.sh': '#!/bin/sh\necho run me\n',
    });
    chmodSync(join(work, 'tool.sh'), 0o755);
    git('add', '-A');
    git('commit', '-q', '-m', 'runner');
  });
  makeRepo(repos, 'ignored', (work, git) => {
    writeFiles(work, {
      'app/Dockerfile': 'FROM scratch\nCOPY . /ctx/\n',
      'app/.dockerignore': 'secret.txt\n',
      'app/secret.txt': 'not for the image\n',
      'app/keep.txt': 'kept\n',
      '.dockerignore': 'keep.txt\n',
    });
    git('add', '-A');
    git('commit', '-q', '-m', 'ignored');
  });
  makeRepo(repos, 'secret', (work, git) => {
    writeFiles(work, { Dockerfile: 'FROM scratch\nCOPY . /ctx/\n', 'private.txt': 'private\n' });
    git('add', '-A');
    git('commit', '-q', '-m', 'private');
  });
  files = tempRoot('tsbuild-git-files-');
  mkdirSync(join(files, 'ctx'));
  writeFileSync(join(files, 'ctx/Dockerfile'), 'FROM scratch\nCOPY a.txt /a.txt\n');
  writeFileSync(join(files, 'ctx/a.txt'), 'from a remote tarball\n');
  execFileSync('tar', ['-czf', join(files, 'ctx.tar.gz'), '-C', join(files, 'ctx'), '.']);
  writeFileSync(join(files, 'Dockerfile'), 'FROM scratch\nLABEL from=remote-dockerfile\n');
  srv = await startGitHttp({
    root: repos,
    files,
    private: { secret: { user: 'x-access-token', password: SECRET } },
  });
  daemon = await startGitDaemon(repos);
  root = tempRoot('tsbuild-git-store-');
  std = `${srv.url}/standard.git`;
}, 60_000);

afterAll(async () => {
  await srv?.stop();
  await daemon?.stop();
});

const read = (dir: string, path: string) => readFileSync(join(dir, path), 'utf8');

async function built(context: string, tag: string, extra = {}): Promise<string> {
  await buildIn(root, { context, tags: [tag], ...extra });
  return flatten(root, tag);
}

describe('the issue table: ref and folder from the fragment', () => {
  it('no fragment: the default branch, at the root', async () => {
    const fs = await built(std, 'g-default');
    expect(read(fs, 'ctx/myfolder/hello.txt')).toBe('hello from main\n');
    expect(existsSync(join(fs, 'ctx/.git'))).toBe(false);
  });

  it('#mytag, #mybranch, an annotated tag, and a name that is both (the tag wins, as in git)', async () => {
    const tag = await built(`${std}#mytag`, 'g-tag');
    expect(readdirSync(join(tag, 'ctx')).sort()).toEqual(
      ['Dockerfile', 'README', 'escape', 'myfolder', 'nested', 'run.sh'].sort(),
    );
    expect(read(await built(`${std}#mybranch`, 'g-branch'), 'ctx/mybranch.txt')).toBe(
      'only here\n',
    );
    expect(read(await built(`${std}#v1.0`, 'g-v1'), 'ctx/README')).toBe(
      'standard fixture at v1.0\n',
    );
    expect(read(await built(`${std}#both`, 'g-both'), 'ctx/both.txt')).toBe('both: tag\n');
  });

  it('a commit id, full or abbreviated, that no ref points at', async () => {
    const full = await built(`${std}#${ids.first}`, 'g-sha');
    expect(readdirSync(join(full, 'ctx')).sort()).toEqual(['Dockerfile', 'README', 'myfolder']);
    const short = await built(`${std}#${ids.first.slice(0, 8)}`, 'g-short');
    expect(read(short, 'ctx/myfolder/hello.txt')).toBe('hello from first\n');
  });

  it('#:myfolder, #branch:myfolder, #tag:myfolder, #sha:myfolder use the folder and its Dockerfile', async () => {
    const cases: [string, string][] = [
      [`${std}#:myfolder`, 'hello from main\n'],
      [`${std}#main:myfolder`, 'hello from main\n'],
      [`${std}#mybranch:myfolder`, 'hello from first\n'],
      [`${std}#mytag:myfolder`, 'hello from first\n'],
      [`${std}#${ids.first}:myfolder`, 'hello from first\n'],
    ];
    for (const [url, hello] of cases) {
      const fs = await built(url, 'g-folder');
      // myfolder/Dockerfile copies to /sub/.
      expect([url, read(fs, 'sub/hello.txt')]).toEqual([url, hello]);
      expect(existsSync(join(fs, 'ctx'))).toBe(false);
    }
  });

  it('ssh:// through the system git and a real sshd', async () => {
    const sshd = await startSshd();
    try {
      const url = `ssh://root@127.0.0.1:${sshd.port}${ids.path}#mybranch:myfolder`;
      const env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: '/nonexistent',
        GIT_SSH_COMMAND: sshd.sshCommand,
      };
      await buildIn(root, { context: url, tags: ['g-ssh'], env });
      expect(read(await flatten(root, 'g-ssh'), 'sub/hello.txt')).toBe('hello from first\n');
      // Without the key: a clear error naming the URL, not a prompt.
      const refused = await rejected(
        buildIn(root, {
          context: `ssh://root@127.0.0.1:${sshd.port}${ids.path}`,
          env: {
            ...env,
            GIT_SSH_COMMAND:
              'ssh -o BatchMode=yes -o IdentitiesOnly=yes -i /nonexistent -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no',
          },
        }),
      );
      expect(refused).toMatchObject({ code: 'GIT_FETCH_FAILED' });
      expect(refused.message).toContain(`ssh://root@127.0.0.1:${sshd.port}`);
    } finally {
      await sshd.stop();
    }
  });

  it('git:// through git daemon', async () => {
    const fs = await built(`${daemon.url}/standard.git#mybranch:myfolder`, 'g-daemon');
    expect(read(fs, 'sub/hello.txt')).toBe('hello from first\n');
  });
});

describe('the tree', () => {
  it('has git modes, symlinks as symlinks, and the commit time as every mtime', async () => {
    const fs = await built(`${std}#mytag`, 'g-modes');
    expect(lstatSync(join(fs, 'ctx/run.sh')).mode & 0o7777).toBe(0o755);
    expect(lstatSync(join(fs, 'ctx/README')).mode & 0o7777).toBe(0o644);
    expect(lstatSync(join(fs, 'ctx/nested/deeper')).mode & 0o7777).toBe(0o755);
    expect(readlinkSync(join(fs, 'ctx/escape'))).toBe('../../../../etc');
    const when = Number(
      execFileSync('git', ['--git-dir', ids.path, 'show', '-s', '--format=%ct', ids.mytag], {
        encoding: 'utf8',
      }).trim(),
    );
    // Files only: COPY gives directories the copy's time, as BuildKit 20.10 does.
    for (const p of ['ctx/run.sh', 'ctx/nested/deeper/file.txt', 'ctx/README'])
      expect([p, Math.floor(lstatSync(join(fs, p)).mtimeMs / 1000)]).toEqual([p, when]);
  });

  it('with SOURCE_DATE_EPOCH: commit-time mtimes older than it are kept, and --verify finds the build reproducible', async () => {
    const when = Number(
      execFileSync('git', ['--git-dir', ids.path, 'show', '-s', '--format=%ct', ids.mytag], {
        encoding: 'utf8',
      }).trim(),
    );
    // BuildKit's git source with SOURCE_DATE_EPOCH gives files the commit's time
    // (moby/buildkit#6600); the exporter clamps only times after the epoch.
    const epoch = when + 86_400;
    const r = await buildIn(root, {
      context: `${std}#mytag`,
      tags: ['g-epoch'],
      buildArgs: { SOURCE_DATE_EPOCH: String(epoch) },
      verify: true,
    });
    expect(r.verify!.reproducible).toBe(true);
    const fs = await flatten(root, 'g-epoch');
    for (const p of ['ctx/run.sh', 'ctx/README'])
      expect([p, Math.floor(lstatSync(join(fs, p)).mtimeMs / 1000)]).toEqual([p, when]);
    // A directory COPY made gets the step's time: clamped to the epoch.
    expect(Math.floor(lstatSync(join(fs, 'ctx')).mtimeMs / 1000)).toBe(epoch);
  });

  it('keeps .git only with BUILDKIT_CONTEXT_KEEP_GIT_DIR=1, HEAD at the commit', async () => {
    const r = await buildIn(root, {
      context: `${std}#mybranch`,
      tags: ['g-keep'],
      buildArgs: { BUILDKIT_CONTEXT_KEEP_GIT_DIR: '1' },
    });
    expect(r.events.some((e) => e.type === 'warning')).toBe(false);
    const fs = await flatten(root, 'g-keep');
    expect(read(fs, 'ctx/.git/HEAD').trim()).toBe(ids.mybranch);
    const log = execFileSync(
      'git',
      ['--git-dir', join(fs, 'ctx/.git'), 'log', '-1', '--format=%H'],
      {
        encoding: 'utf8',
      },
    );
    expect(log.trim()).toBe(ids.mybranch);
  });

  it("applies the folder's .dockerignore (not the repository root's)", async () => {
    const fs = await built(`${srv.url}/ignored.git#:app`, 'g-ignore');
    expect(readdirSync(join(fs, 'ctx')).sort()).toEqual([
      '.dockerignore',
      'Dockerfile',
      'keep.txt',
    ]);
  });

  it('fetches a branch at depth 1', () => {
    const shallow = readdirSync(join(root, 'git/repos')).filter((n) => n.endsWith('-1'));
    expect(shallow.length).toBeGreaterThan(0);
    for (const r of shallow) expect(existsSync(join(root, 'git/repos', r, 'shallow'))).toBe(true);
  });

  it('checks submodules out recursively at the commits their gitlinks record', async () => {
    const fs = await built(`${srv.url}/app.git`, 'g-subs');
    expect(read(fs, 'ctx/app.txt')).toBe('app\n');
    expect(read(fs, 'ctx/vendor/lib/lib.txt')).toBe('lib, pinned\n');
    expect(read(fs, 'ctx/vendor/lib/deep/deep.txt')).toBe('deep submodule\n');
    expect(subs.libTip).not.toBe(subs.libPinned);
  });

  it('never follows a symlink out of the repository: folder, -f or COPY', async () => {
    const folder = await rejected(buildIn(root, { context: `${std}#mytag:escape` }));
    expect(folder).toMatchObject({ code: 'GIT_FOLDER_NOT_FOUND' });
    expect(folder.message).toContain(`${std}`);
    const dashF = await rejected(
      buildIn(root, { context: `${std}#mytag`, dockerfile: 'escape/passwd' }),
    );
    expect(dashF).toMatchObject({ code: 'DOCKERFILE_NOT_FOUND' });
    const up = await rejected(
      buildIn(root, { context: `${std}#mytag:myfolder`, dockerfile: '../../Dockerfile' }),
    );
    expect(up).toMatchObject({ code: 'DOCKERFILE_NOT_FOUND' });
  });

  it('reads -f relative to the folder, or from the repository root when absolute', async () => {
    await buildIn(root, {
      context: `${std}#main:myfolder`,
      dockerfile: '/Dockerfile',
      tags: ['g-f'],
    });
    // The root Dockerfile copies the context (the folder) to /ctx/.
    expect(read(await flatten(root, 'g-f'), 'ctx/hello.txt')).toBe('hello from main\n');
  });
});

describe('hostile repositories (review findings, each reproduced first)', () => {
  /** A raw git tree object, entries as given (git's own tools refuse duplicates). */
  function rawTree(bare: string, entries: [string, string, string][]): string {
    const body = Buffer.concat(
      entries.map(([mode, name, oid]) =>
        Buffer.concat([Buffer.from(`${mode} ${name}\0`), Buffer.from(oid, 'hex')]),
      ),
    );
    return execFileSync('git', ['hash-object', '-t', 'tree', '--literally', '-w', '--stdin'], {
      cwd: bare,
      input: body,
      encoding: 'utf8',
    }).trim();
  }
  const gitAt = (bare: string, ...args: string[]) =>
    execFileSync('git', args, {
      cwd: bare,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    }).trim();

  it('a tree naming one entry twice (a directory and a symlink out) is refused; nothing is written outside', async () => {
    const outside = tempRoot('tsbuild-git-outside-');
    const bare = join(repos, 'dup.git');
    execFileSync('git', ['init', '-q', '--bare', bare]);
    const blob = (text: string) =>
      execFileSync('git', ['hash-object', '-w', '--stdin'], {
        cwd: bare,
        input: text,
        encoding: 'utf8',
      }).trim();
    const pwned = rawTree(bare, [['100644', 'pwned.txt', blob('pwned\n')]]);
    const x = rawTree(bare, [['40000', 'x', pwned]]);
    const link = rawTree(bare, [['120000', 'x', blob(outside)]]);
    const root = rawTree(bare, [
      ['100644', 'Dockerfile', blob('FROM scratch\nCOPY . /ctx/\n')],
      ['40000', 'sub', link],
      ['40000', 'sub', x],
    ]);
    const commit = gitAt(bare, 'commit-tree', root, '-m', 'evil');
    gitAt(bare, 'update-ref', 'refs/heads/main', commit);
    gitAt(bare, 'symbolic-ref', 'HEAD', 'refs/heads/main');
    const e = await rejected(
      buildIn(tempRoot('tsbuild-git-evil-'), { context: `${srv.url}/dup.git` }),
    );
    expect(e).toMatchObject({ code: 'GIT_BAD_TREE' });
    expect(readdirSync(outside)).toEqual([]);
  });

  it("the context's credentials never go to a submodule on another origin", async () => {
    const other = await startGitHttp({ root: repos });
    try {
      makeRepo(repos, 'super', (work, git) => {
        writeFiles(work, { Dockerfile: 'FROM scratch\nCOPY . /ctx/\n' });
        // Added from the path (a sync clone from a server in this process would hang),
        // then pointed at the other origin.
        git(
          '-c',
          'protocol.file.allow=always',
          'submodule',
          '--quiet',
          'add',
          join(repos, 'lib.git'),
          'lib',
        );
        git('config', '-f', '.gitmodules', 'submodule.lib.url', `${other.url}/lib.git`);
        git('add', '-A');
        git('commit', '-q', '-m', 'super');
      });
      const store = tempRoot('tsbuild-git-creds-');
      await buildIn(store, {
        context: `${srv.url}/super.git`,
        env: { HOME: '/nonexistent', GIT_AUTH_HEADER: 'Bearer TOKEN-123' },
      });
      expect(srv.requests.some((r) => r.auth !== undefined)).toBe(true);
      expect(other.requests.length).toBeGreaterThan(0);
      expect(other.requests.filter((r) => r.auth !== undefined)).toEqual([]);
    } finally {
      await other.stop();
    }
  });

  it('a .dockerignore that is a symlink out of the repository is not read', async () => {
    const hostFile = join(tempRoot('tsbuild-git-hostignore-'), 'ignore');
    writeFileSync(hostFile, 'keep.txt\n');
    makeRepo(repos, 'linkedignore', (work, git) => {
      writeFiles(work, { Dockerfile: 'FROM scratch\nCOPY . /ctx/\n', 'keep.txt': 'kept\n' });
      symlinkSync(hostFile, join(work, '.dockerignore'));
      git('add', '-A');
      git('commit', '-q', '-m', 'linked ignore');
    });
    const fs = await built(`${srv.url}/linkedignore.git`, 'g-linkedignore');
    expect(read(fs, 'ctx/keep.txt')).toBe('kept\n');
  });

  it('a missing folder leaves nothing in a fresh store: no tree, no repository', async () => {
    const store = tempRoot('tsbuild-git-nothing-');
    const e = await rejected(buildIn(store, { context: `${std}#main:nope` }));
    expect(e).toMatchObject({ code: 'GIT_FOLDER_NOT_FOUND' });
    expect(readdirSync(join(store, 'git/trees'))).toEqual([]);
    expect(readdirSync(join(store, 'git/repos'))).toEqual([]);
  });
});

describe('the cache', () => {
  it('a second build of the ref fetches nothing and hits every step', async () => {
    const first = await buildIn(root, { context: `${std}#v1.0`, tags: ['g-cache'] });
    const before = srv.requests.length;
    const again = await buildIn(root, { context: `${std}#v1.0`, tags: ['g-cache'] });
    const since = srv.requests.slice(before);
    expect(since.filter((r) => r.method === 'POST')).toEqual([]);
    expect(since.length).toBe(1); // the ref list
    expect(again.id).toBe(first.id);
    expect(Object.values(again.cached)).toEqual([true]);
  });

  it('a local checkout of the same commit hits the cache: same checksums, same layers, same image', async () => {
    const fromGit = await buildIn(root, { context: `${std}#mytag`, tags: ['g-eq'] });
    const local = join(tempRoot('tsbuild-git-checkout-'), 'co');
    execFileSync('git', ['clone', '-q', '--branch', 'mytag', ids.path, local]);
    execFileSync('rm', ['-rf', join(local, '.git')]);
    // Checksums leave mtimes out: the clone's own (its checkout time) do not matter.
    const fromDir = await buildIn(root, { context: local, tags: ['g-eq-local'] });
    expect(Object.values(fromDir.cached)).toEqual([true]);
    expect((await configOf(root, 'g-eq-local')).rootfs).toEqual(
      (await configOf(root, 'g-eq')).rootfs,
    );
    expect(fromDir.id).toBe(fromGit.id);
  });

  it('runs real RUN steps over a git context, and hits them on the next build', async () => {
    const bb = await storeWithBusybox();
    const url = `${srv.url}/runner.git`;
    const first = await buildIn(bb, { context: url, tags: ['g-run'] });
    const fs = await flatten(bb, 'g-run');
    expect(read(fs, 'out')).toBe('755 run me\n');
    const again = await buildIn(bb, { context: url, tags: ['g-run'] });
    expect(again.id).toBe(first.id);
    expect(Object.values(again.cached)).toEqual([true, true]);
  });
});

describe('credentials and errors', () => {
  const secret = () => `${srv.url}/secret.git`;

  it('a private repository: refused without credentials, built with any of the four kinds', async () => {
    const none = await rejected(
      buildIn(root, { context: secret(), env: { HOME: '/nonexistent' } }),
    );
    expect(none).toMatchObject({ code: 'GIT_AUTH_FAILED' });
    expect(none.message).toContain(secret());

    const inUrl = secret().replace('http://', `http://x-access-token:${SECRET}@`);
    await buildIn(root, { context: inUrl, tags: ['g-priv'], env: { HOME: '/nonexistent' } });
    expect(read(await flatten(root, 'g-priv'), 'ctx/private.txt')).toBe('private\n');

    await buildIn(root, {
      context: secret(),
      env: { HOME: '/nonexistent', GIT_AUTH_TOKEN: SECRET },
    });
    const basic = Buffer.from(`x-access-token:${SECRET}`).toString('base64');
    await buildIn(root, {
      context: secret(),
      env: { HOME: '/nonexistent', GIT_AUTH_HEADER: `Basic ${basic}` },
    });
    const home = tempRoot('tsbuild-git-home-');
    writeFileSync(
      join(home, '.git-credentials'),
      `${srv.url.replace('http://', `http://x-access-token:${SECRET}@`)}\n`,
    );
    await buildIn(root, { context: secret(), env: { HOME: home } });
  });

  it('a wrong password fails and never shows it', async () => {
    const wrong = secret().replace('http://', 'http://x-access-token:not-it@');
    const e = await rejected(buildIn(root, { context: wrong, env: { HOME: '/nonexistent' } }));
    expect(e).toMatchObject({ code: 'GIT_AUTH_FAILED' });
    expect(e.message).not.toContain('not-it');
    expect(e.message).toContain('***@');
  });

  it('the secret is nowhere in the store: not in images, cache records or repositories', () => {
    const grep = spawnSync('grep', ['-rlF', SECRET, root], { encoding: 'utf8' });
    expect(grep.status).toBe(1); // no match
    expect(grep.stdout).toBe('');
  });

  it('a missing ref, a missing folder, a missing repository, an unreachable host: clear errors, nothing left', async () => {
    const ref = await rejected(buildIn(root, { context: `${std}#nope` }));
    expect(ref).toMatchObject({ code: 'GIT_REF_NOT_FOUND' });
    expect(ref.message).toContain('"nope"');
    const folder = await rejected(buildIn(root, { context: `${std}#main:nope` }));
    expect(folder).toMatchObject({ code: 'GIT_FOLDER_NOT_FOUND' });
    const repo = await rejected(buildIn(root, { context: `${srv.url}/missing.git` }));
    expect(repo).toMatchObject({ code: 'GIT_REPO_NOT_FOUND' });
    const host = await rejected(buildIn(root, { context: 'http://127.0.0.1:1/x.git' }));
    expect(host).toMatchObject({ code: 'GIT_UNREACHABLE' });
    expect(host.message).toContain('http://127.0.0.1:1/x.git');
    const left = readdirSync(join(root, 'git/trees')).filter((n) => n.startsWith('.'));
    expect(left).toEqual([]);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });
});

describe('remote URLs that are not git', () => {
  it('a tarball is the context; a plain Dockerfile is a build with an empty context', async () => {
    const tar = await built(`${srv.url}/files/ctx.tar.gz`, 'r-tar');
    expect(read(tar, 'a.txt')).toBe('from a remote tarball\n');
    await buildIn(root, { context: `${srv.url}/files/Dockerfile`, tags: ['r-df'] });
    expect((await configOf(root, 'r-df')).config?.Labels).toEqual({ from: 'remote-dockerfile' });
  });

  it('plain http to another host is refused unless asked; to loopback it is fine', async () => {
    const e = await rejected(buildIn(root, { context: 'http://git.example.invalid/r.git' }));
    expect(e).toMatchObject({ code: 'INSECURE_CONTEXT' });
    expect(e.message).toContain('--allow-insecure-http');
    const tar = await rejected(
      buildIn(root, { context: 'http://u:pw@files.example.invalid/c.tgz' }),
    );
    expect(tar).toMatchObject({ code: 'INSECURE_CONTEXT' });
    expect(tar.message).not.toContain('pw');
    // Asked: the request goes out (and fails on the name, which does not resolve).
    const asked = await rejected(
      buildIn(root, { context: 'http://git.example.invalid/r.git', allowInsecureHttp: true }),
    );
    expect(asked).toMatchObject({ code: 'GIT_UNREACHABLE' });
  });

  it('git:// and ssh need the git command: a clear error without it', async () => {
    const e = await rejected(
      buildIn(root, { context: `${daemon.url}/standard.git`, env: { PATH: '/nonexistent' } }),
    );
    expect(e).toMatchObject({ code: 'GIT_NOT_INSTALLED' });
    expect(e.message).toContain(`${daemon.url}/standard.git`);
    const ssh = await rejected(
      buildIn(root, { context: 'git@127.0.0.1:nobody/none.git', env: { PATH: '/nonexistent' } }),
    );
    expect(ssh.message).toMatch(/ssh URLs need the git command/);
  });

  it('a 404 is an error naming the URL', async () => {
    const e = await rejected(buildIn(root, { context: `${srv.url}/files/missing.tar` }));
    expect(e).toMatchObject({ code: 'CONTEXT_DOWNLOAD_FAILED' });
    expect(e.message).toContain('/files/missing.tar');
  });
});

describe('the CLI', () => {
  it('builds a git URL with a ref and a folder, and -f inside it', async () => {
    const r = await cli(['build', '-q', '--root', root, '-t', 'g-cli', `${std}#mybranch:myfolder`]);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(read(await flatten(root, 'g-cli'), 'sub/hello.txt')).toBe('hello from first\n');
  });
});
