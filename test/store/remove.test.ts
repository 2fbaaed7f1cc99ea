/** rmi as Docker's daemon decides it: untag vs delete, conflicts, parent pruning, blob release. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeImage } from '../../src/store/remove.js';
import { Store } from '../../src/store/store.js';
import { rejected } from '../helpers/caught.js';
import { tempRoot } from '../helpers/tmp.js';
import { addTestImage } from '../helpers/images.js';

const blobExists = (store: Store, digest: string) =>
  existsSync(join(store.root, 'blobs', 'sha256', digest.slice(7)));

describe('removeImage', () => {
  it('only untags while another tag remains', async () => {
    const store = await Store.open(tempRoot());
    const img = await addTestImage(store, { layers: [{ a: '1' }], tags: ['app:1'] });
    await store.tag('app:1', 'app:2');
    expect(await removeImage(store, 'app:1')).toEqual([{ untagged: 'docker.io/library/app:1' }]);
    expect((await store.resolve('app:2')).id).toBe(img.id);
    expect(blobExists(store, img.id)).toBe(true);
  });

  it('deletes the image and the layers no other image holds with its last tag', async () => {
    const store = await Store.open(tempRoot());
    const base = await addTestImage(store, { layers: [{ base: '1' }], tags: ['base'] });
    const app = await addTestImage(store, { parent: base, layers: [{ app: '1' }], tags: ['app'] });
    const [shared, own] = (await store.manifest(app)).layers;
    const events = await removeImage(store, 'app');
    expect(events).toEqual([
      { untagged: 'docker.io/library/app:latest' },
      { deleted: app.id },
      { deleted: own!.digest },
    ]);
    expect(blobExists(store, own!.digest)).toBe(false);
    expect(blobExists(store, app.id)).toBe(false);
    expect(blobExists(store, app.manifest.digest)).toBe(false);
    expect(blobExists(store, shared!.digest)).toBe(true);
    expect((await store.images()).map((i) => i.id)).toEqual([base.id]);
  });

  it('by ID: refuses an image in several repositories unless forced', async () => {
    const store = await Store.open(tempRoot());
    const img = await addTestImage(store, { layers: [{ a: '1' }], tags: ['one', 'two'] });
    const e = await rejected(removeImage(store, img.id.slice(7, 19)));
    expect(e.code).toBe('IMAGE_CONFLICT');
    expect(e.message).toBe(
      `conflict: unable to delete ${img.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`,
    );
    const events = await removeImage(store, img.id, { force: true });
    expect(events).toContainEqual({ untagged: 'docker.io/library/one:latest' });
    expect(events).toContainEqual({ untagged: 'docker.io/library/two:latest' });
    expect(events).toContainEqual({ deleted: img.id });
    expect(await store.images()).toEqual([]);
  });

  it('by ID: refuses an image with two tags even in one repository (isSingleReference)', async () => {
    const store = await Store.open(tempRoot());
    const img = await addTestImage(store, { layers: [{ a: '1' }], tags: ['app:1', 'app:2'] });
    expect((await rejected(removeImage(store, img.id))).code).toBe('IMAGE_CONFLICT');
    expect((await store.images()).map((i) => i.tags.length)).toEqual([2]);
  });

  it('by ID: refuses an image others were built on unless forced; children stay whole', async () => {
    const store = await Store.open(tempRoot());
    const base = await addTestImage(store, { layers: [{ base: '1' }], tags: ['base'] });
    const app = await addTestImage(store, { parent: base, layers: [{ app: '1' }], tags: ['app'] });
    const e = await rejected(removeImage(store, base.id));
    expect(e.message).toContain('image has dependent child images');
    await removeImage(store, base.id, { force: true });
    expect((await store.images()).map((i) => i.id)).toEqual([app.id]);
    for (const l of (await store.manifest(app)).layers)
      expect(blobExists(store, l.digest)).toBe(true);
  });

  it('untagging the last tag of a parent keeps it, untagged, for its children', async () => {
    const store = await Store.open(tempRoot());
    const base = await addTestImage(store, { layers: [{ base: '1' }], tags: ['base'] });
    await addTestImage(store, { parent: base, layers: [{ app: '1' }], tags: ['app'] });
    expect(await removeImage(store, 'base')).toEqual([
      { untagged: 'docker.io/library/base:latest' },
    ]);
    expect((await store.images()).find((i) => i.id === base.id)?.tags).toEqual([]);
  });

  it('deletes untagged intermediate parents with the image, unless noPrune', async () => {
    for (const noPrune of [false, true]) {
      const store = await Store.open(tempRoot());
      const base = await addTestImage(store, { layers: [{ base: '1' }], tags: ['base'] });
      const mid = await addTestImage(store, { parent: base, layers: [{ mid: '1' }] });
      const top = await addTestImage(store, { parent: mid, layers: [{ top: '1' }], tags: ['top'] });
      const events = await removeImage(store, 'top', { noPrune });
      const deleted = events.flatMap((e) => ('deleted' in e ? [e.deleted] : []));
      expect(deleted.includes(top.id)).toBe(true);
      expect(deleted.includes(mid.id)).toBe(!noPrune);
      const left = (await store.images()).map((i) => i.id).sort();
      expect(left).toEqual((noPrune ? [base.id, mid.id] : [base.id]).sort());
    }
  });

  it('names a missing image', async () => {
    const store = await Store.open(tempRoot());
    const e = await rejected(removeImage(store, 'nope:1'));
    expect(e).toMatchObject({ code: 'NO_SUCH_IMAGE', message: 'No such image: nope:1' });
  });
});
