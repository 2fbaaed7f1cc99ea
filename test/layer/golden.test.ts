/**
 * Golden tars: each tree of trees.ts, tarred, must hash to the digest pinned in
 * test/fixtures/layer/<case>.sha256, and GNU tar must list it as
 * test/fixtures/layer/<case>.list says (the reviewable form of the digest).
 * UPDATE_GOLDEN=1 rewrites both; then read the .list diff before committing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tarDirectory, type TarOptions } from '../../src/layer/writer.js';
import { collect, sha256, tempDir } from './helpers.js';
import { T0, basicTree, bigNumbersTree, longNamesTree, upperTree, xattrTree } from './trees.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'layer');
const update = process.env.UPDATE_GOLDEN === '1';

const cases: [string, (root: string) => void, TarOptions][] = [
  ['basic', basicTree, {}],
  ['basic-epoch', basicTree, { sourceDateEpoch: T0 - 60 }],
  ['long-names', longNamesTree, {}],
  ['xattrs', xattrTree, {}],
  ['big-numbers', bigNumbersTree, {}],
  ['overlay-upper', upperTree, { overlay: true }],
  ['basic-exclude', basicTree, { exclude: (p) => p === 'etc' || p === 'home/user/.profile' }],
];

function gnuList(file: string): string {
  const args = ['--numeric-owner', '--full-time', '-tvf', file];
  return execFileSync('tar', args, { env: { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' } })
    .toString()
    .replace(/ +/g, ' ');
}

function golden(name: string, ext: string, actual: string): void {
  const file = join(fixtures, `${name}.${ext}`);
  if (update || !existsSync(file)) {
    writeFileSync(file, actual);
    if (!update) throw new Error(`${name}: no ${ext} golden; wrote one — review it, then rerun`);
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

describe('golden layer tars', () => {
  for (const [name, build, opts] of cases) {
    it(name, async () => {
      const root = tempDir();
      const tree = join(root, 'tree');
      build(tree);
      const first = await collect(tarDirectory(tree, opts));
      const second = await collect(tarDirectory(tree, opts));
      expect(second.equals(first)).toBe(true);
      const file = join(root, 'layer.tar');
      writeFileSync(file, first);
      golden(name, 'list', gnuList(file));
      golden(name, 'sha256', `${sha256(first)}\n`);
    });
  }
});
