/**
 * The store's RUN cache mounts: one directory per id and seed, shared as
 * BuildKit shares them — `locked` waits for the holder, `private` takes a
 * fresh instance while another is held, `shared` users work side by side and
 * keep the cache from prune.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CacheMounts } from '../../src/store/cache-mounts.js';
import { tempRoot } from '../helpers/tmp.js';

const mounts = () => {
  const root = tempRoot('tsbuild-cachemounts-');
  return new CacheMounts(root, join(root, 'tmp'));
};
const empty = async () => {};

describe('cache mounts in the store', () => {
  it('one directory per id and seed; init fills a new one only', async () => {
    const m = mounts();
    const a = await m.acquire('go', '', 'shared', async (d) =>
      writeFileSync(join(d, 'seeded'), 'x'),
    );
    expect(a.fresh).toBe(true);
    await a.release();
    const b = await m.acquire('go', '', 'shared', () => Promise.reject(new Error('not again')));
    expect([b.fresh, b.dir]).toEqual([false, a.dir]);
    expect(readFileSync(join(b.dir, 'seeded'), 'utf8')).toBe('x');
    await b.release();
    const seeded = await m.acquire('go', 'from stage', 'shared', empty);
    expect(seeded.dir).not.toBe(a.dir);
    await seeded.release();
  });

  it('shared users that come at once get one directory, made once (neither replaces the other)', async () => {
    const m = mounts();
    // Nothing to seed (a cache mount without from=): the new directory is empty.
    const slowInit = () => new Promise<void>((r) => setTimeout(r, 50));
    const [a, b] = await Promise.all([
      m.acquire('meet', '', 'shared', slowInit),
      m.acquire('meet', '', 'shared', slowInit),
    ]);
    // Made once: what one writes the other sees (a second rename would have put a
    // new, empty directory in place of the first user's).
    expect([a.fresh, b.fresh].sort()).toEqual([false, true]);
    expect(a.dir).toBe(b.dir);
    await Promise.all([a.release(), b.release()]);
  });

  it('locked waits until the holder releases it', async () => {
    const m = mounts();
    const first = await m.acquire('apt', '', 'locked', empty);
    const order: string[] = [];
    const second = m.acquire('apt', '', 'locked', empty).then((h) => {
      order.push('second acquired');
      return h;
    });
    await new Promise((r) => setTimeout(r, 300));
    order.push('first released');
    await first.release();
    const h = await second;
    expect(order).toEqual(['first released', 'second acquired']);
    expect(h.dir).toBe(first.dir);
    await h.release();
  });

  it('private takes another instance while one is held, and the first again once free', async () => {
    const m = mounts();
    const first = await m.acquire('npm', '', 'private', empty);
    const second = await m.acquire('npm', '', 'private', empty);
    expect(second.dir).not.toBe(first.dir);
    expect(second.fresh).toBe(true);
    await first.release();
    await second.release();
    const again = await m.acquire('npm', '', 'private', empty);
    expect(again.dir).toBe(first.dir);
    await again.release();
  });

  it('a held cache is in use: listed so, and prune (remove) leaves it', async () => {
    const m = mounts();
    const held = await m.acquire('pip', '', 'shared', async (d) =>
      writeFileSync(join(d, 'f'), 'data'),
    );
    const [listed] = await m.list();
    expect(listed).toMatchObject({ id: 'pip', inUse: true });
    expect(await m.remove(listed!.key)).toBeUndefined();
    await held.release();
    expect((await m.list())[0]!.inUse).toBe(false);
    expect(await m.remove(listed!.key)).toBeGreaterThan(0);
    expect(existsSync(held.dir)).toBe(false);
    expect(await m.list()).toEqual([]);
  });
});
