/**
 * Fixture repositories for tests of git build contexts (issue 6), made with the
 * system git CLI as bare repos under one root that test/setup/git-server.ts
 * serves. Author, committer and dates are fixed, so every run makes the same
 * commit ids.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Runs git in `cwd` and returns its trimmed stdout. */
export type Git = (...args: string[]) => string;

const EPOCH = 1_700_000_000;

/**
 * Git's environment for fixtures: fixed identities and no user or system
 * config (a developer's commit.gpgsign or hooks would change the ids).
 * Submodules are added from local paths, which git refuses by default
 * since 2.38.1 (CVE-2022-39253), hence protocol.file.allow.
 */
function fixtureEnv(time: number): NodeJS.ProcessEnv {
  const date = `${time} +0000`;
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: tmpdir(),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: 'protocol.file.allow',
    GIT_CONFIG_VALUE_0: 'always',
    GIT_CONFIG_KEY_1: 'init.defaultBranch',
    GIT_CONFIG_VALUE_1: 'main',
    GIT_AUTHOR_NAME: 'Fixture Author',
    GIT_AUTHOR_EMAIL: 'author@example.test',
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: 'Fixture Committer',
    GIT_COMMITTER_EMAIL: 'committer@example.test',
    GIT_COMMITTER_DATE: date,
  };
}

/**
 * A git runner bound to `cwd`. Each call moves the clock one minute, so commits
 * made in order also sort in order, and the ids stay the same run to run.
 */
export function gitIn(cwd: string): Git {
  let tick = 0;
  return (...args) =>
    execFileSync('git', ['-c', 'init.defaultBranch=main', ...args], {
      cwd,
      env: fixtureEnv(EPOCH + 60 * tick++),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
}

/** Writes `files` (path → content) under `dir`, making parent folders. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/**
 * Builds a repo in a scratch work tree with `build`, then publishes it as
 * `root/<name>.git` (bare, with info/refs for dumb clients too). The bare
 * repo's HEAD is the work tree's HEAD when `build` returns.
 * @example
 *   makeRepo(root, 'hello', (work, git) => {
 *     writeFiles(work, { Dockerfile: 'FROM scratch\n' });
 *     git('add', '.'); git('commit', '-m', 'one');
 *   });
 */
export function makeRepo(
  root: string,
  name: string,
  build: (work: string, git: Git) => void,
): string {
  const work = mkdtempSync(join(tmpdir(), `tsbuild-gitwork-${name}-`));
  try {
    const git = gitIn(work);
    git('init', '-q');
    build(work, git);
    const bare = join(root, `${name}.git`);
    mkdirSync(root, { recursive: true });
    git('clone', '-q', '--bare', work, bare);
    const inBare = gitIn(bare);
    inBare('remote', 'remove', 'origin');
    inBare('update-server-info');
    return bare;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const commit = (git: Git, message: string) => {
  git('add', '-A');
  git('commit', '-q', '-m', message);
  return git('rev-parse', 'HEAD');
};

export const DOCKERFILE = 'FROM scratch\nCOPY . /ctx/\n';
export const SUB_DOCKERFILE = 'FROM scratch\nCOPY . /sub/\n';

/** Commit ids of standardRepo's refs; `v1Object` is the annotated tag's own id. */
export interface StandardRepo {
  path: string;
  first: string;
  main: string;
  mybranch: string;
  mytag: string;
  v1: string;
  v1Object: string;
  bothTag: string;
  bothBranch: string;
}

/**
 * `root/standard.git`, covering issue 6's table of URL fragments. Every ref
 * tip is a different commit:
 *
 *     first ── mytag ── v1.0 (annotated) ── main
 *       │        │         └── both (tag)
 *       │        └── both (branch)
 *       └── mybranch
 *
 * `first` has README, Dockerfile, myfolder/{Dockerfile,hello.txt}; `mytag`
 * adds run.sh (755), nested/deeper/file.txt, `escape -> ../../../../etc` and
 * `myfolder/up -> ../README`; each later commit changes one file and says in
 * it which ref it is (README on v1.0 and mybranch, myfolder/hello.txt on main,
 * both.txt on the two `both`s).
 */
export function standardRepo(root: string): StandardRepo {
  const ids: Partial<StandardRepo> = {};
  const path = makeRepo(root, 'standard', (work, git) => {
    writeFiles(work, {
      README: 'standard fixture\n',
      Dockerfile: DOCKERFILE,
      'myfolder/Dockerfile': SUB_DOCKERFILE,
      'myfolder/hello.txt': 'hello from first\n',
    });
    ids.first = commit(git, 'first');

    writeFiles(work, { 'run.sh': '#!/bin/sh\necho run\n', 'nested/deeper/file.txt': 'deep\n' });
    chmodSync(join(work, 'run.sh'), 0o755);
    symlinkSync('../../../../etc', join(work, 'escape'));
    symlinkSync('../README', join(work, 'myfolder/up'));
    ids.mytag = commit(git, 'executable, nested dir, symlinks');
    git('tag', 'mytag');

    git('checkout', '-q', '-b', 'both');
    writeFiles(work, { 'both.txt': 'both: branch\n' });
    ids.bothBranch = commit(git, 'both (branch)');

    git('checkout', '-q', 'main');
    writeFiles(work, { README: 'standard fixture at v1.0\n' });
    ids.v1 = commit(git, 'v1.0');
    git('tag', '-a', 'v1.0', '-m', 'release v1.0');
    ids.v1Object = git('rev-parse', 'refs/tags/v1.0');

    git('checkout', '-q', '--detach');
    writeFiles(work, { 'both.txt': 'both: tag\n' });
    ids.bothTag = commit(git, 'both (tag)');
    git('tag', 'both');

    git('checkout', '-q', 'main');
    writeFiles(work, { 'myfolder/hello.txt': 'hello from main\n' });
    ids.main = commit(git, 'main');

    git('checkout', '-q', '-b', 'mybranch', ids.first);
    writeFiles(work, { README: 'standard fixture on mybranch\n', 'mybranch.txt': 'only here\n' });
    ids.mybranch = commit(git, 'mybranch');

    git('checkout', '-q', 'main');
  });
  return { path, ...ids } as StandardRepo;
}

export interface SubmoduleRepos {
  /** deep.git's only commit. */
  deep: string;
  /** The lib.git commit app pins at vendor/lib (it pins deep at `deep`). */
  libPinned: string;
  /** lib.git's main, one commit after the pinned one. */
  libTip: string;
  /** app.git's main. */
  app: string;
}

/**
 * `root/{deep,lib,app}.git`: app has lib as a submodule at vendor/lib, pinned
 * to a commit older than lib's main, and lib has deep as a submodule at
 * `deep`. Submodule URLs are relative (`../lib.git`), as real projects write
 * them, so they resolve against whatever URL app was cloned from.
 */
export function submoduleRepos(root: string): SubmoduleRepos {
  const ids: Partial<SubmoduleRepos> = {};
  makeRepo(root, 'deep', (work, git) => {
    writeFiles(work, { 'deep.txt': 'deep submodule\n' });
    ids.deep = commit(git, 'deep');
  });
  makeRepo(root, 'lib', (work, git) => {
    // Relative submodule URLs resolve against origin; point it where lib will live.
    git('remote', 'add', 'origin', join(root, 'lib.git'));
    writeFiles(work, { 'lib.txt': 'lib, pinned\n' });
    git('submodule', '--quiet', 'add', '../deep.git', 'deep');
    ids.libPinned = commit(git, 'lib with deep');
    writeFiles(work, { 'lib.txt': 'lib, after the pin\n' });
    ids.libTip = commit(git, 'lib moves on');
  });
  makeRepo(root, 'app', (work, git) => {
    git('remote', 'add', 'origin', join(root, 'app.git'));
    writeFiles(work, { Dockerfile: DOCKERFILE, 'app.txt': 'app\n' });
    git('submodule', '--quiet', 'add', '../lib.git', 'vendor/lib');
    gitIn(join(work, 'vendor/lib'))('checkout', '-q', ids.libPinned as string);
    ids.app = commit(git, 'app with vendor/lib');
  });
  return ids as SubmoduleRepos;
}

/**
 * `root/<name>.git` (default `big`) for benchmarks: `files` files over 100
 * folders plus a Dockerfile `FROM scratch\nCOPY . /src/\n` in the first
 * commit, then `commits - 1` commits that each rewrite three files. Written
 * with `git fast-import` in one stream, which takes well under a second.
 */
export function bigRepo(
  root: string,
  opts: { files?: number; commits?: number; name?: string } = {},
): { path: string; main: string } {
  const { files = 5000, commits = 200, name = 'big' } = opts;
  const path = join(root, `${name}.git`);
  mkdirSync(root, { recursive: true });
  const git = gitIn(root);
  git('init', '-q', '--bare', path);
  const file = (i: number) => `dir${String(i % 100).padStart(3, '0')}/file${i}.txt`;
  const body = (i: number, rev: number) =>
    `file ${i} revision ${rev}\n` + 'x'.repeat(200 + ((i * 7919) % 1800)) + '\n';
  const parts: string[] = [];
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  for (let c = 0; c < commits; c++) {
    parts.push('commit refs/heads/main\n');
    parts.push(`committer Fixture Committer <committer@example.test> ${EPOCH + c * 60} +0000\n`);
    parts.push(data(`commit ${c}`));
    if (c === 0) {
      parts.push(`M 100644 inline Dockerfile\n${data('FROM scratch\nCOPY . /src/\n')}`);
      for (let i = 0; i < files; i++) parts.push(`M 100644 inline ${file(i)}\n${data(body(i, 0))}`);
    } else {
      for (let k = 0; k < 3; k++) {
        const i = (c * 37 + k * 1013) % files;
        parts.push(`M 100644 inline ${file(i)}\n${data(body(i, c))}`);
      }
    }
    parts.push('\n');
  }
  execFileSync('git', ['fast-import', '--quiet'], {
    cwd: path,
    env: fixtureEnv(EPOCH),
    input: parts.join(''),
    stdio: ['pipe', 'ignore', 'pipe'],
    maxBuffer: 64 << 20,
  });
  const inBare = gitIn(path);
  inBare('symbolic-ref', 'HEAD', 'refs/heads/main');
  inBare('update-server-info');
  return { path, main: inBare('rev-parse', 'refs/heads/main') };
}
