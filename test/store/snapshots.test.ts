/** Layers unpacked once as overlay lower dirs, kept, and removed with their layer. */
import { existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { getXattr } from '../../src/layer/xattrs.js';
import { describe, expect, it } from 'vitest';
import { MediaType } from '../../src/image/types.js';
import { removeImage } from '../../src/store/remove.js';
import { Store } from '../../src/store/store.js';
import { tempRoot } from '../helpers/tmp.js';

async function layerWithWhiteouts(): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: 'etc/', type: 'directory', mode: 0o755 });
  pack.entry({ name: 'etc/app.conf', mode: 0o600 }, 'x=1\n');
  pack.entry({ name: 'etc/.wh.old.conf', mode: 0o644 }, '');
  pack.entry({ name: 'var/', type: 'directory', mode: 0o755 });
  pack.entry({ name: 'var/.wh..wh..opq', mode: 0o644 }, '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

describe('snapshots', () => {
  it('unpack a layer as an overlay lower dir once, and go with the layer', async () => {
    const store = await Store.open(tempRoot());
    const info = await store.blobs.put(Readable.from([await layerWithWhiteouts()]));
    const dir = await store.snapshots.get(info.digest);
    expect(dir).toBe(join(store.root, 'snapshots', info.digest.slice(7)));
    expect(readFileSync(join(dir, 'etc', 'app.conf'), 'utf8')).toBe('x=1\n');
    expect(statSync(join(dir, 'etc', 'app.conf')).mode & 0o7777).toBe(0o600);
    const wh = lstatSync(join(dir, 'etc', 'old.conf'));
    expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true);
    expect(getXattr(join(dir, 'var'), 'trusted.overlay.opaque').toString()).toBe('y');
    const ino = statSync(join(dir, 'etc', 'app.conf')).ino;
    expect(await store.snapshots.get(info.digest)).toBe(dir);
    expect(statSync(join(dir, 'etc', 'app.conf')).ino).toBe(ino);

    const layer = { mediaType: MediaType.ociLayer, digest: info.digest, size: info.size };
    await store.addImage({
      config: {
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [info.digest] },
      },
      layers: [layer],
      tags: ['snap'],
    });
    await removeImage(store, 'snap');
    expect(existsSync(dir)).toBe(false);
  });
});
