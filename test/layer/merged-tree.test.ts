/**
 * MergedTree and tarEntries: a stack of overlay-form trees read as overlayfs
 * shows them — checked against the kernel's own answer: the same stack mounted
 * as a read-only overlay and listed.
 */
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MergedTree, walkMerged } from '../../src/layer/merged-tree.js';
import { tarEntries } from '../../src/layer/writer.js';
import { OVERLAY_OPAQUE, writeXattr } from '../../src/layer/xattrs.js';
import { collect, decodeTar, dir, mknod, put, snapshot, tempDir } from './helpers.js';

const opaque = (p: string) => writeXattr(Buffer.from(p), OVERLAY_OPAQUE[0]!, Buffer.from('y'));

/** Three trees, top first: every rule of the merge at least once. */
function stack(root: string): string[] {
  const [top, mid, low] = ['top', 'mid', 'low'].map((n) => join(root, n)) as [
    string,
    string,
    string,
  ];
  for (const t of [top, mid, low]) dir(t);
  // low: the image's bottom layer
  put(join(low, 'etc/passwd'), 'low passwd\n');
  put(join(low, 'etc/group'), 'low group\n');
  put(join(low, 'opt/a/1'), 'low 1\n');
  put(join(low, 'opt/b'), 'low b\n');
  put(join(low, 'var/x'), 'low x\n');
  put(join(low, 'var/y'), 'low y\n');
  put(join(low, 'home/u/.rc'), 'rc\n');
  put(join(low, 'srv/f'), 'file in low\n');
  put(join(low, 'links/one'), 'linked\n');
  linkSync(join(low, 'links/one'), join(low, 'links/two'));
  // mid: deletes var/y, replaces opt/a by a file, makes home/u opaque
  dir(join(mid, 'var'));
  mknod(join(mid, 'var/y'), 'c', 0, 0);
  put(join(mid, 'opt/a'), 'mid a is a file\n');
  dir(join(mid, 'home/u'));
  opaque(join(mid, 'home/u'));
  put(join(mid, 'home/u/new'), 'mid new\n');
  // top (the container's upper dir): a new file, a changed one, a deleted one,
  // a dir over mid's file, a whiteout over a whiteout, a symlink, srv replaced by a dir
  put(join(top, 'etc/passwd'), 'top passwd\n');
  mknod(join(top, 'etc/group'), 'c', 0, 0);
  put(join(top, 'opt/a/2'), 'top 2\n');
  mkdirSync(join(top, 'var'));
  mknod(join(top, 'var/y'), 'c', 0, 0);
  symlinkSync('/etc/passwd', join(top, 'lnk'));
  put(join(top, 'srv/f/inner'), 'dir over a file\n');
  put(join(top, 'skip/me'), 'excluded\n');
  return [top, mid, low];
}

let mounted: string | undefined;
afterEach(() => {
  if (mounted) execFileSync('umount', [mounted]);
  mounted = undefined;
});

describe('MergedTree', () => {
  it('shows what a read-only overlay of the same trees shows', async () => {
    const root = tempDir();
    const trees = stack(root);
    const merged = new MergedTree(trees, { exclude: (p, t) => t === 0 && p === 'skip' });
    const names = [...walkMerged(merged)].map((e) => `${e.kind} ${e.name.toString()} ${e.tree}`);
    expect(names).toEqual([
      'dir etc 0',
      'file etc/passwd 0',
      'dir home 1',
      'dir home/u 1',
      'file home/u/new 1',
      'dir links 2',
      'file links/one 2',
      'file links/two 2',
      'symlink lnk 0',
      'dir opt 0',
      'dir opt/a 0',
      'file opt/a/2 0',
      'file opt/b 2',
      'dir srv 0',
      'dir srv/f 0',
      'file srv/f/inner 0',
      'dir var 0',
      'file var/x 2',
    ]);

    // The kernel's view of the same stack, with `skip` gone from the top.
    rmSync(join(trees[0]!, 'skip'), { recursive: true });
    const view = join(root, 'view');
    mkdirSync(view);
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${trees.join(':')}`, view]);
    mounted = view;
    const fromTar = join(root, 'fromtar');
    mkdirSync(fromTar);
    const tar = await collect(tarEntries(walkMerged(new MergedTree(trees))));
    execFileSync('tar', ['-x', '-C', fromTar], { input: tar });
    expect(snapshot(fromTar)).toEqual(snapshot(view));
    expect(readlinkSync(join(fromTar, 'lnk'))).toBe('/etc/passwd');
    expect(readFileSync(join(fromTar, 'opt/b'), 'utf8')).toBe('low b\n');
  });

  it('writes a hardlink for two names of one inode within one tree only', async () => {
    const root = tempDir();
    const trees = stack(root);
    // The top tree's own file, hardlinked (by the store) to the low tree's inode.
    linkSync(join(trees[2]!, 'links/one'), join(trees[0]!, 'shared'));
    const entries = await decodeTar(await collect(tarEntries(walkMerged(new MergedTree(trees)))));
    const h = (n: string) => entries.find((e) => e.header.name === n)!.header;
    expect(h('links/two').type).toBe('link');
    expect(h('links/two').linkname).toBe('links/one');
    expect(h('shared').type).toBe('file');
  });
});
