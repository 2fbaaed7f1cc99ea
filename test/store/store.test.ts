/**
 * The store, laid out like an OCI image layout: what index.json and blobs/ hold after each
 * operation, how names resolve, and that failures leave it as it was.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MediaType, type ImageIndex } from '../../src/image/types.js';
import { Store } from '../../src/store/store.js';
import { sha256 } from '../../src/util/digest.js';
import { rejected } from '../helpers/caught.js';
import { tempRoot } from '../helpers/tmp.js';
import { addTestImage } from '../helpers/images.js';

const index = (root: string) =>
  JSON.parse(readFileSync(join(root, 'index.json'), 'utf8')) as ImageIndex;
const blobs = (root: string) => readdirSync(join(root, 'blobs', 'sha256')).sort();

describe('Store', () => {
  it('starts with an empty index, and does not claim to be an OCI layout (a built layer has no blob)', async () => {
    const root = tempRoot();
    // A store written before layers were kept once said it was one.
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await Store.open(root);
    expect(existsSync(join(root, 'oci-layout'))).toBe(false);
    expect(index(root)).toEqual({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] });
  });

  it('stores config, manifest and layers as blobs named by their digests', async () => {
    const root = tempRoot();
    const store = await Store.open(root);
    const img = await addTestImage(store, { layers: [{ a: 'x' }], tags: ['app:1'] });
    for (const hex of blobs(root))
      expect(sha256(readFileSync(join(root, 'blobs', 'sha256', hex)))).toBe(`sha256:${hex}`);
    const config = readFileSync(join(root, 'blobs', 'sha256', img.id.slice(7)));
    expect(sha256(config)).toBe(img.id);
    expect(index(root).manifests).toEqual([
      expect.objectContaining({
        mediaType: MediaType.ociManifest,
        digest: img.manifest.digest,
        annotations: expect.objectContaining({
          'org.opencontainers.image.ref.name': 'docker.io/library/app:1',
        }),
      }),
    ]);
    const manifest = await store.manifest(img);
    // Descriptors carry exactly the OCI fields: nothing of ours leaks into them.
    expect(manifest.config).toEqual({
      mediaType: MediaType.ociConfig,
      digest: img.id,
      size: config.length,
    });
    for (const d of [...index(root).manifests, ...manifest.layers])
      expect(
        Object.keys(d).every((k) => ['mediaType', 'digest', 'size', 'annotations'].includes(k)),
      ).toBe(true);
    expect(manifest.layers[0]).toMatchObject({ mediaType: MediaType.ociLayer });
  });

  it('rejects a blob whose content does not match the expected digest, keeping nothing', async () => {
    const root = tempRoot();
    const store = await Store.open(root);
    const wrong = `sha256:${'0'.repeat(64)}`;
    const e = await rejected(
      store.blobs.put(Readable.from([Buffer.from('hello')]), { expected: wrong, source: 'x.tar' }),
    );
    expect(e.code).toBe('DIGEST_MISMATCH');
    expect(e.message).toContain('x.tar');
    expect(blobs(root)).toEqual([]);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });

  it('refuses an image whose layer is missing and leaves index.json alone', async () => {
    const root = tempRoot();
    const store = await Store.open(root);
    await addTestImage(store, { layers: [{ a: '1' }], tags: ['keep'] });
    const before = readFileSync(join(root, 'index.json'), 'utf8');
    const missing = { mediaType: MediaType.ociLayer, digest: `sha256:${'1'.repeat(64)}`, size: 1 };
    const e = await rejected(
      store.addImage({
        config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
        layers: [missing],
        tags: ['x'],
      }),
    );
    expect(e.code).toBe('BLOB_MISSING');
    expect(readFileSync(join(root, 'index.json'), 'utf8')).toBe(before);
  });

  it('lists an untagged image with a plain descriptor', async () => {
    const root = tempRoot();
    const store = await Store.open(root);
    const img = await addTestImage(store, { layers: [{ a: '1' }] });
    const [entry] = index(root).manifests;
    expect(Object.keys(entry!).sort()).toEqual(['annotations', 'digest', 'mediaType', 'size']);
    expect(entry!.digest).toBe(img.manifest.digest);
  });

  it('moves a tag to a new image and keeps the old one listed, untagged', async () => {
    const store = await Store.open(tempRoot());
    const a = await addTestImage(store, { layers: [{ a: '1' }], tags: ['app'] });
    const b = await addTestImage(store, { layers: [{ b: '2' }], tags: ['app'] });
    const all = await store.images();
    expect(all.find((i) => i.id === b.id)?.tags).toEqual(['docker.io/library/app:latest']);
    expect(all.find((i) => i.id === a.id)?.tags).toEqual([]);
  });

  it('resolves names, full and short IDs as docker does', async () => {
    const store = await Store.open(tempRoot());
    const img = await addTestImage(store, {
      layers: [{ a: '1' }],
      tags: ['localhost:5000/x/app:2'],
    });
    for (const name of [
      'localhost:5000/x/app:2',
      img.id,
      img.id.slice(7),
      img.id.slice(7, 19),
      `sha256:${img.id.slice(7, 15)}`,
    ])
      expect((await store.resolve(name)).id, name).toBe(img.id);
    // A digest reference names what a registry knows the image by (RepoDigests,
    // none until it is pushed or pulled), not any manifest with that digest.
    const byDigest = await rejected(store.resolve(`localhost:5000/x/app@${img.manifest.digest}`));
    expect(byDigest.code).toBe('NO_SUCH_IMAGE');
    const e = await rejected(store.resolve('localhost:5000/x/app'));
    expect(e).toMatchObject({
      code: 'NO_SUCH_IMAGE',
      message: 'No such image: localhost:5000/x/app',
    });
  });

  it('calls a short ID that matches two images ambiguous', async () => {
    const store = await Store.open(tempRoot());
    const ids: string[] = [];
    // 17 images: two must share a first hex digit.
    for (let i = 0; i < 17; i++)
      ids.push((await addTestImage(store, { layers: [{ n: String(i) }] })).id);
    const first = ids.map((id) => id[7]!);
    const shared = first.find((c, i) => first.indexOf(c) !== i)!;
    const e = await rejected(store.resolve(shared));
    expect(e.code).toBe('AMBIGUOUS_ID');
  });

  it('serialises concurrent writers: no image is lost from index.json', async () => {
    const root = tempRoot();
    const store = await Store.open(root);
    const other = await Store.open(root);
    const made = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        addTestImage(i % 2 ? store : other, { layers: [{ f: String(i) }], tags: [`img${i}`] }),
      ),
    );
    const listed = await store.images();
    expect(listed.map((i) => i.id).sort()).toEqual(made.map((i) => i.id).sort());
    expect(listed.every((i) => i.tags.length === 1)).toBe(true);
  });
});
