import { createHash } from 'node:crypto';
import {
  chmodSync,
  linkSync,
  cpSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checksumSources, type ChecksumOptions } from '../../src/context/checksum.js';
import { Dockerignore } from '../../src/context/dockerignore.js';
import { resolveSources, type SourceTree } from '../../src/context/sources.js';
import { parseChmod } from '../../src/util/chmod.js';
import { tempRoot } from '../helpers/tmp.js';

/** Reads every file it is asked about, and counts the reads (a stand-in for the stat cache). */
function countingHasher() {
  const reads: string[] = [];
  return {
    reads,
    hash: async (abs: string) => {
      reads.push(abs);
      return createHash('sha256').update(readFileSync(abs)).digest('hex');
    },
  };
}

function project(): string {
  const root = tempRoot('tsbuild-checksum-');
  mkdirSync(join(root, 'src/lib'), { recursive: true });
  writeFileSync(join(root, 'src/main.ts'), 'main');
  writeFileSync(join(root, 'src/lib/util.ts'), 'util');
  writeFileSync(join(root, 'src/notes.log'), 'log');
  symlinkSync('lib/util.ts', join(root, 'src/link'));
  return root;
}

async function sum(
  root: string,
  patterns = ['src'],
  opts: Partial<ChecksumOptions> = {},
  ignore?: string,
) {
  const tree: SourceTree = {
    root,
    label: 'context',
    ignore: ignore === undefined ? undefined : Dockerignore.parse(ignore, '.dockerignore'),
  };
  const sources = resolveSources(tree, patterns);
  return checksumSources(tree, sources, { uid: 0, gid: 0, hasher: countingHasher(), ...opts });
}

describe('checksumSources', () => {
  it('lists each entry by its path under the tree, the copied directory itself left out', async () => {
    const s = await sum(project());
    expect([...s.files.keys()]).toEqual([
      'src/lib',
      'src/lib/util.ts',
      'src/link',
      'src/main.ts',
      'src/notes.log',
    ]);
    expect(s.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    // readable records, so a miss can say what changed
    expect(s.files.get('src/main.ts')).toBe(
      `file 644 0:0 ${createHash('sha256').update('main').digest('hex')}`,
    );
    expect(s.files.get('src/link')).toBe('symlink 777 0:0 "lib/util.ts"');
    expect(s.files.get('src/lib')).toBe('dir 755 0:0');
  });

  it('ignores mtimes: touch keeps the digest', async () => {
    const root = project();
    const before = await sum(root);
    utimesSync(join(root, 'src/main.ts'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    utimesSync(join(root, 'src/lib'), new Date(2002, 1, 1), new Date(2002, 1, 1));
    expect((await sum(root)).digest).toBe(before.digest);
  });

  it('counts modes: chmod +x changes the digest, and says which file', async () => {
    const root = project();
    const before = await sum(root);
    chmodSync(join(root, 'src/main.ts'), 0o755);
    const after = await sum(root);
    expect(after.digest).not.toBe(before.digest);
    const changed = [...after.files].filter(([k, v]) => before.files.get(k) !== v).map(([k]) => k);
    expect(changed).toEqual(['src/main.ts']);
  });

  it('counts setuid, content, symlink targets, hardlinks, --chown and --chmod', async () => {
    const base = (await sum(project())).digest;
    const variants: [string, (root: string) => void, Partial<ChecksumOptions>][] = [
      ['setuid', (r) => chmodSync(join(r, 'src/main.ts'), 0o4644), {}],
      ['content', (r) => writeFileSync(join(r, 'src/main.ts'), 'mAin'), {}],
      ['link target', (r) => symlinkSync('main.ts', join(r, 'src/link2')), {}],
      ['chown', () => undefined, { uid: 1000, gid: 1000 }],
      ['hardlink', (r) => linkSync(join(r, 'src/main.ts'), join(r, 'src/lib/main.ts')), {}],
      ['copy instead', (r) => writeFileSync(join(r, 'src/lib/main.ts'), 'main'), {}],
      ['chmod', () => undefined, { chmod: parseChmod('600') }],
      ['symbolic chmod', () => undefined, { chmod: parseChmod('go-r') }],
    ];
    const digests = new Set<string>([base]);
    for (const [, change, opts] of variants) {
      const root = project();
      change(root);
      digests.add((await sum(root, ['src'], opts)).digest);
    }
    expect(digests.size).toBe(variants.length + 1);
  });

  it('counts the directories COPY --parents recreates above a source', async () => {
    const root = project();
    const tree: SourceTree = { root, label: 'context' };
    const parents = async () =>
      (
        await checksumSources(tree, resolveSources(tree, ['src/lib/util.ts'], { parents: true }), {
          uid: 0,
          gid: 0,
          hasher: countingHasher(),
        })
      ).digest;
    const before = await parents();
    chmodSync(join(root, 'src'), 0o700);
    expect(await parents()).not.toBe(before);
  });

  it('does not depend on where the tree is: a copy elsewhere has the same digest', async () => {
    const root = project();
    const elsewhere = join(tempRoot('tsbuild-checksum-copy-'), 'deeper');
    cpSync(root, elsewhere, { recursive: true, verbatimSymlinks: true, preserveTimestamps: false });
    expect((await sum(elsewhere)).digest).toBe((await sum(root)).digest);
  });

  it('leaves out ignored and --exclude-d files', async () => {
    const root = project();
    const all = await sum(root);
    const ignored = await sum(root, ['src'], {}, '*/*.log\n');
    expect([...ignored.files.keys()]).not.toContain('src/notes.log');
    expect(ignored.digest).not.toBe(all.digest);
    writeFileSync(join(root, 'src/notes.log'), 'changed log');
    expect((await sum(root, ['src'], {}, '*/*.log\n')).digest).toBe(ignored.digest);
    const exclude = Dockerignore.parse('*.log\nlib', '--exclude');
    const excluded = await sum(root, ['src'], { exclude });
    expect([...excluded.files.keys()]).toEqual(['src/link', 'src/main.ts']);
  });

  it('asks the hasher for the content of every file it counts', async () => {
    const hasher = countingHasher();
    await sum(project(), ['src/main.ts', 'src/*.ts'], { hasher });
    expect(hasher.reads.map((p) => p.split('/').slice(-2).join('/'))).toEqual([
      'src/main.ts',
      'src/main.ts',
    ]);
  });
});

describe('checksumSources with the stat cache', () => {
  it('does not read unchanged files again, and reads a changed one', async () => {
    const { FileHasher } = await import('../../src/context/statcache.js');
    const root = project();
    // The stat cache does not remember a file changed in the last 100 ms (a "racily clean" one).
    await new Promise((ok) => setTimeout(ok, 150));
    const hasher = await FileHasher.open();
    const first = await sum(root, ['src'], { hasher });
    const misses = hasher.stats.misses;
    expect(misses).toBe(3);
    expect((await sum(root, ['src'], { hasher })).digest).toBe(first.digest);
    expect(hasher.stats.misses).toBe(misses);
    writeFileSync(join(root, 'src/main.ts'), 'changed');
    expect((await sum(root, ['src'], { hasher })).digest).not.toBe(first.digest);
    expect(hasher.stats.misses).toBe(misses + 1);
  });

  it('fails with the error of the file that failed', async () => {
    const failing = {
      hash: async (abs: string) => Promise.reject(new Error(`cannot read ${abs.split('/').pop()}`)),
    };
    await expect(sum(project(), ['src'], { hasher: failing })).rejects.toThrow(
      'cannot read util.ts',
    );
  });
});
