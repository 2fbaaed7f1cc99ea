/** scanLayer reads a whole tar and checks it, writing nothing. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanLayer } from '../../src/layer/scan.js';
import { tarDirectory } from '../../src/layer/writer.js';
import { chunked, collect, tempDir } from './helpers.js';
import { basicTree } from './trees.js';

describe('scanLayer', () => {
  it('counts the entries and content bytes of a good tar, as applyLayer would', async () => {
    const root = join(tempDir(), 'tree');
    basicTree(root);
    const tar = await collect(tarDirectory(root));
    // Unpacked size adds the three symlinks' targets (10 + 11 + 7 bytes), as
    // overlay2's DiffSize counts a symlink by its lstat size.
    expect(await scanLayer(chunked(tar, 100))).toEqual({
      entries: 31,
      bytes: 1602,
      unpackedSize: 1630,
    });
  });

  it('rejects a truncated tar and garbage with a LayerError', async () => {
    const root = join(tempDir(), 'tree');
    basicTree(root);
    const tar = await collect(tarDirectory(root));
    const cut = await scanLayer(chunked(tar.subarray(0, tar.length - 2000))).catch((e) => e);
    expect(cut).toMatchObject({ name: 'LayerError', code: 'LAYER_CORRUPT' });
    const junk = await scanLayer(chunked(randomBytes(2048))).catch((e) => e);
    expect(junk).toMatchObject({ name: 'LayerError', code: 'LAYER_CORRUPT' });
  });
});
