import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Dockerignore } from '../../src/context/dockerignore.js';
import {
  goMatcher,
  hasWildcards,
  resolveSources,
  type SourceTree,
} from '../../src/context/sources.js';
import { TsbuildError } from '../../src/errors.js';
import { caught } from '../helpers/caught.js';
import { tempRoot } from '../helpers/tmp.js';

/** A context: `a`, `b.txt`, `d/c`, `d/sub/s`, `we[ird`, links `dlink -> d`, `absl -> /a`, `out -> ../../..`. */
function context(): string {
  const root = tempRoot('tsbuild-sources-');
  mkdirSync(join(root, 'd/sub'), { recursive: true });
  for (const f of ['a', 'b.txt', 'd/c', 'd/sub/s', 'we[ird', 'x1.txt', 'x2.txt']) {
    writeFileSync(join(root, f), f);
  }
  symlinkSync('d', join(root, 'dlink'));
  symlinkSync('/a', join(root, 'absl'));
  symlinkSync('../../../../etc', join(root, 'out'));
  symlinkSync('/etc/passwd', join(root, 'passwd'));
  symlinkSync('nowhere', join(root, 'x3.txt'));
  return root;
}

const paths = (tree: SourceTree, patterns: string[], parents = false) =>
  resolveSources(tree, patterns, { parents }).map((s) => [s.path, s.real, s.dir, s.keep]);

describe('resolveSources', () => {
  const root = context();
  const tree: SourceTree = { root, label: 'context' };

  it.each([
    // pattern, [[path as named, real path, is dir]] — Docker 20.10 confirmed (BuildKit) for each
    ['a', [['a', 'a', false]]],
    ['/a', [['a', 'a', false]]],
    ['./d/../a', [['a', 'a', false]]],
    ['d', [['d', 'd', true]]],
    ['d/', [['d', 'd', true]]],
    ['.', [['', '', true]]],
    ['dlink', [['dlink', 'd', true]]], // COPY dlink /dl copies d's contents
    ['dlink/c', [['dlink/c', 'd/c', false]]],
    ['absl', [['absl', 'a', false]]], // absl -> /a is the context's a
    [
      'x[12].txt',
      [
        ['x1.txt', 'x1.txt', false],
        ['x2.txt', 'x2.txt', false],
      ],
    ],
    [
      'd/*',
      [
        ['d/c', 'd/c', false],
        ['d/sub', 'd/sub', true],
      ],
    ],
    ['*/s', []], // '*' never crosses '/'
    ['*/*/s', [['d/sub/s', 'd/sub/s', false]]],
    ['dlink/*/s', [['dlink/sub/s', 'd/sub/s', false]]],
    ['we[[]ird', [['we[ird', 'we[ird', false]]],
    ['nomatch*', []], // BuildKit: a wildcard matching nothing copies nothing
    ['?.txt', [['b.txt', 'b.txt', false]]],
    [
      '?[12].txt',
      [
        ['x1.txt', 'x1.txt', false],
        ['x2.txt', 'x2.txt', false],
      ],
    ],
    [
      '[a-b]*',
      [
        ['a', 'a', false],
        ['absl', 'a', false],
        ['b.txt', 'b.txt', false],
      ],
    ],
    ['[^a-c]1.txt', [['x1.txt', 'x1.txt', false]]],
  ])('%s', (pattern, expected) => {
    expect(paths(tree, [pattern]).map((m) => m.slice(0, 3))).toEqual(expected);
  });

  it('never reaches a host file through a symlink', () => {
    // passwd -> /etc/passwd and out -> ../../../../etc resolve inside the context, where they are not
    for (const p of ['passwd', 'out', 'out/passwd']) {
      expect(caught(() => paths(tree, [p]), TsbuildError).code).toBe('SOURCE_NOT_FOUND');
    }
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/passwd'), 'the context’s own');
    expect(paths(tree, ['passwd', 'out/passwd']).map((m) => m[1])).toEqual([
      'etc/passwd',
      'etc/passwd',
    ]);
  });

  it('fails on a wildcard match that is a dangling symlink (Docker 20.10 confirmed)', () => {
    const e = caught(() => paths(tree, ['x*.txt']), TsbuildError);
    expect(e.code).toBe('SOURCE_NOT_FOUND');
    expect(e.message).toBe('"x3.txt" (matched by "x*.txt") is a symlink to nothing in the context');
  });

  it('keeps the order written, and each pattern’s matches in byte order', () => {
    expect(paths(tree, ['b.txt', 'a', 'x[12].txt']).map((m) => m[0])).toEqual([
      'b.txt',
      'a',
      'x1.txt',
      'x2.txt',
    ]);
  });

  it('refuses a .. that climbs out, naming the source', () => {
    for (const p of ['../a', 'd/../../a', '/../x']) {
      const e = caught(() => paths(tree, [p]), TsbuildError);
      expect(e.code).toBe('SOURCE_ESCAPES');
      expect(e.data.source).toBe(p);
      expect(e.message).toContain(JSON.stringify(p));
    }
  });

  it('names a missing plain path', () => {
    const e = caught(() => paths(tree, ['missing']), TsbuildError);
    expect(e.code).toBe('SOURCE_NOT_FOUND');
    expect(e.message).toBe('"missing" not found in the context');
    expect(caught(() => paths(tree, ['a/x']), TsbuildError).code).toBe('SOURCE_NOT_FOUND');
  });

  it('does not see ignored files, names the pattern and line, and honours exceptions', () => {
    const ignore = Dockerignore.parse('# secrets\n*.txt\n!x2.txt\nd\n!d/sub/s\n', '.dockerignore');
    const ig: SourceTree = { root, ignore, label: 'context' };
    const e = caught(() => paths(ig, ['b.txt']), TsbuildError);
    expect(e.code).toBe('SOURCE_NOT_FOUND');
    expect(e.data).toMatchObject({ source: 'b.txt', ignorePattern: '*.txt', ignoreLine: 2 });
    expect(e.message).toBe(
      '"b.txt" not found in the context: excluded by .dockerignore line 2 ("*.txt")',
    );
    expect(paths(ig, ['x[0-9].txt']).map((m) => m[0])).toEqual(['x2.txt']);
    expect(caught(() => paths(ig, ['d/c']), TsbuildError).data.ignoreLine).toBe(4);
    // d is excluded but an exception re-includes d/sub/s: d is there, with that file only
    expect(paths(ig, ['d']).map((m) => m[0])).toEqual(['d']);
    expect(paths(ig, ['d/sub/s']).map((m) => m[0])).toEqual(['d/sub/s']);
    expect(paths(ig, ['d/*']).map((m) => m[0])).toEqual(['d/sub']);
    // through a symlink to an ignored file
    expect(caught(() => paths(ig, ['dlink/c']), TsbuildError).code).toBe('SOURCE_NOT_FOUND');
  });

  it('refuses a wildcard match whose symlink leads to an ignored file (Docker 20.10: not found)', () => {
    const dir = tempRoot('tsbuild-sources-');
    writeFileSync(join(dir, 'secret.env'), 'PASSWORD=hunter2\n');
    symlinkSync('secret.env', join(dir, 'config.env'));
    const ignored: SourceTree = {
      root: dir,
      label: 'context',
      ignore: Dockerignore.parse('secret.env\n', '.dockerignore'),
    };
    const e = caught(() => resolveSources(ignored, ['conf*']), TsbuildError);
    expect(e.code).toBe('SOURCE_NOT_FOUND');
    expect(e.message).toContain('secret.env');
    expect(e.message).toContain('.dockerignore line 1');
  });

  it('keeps the path under the root, or under a /./ pivot, for --parents', () => {
    expect(paths(tree, ['d/sub/s', 'd/./sub/s', 'd/*'], true).map((m) => m[3])).toEqual([
      'd/sub/s',
      'sub/s',
      'd/c',
      'd/sub',
    ]);
  });

  it('reads a tree given through a symlink', () => {
    const other = tempRoot('tsbuild-sources-link-');
    symlinkSync(root, join(other, 'ctx'));
    expect(paths({ root: join(other, 'ctx'), label: 'context' }, ['dlink/c'])[0]?.[1]).toBe('d/c');
  });
});

describe('Go filepath.Match segments', () => {
  it.each([
    ['*', 'abc', true],
    ['a*c', 'abbc', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['[abc]', 'b', true],
    ['[^abc]', 'b', false],
    ['[a-c]x', 'bx', true],
    ['\\*', '*', true],
    ['\\*', 'a', false],
    ['[\\]]', ']', true],
    ['a.c', 'abc', false],
    ['(x)', '(x)', true],
    ['é?', 'éé', true],
  ])('%s ~ %s → %s', (pattern, name, expected) => {
    expect(goMatcher(pattern, pattern).test(name)).toBe(expected);
  });

  it.each(['[', '[]', '[a-', '[z-a]', 'a\\'])('refuses the malformed %s', (pattern) => {
    expect(caught(() => goMatcher(pattern, pattern), TsbuildError).code).toBe('SOURCE_BAD_PATTERN');
  });

  it('tells wildcards from escaped characters', () => {
    expect([
      hasWildcards('a*'),
      hasWildcards('a\\*'),
      hasWildcards('[x]'),
      hasWildcards('plain'),
    ]).toEqual([true, false, true, false]);
  });
});
