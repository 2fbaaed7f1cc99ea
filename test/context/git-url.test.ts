/**
 * Which context strings are git URLs, remote URLs or local paths, and how a git
 * URL splits into remote, ref and folder — Docker 20.10's rules (urlutil,
 * gitutils), the issue's table row by row.
 */
import { describe, expect, it } from 'vitest';
import { resolveSubmoduleUrl } from '../../src/context/git.js';
import { parseGitUrl, remoteKind, splitCredentials } from '../../src/context/git-url.js';

describe('remoteKind', () => {
  it.each([
    ['https://host/repo.git', 'git'],
    ['http://host/repo.git#main:dir', 'git'],
    ['git://host/repo.git', 'git'],
    ['git@github.com:org/repo.git', 'git'],
    ['github.com/org/repo', 'git'],
    // Docker's pattern is `.git(?:#.+)?$` with an unescaped dot.
    ['https://host/digit', 'git'],
    ['https://host/ctx.tar.gz', 'url'],
    ['https://host/Dockerfile', 'url'],
    ['https://host/repo.git/', 'url'],
    ['./repo.git', 'local'],
    ['repo.git', 'local'],
    // Beyond Docker 20.10's prefixes, as the issue asks (BuildKit takes it).
    ['ssh://git@host/repo.git', 'git'],
  ])('%s is %s', (s, kind) => {
    expect(remoteKind(s)).toBe(kind);
  });
});

describe('parseGitUrl', () => {
  const base = 'https://h/myrepo.git';
  it.each([
    ['', '', ''],
    ['#mytag', 'mytag', ''],
    ['#mybranch', 'mybranch', ''],
    ['#abcdef', 'abcdef', ''],
    ['#:myfolder', '', 'myfolder'],
    ['#master:myfolder', 'master', 'myfolder'],
    ['#mytag:myfolder', 'mytag', 'myfolder'],
    ['#abcdef:myfolder', 'abcdef', 'myfolder'],
    ['#main:/a/b/', 'main', 'a/b'],
    ['#main:a:b', 'main', 'a:b'],
  ])('%s → ref %j, folder %j', (fragment, ref, folder) => {
    expect(parseGitUrl(base + fragment)).toEqual({
      remote: base,
      ref,
      folder,
      transport: 'http',
    });
  });

  it('reads the transport from the scheme, github.com/ as https', () => {
    expect(parseGitUrl('git://h/r.git#x').transport).toBe('git');
    expect(parseGitUrl('git@h:org/r.git#v1:sub')).toEqual({
      remote: 'git@h:org/r.git',
      ref: 'v1',
      folder: 'sub',
      transport: 'ssh',
    });
    expect(parseGitUrl('ssh://git@h:2222/r.git#v2')).toEqual({
      remote: 'ssh://git@h:2222/r.git',
      ref: 'v2',
      folder: '',
      transport: 'ssh',
    });
    expect(parseGitUrl('github.com/org/repo#dev')).toMatchObject({
      remote: 'https://github.com/org/repo',
      ref: 'dev',
      transport: 'http',
    });
  });

  it('refuses a ref that git would read as an option, and a folder with ..', () => {
    expect(() => parseGitUrl(`${base}#--upload-pack=x`)).toThrow(/invalid refspec/);
    expect(() => parseGitUrl(`${base}#main:../etc`)).toThrow(
      expect.objectContaining({ code: 'GIT_BAD_FOLDER' }),
    );
    let message = '';
    try {
      parseGitUrl('https://u:secret@h/r.git#main:a/../../x');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('https://***@h/r.git');
    expect(message).not.toContain('secret');
  });

  it('splits credentials off a URL', () => {
    expect(splitCredentials('https://u%40x:p:w@h/r.git')).toEqual({
      url: 'https://h/r.git',
      username: 'u@x',
      password: 'p:w',
    });
    expect(splitCredentials('https://h/r.git')).toEqual({ url: 'https://h/r.git' });
  });
});

describe('resolveSubmoduleUrl', () => {
  it.each([
    ['http://h/app.git', '../lib.git', 'http://h/lib.git'],
    ['http://h/org/app.git', '../../other/lib.git', 'http://h/other/lib.git'],
    ['http://h/app.git', './sub.git', 'http://h/app.git/sub.git'],
    ['http://h/app.git/', '../lib.git', 'http://h/lib.git'],
    ['http://h/app.git', 'https://elsewhere/x.git', 'https://elsewhere/x.git'],
    // scp-like: `../` climbs the path after the colon, as git does.
    ['git@host:org/app.git', '../lib.git', 'git@host:org/lib.git'],
    ['git@host:app.git', '../lib.git', 'git@host:lib.git'],
  ])('%s + %s → %s', (base, url, want) => {
    expect(resolveSubmoduleUrl(base, url)).toBe(want);
  });
});
