/**
 * Whiteouts in both modes: 'apply' deletes from the tree below (and spares
 * what the layer itself wrote), 'overlay' stores them as overlayfs does.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getXattr, listXattrs } from '../../src/layer/xattrs.js';
import { describe, expect, it } from 'vitest';
import { applyLayer } from '../../src/layer/apply.js';
import { tarDirectory } from '../../src/layer/writer.js';
import { chunked, collect, makeTar, put, tempDir, type PackEntry } from './helpers.js';
import { upperTree } from './trees.js';

/** The lower tree: what the whiteouts below act on. */
function lower(root: string): void {
  put(join(root, 'a/file1'), '1');
  put(join(root, 'a/file2'), '2');
  put(join(root, 'b/deep/x'), 'x');
  put(join(root, 'c/old1'), 'old');
  put(join(root, 'c/sub/old2'), 'old');
  put(join(root, 'plain'), 'a file, so nothing can be under it');
}

const layer: PackEntry[] = [
  { header: { name: 'a/.wh.file1' } },
  { header: { name: '.wh.b' } },
  { header: { name: '.wh.never-existed' } },
  { header: { name: 'plain/.wh.under-a-file' } },
  { header: { name: 'c/', type: 'directory' } },
  { header: { name: 'c/-early' }, body: 'written before the marker' },
  { header: { name: 'c/.wh..wh..opq' } },
  { header: { name: 'c/sub/', type: 'directory' } },
  { header: { name: 'c/sub/new' }, body: 'new' },
];

const ls = (dir: string) => readdirSync(dir).sort();

describe("whiteouts: 'apply'", () => {
  it('deletes files and directories below and empties opaque directories', async () => {
    const root = tempDir();
    lower(root);
    await applyLayer(root, chunked(await makeTar(layer)));
    expect(ls(join(root, 'a'))).toEqual(['file2']);
    expect(existsSync(join(root, 'b'))).toBe(false);
    expect(readFileSync(join(root, 'plain'), 'utf8')).toMatch(/^a file/);
    expect(ls(join(root, 'c'))).toEqual(['-early', 'sub']);
    expect(ls(join(root, 'c/sub'))).toEqual(['new']);
    expect(ls(root).some((n) => n.startsWith('.wh.'))).toBe(false);
  });

  it('empties lower content of a directory this layer wrote into before the marker', async () => {
    const root = tempDir();
    put(join(root, 'c/sub/old'), 'old');
    const tar = await makeTar([
      { header: { name: 'c/sub/new' }, body: 'new' }, // c/sub comes from the lower tree
      { header: { name: 'c/.wh..wh..opq' } },
    ]);
    await applyLayer(root, chunked(tar));
    expect(ls(join(root, 'c/sub'))).toEqual(['new']);
  });

  it('never deletes what the same layer wrote', async () => {
    const root = tempDir();
    const tar = await makeTar([
      { header: { name: 'f' }, body: 'mine' },
      { header: { name: '.wh.f' } },
    ]);
    await applyLayer(root, chunked(tar));
    expect(readFileSync(join(root, 'f'), 'utf8')).toBe('mine');
  });

  it('skips aufs bookkeeping entries as Docker does', async () => {
    const root = tempDir();
    const tar = await makeTar([
      { header: { name: '.wh..wh.plnk/', type: 'directory' } },
      { header: { name: '.wh..wh.aufs' } },
    ]);
    expect(await applyLayer(root, chunked(tar))).toEqual({ entries: 2, bytes: 0 });
    expect(ls(root)).toEqual([]);
  });
});

describe("whiteouts: 'overlay'", () => {
  it('stores whiteouts as 0/0 character devices and opaque markers as the xattr', async () => {
    const root = tempDir();
    await applyLayer(root, chunked(await makeTar(layer)), { whiteouts: 'overlay' });
    const wh = lstatSync(join(root, 'a/file1'));
    expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true);
    expect(lstatSync(join(root, 'b')).isCharacterDevice()).toBe(true);
    expect(getXattr(join(root, 'c'), 'trusted.overlay.opaque').toString()).toBe('y');
    expect(ls(join(root, 'c'))).toEqual(['-early', 'sub']);
    expect(listXattrs(join(root, 'c/sub'))).toEqual([]);
    expect(ls(root).some((n) => n.startsWith('.wh.'))).toBe(false);
  });

  it('round trips an overlay upper dir through a layer, byte for byte', async () => {
    const upper = join(tempDir(), 'upper');
    upperTree(upper);
    const tar = await collect(tarDirectory(upper, { overlay: true }));
    const lowerDir = tempDir();
    await applyLayer(lowerDir, chunked(tar), { whiteouts: 'overlay' });
    expect(lstatSync(join(lowerDir, 'zz-gone'))).toMatchObject({ rdev: 0, uid: 7, gid: 8 });
    expect(getXattr(join(lowerDir, 'var'), 'trusted.overlay.opaque').toString()).toBe('y');
    expect((await collect(tarDirectory(lowerDir, { overlay: true }))).equals(tar)).toBe(true);
  });
});
