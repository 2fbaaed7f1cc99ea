/**
 * Issue 15, "a build step's record in the store must be O(1) in the Dockerfile's
 * length": a step keeps one small cache record (its key's input, its layer, its
 * time), never an image config of its own — one holds the whole history so far,
 * which made the store grow with the square of the number of steps (2,000 ENV
 * lines wrote 286 MB of configs). The image's config is stored once, at the end.
 */
import { readdirSync, readFileSync, lstatSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cacheUsage, prune } from '../../src/api/prune.js';
import { canonicalJson } from '../../src/build/cachekey.js';
import { Store } from '../../src/store/store.js';
import { sha256 } from '../../src/util/digest.js';
import { buildIn, contextOf, flatten, storeWithBusybox } from '../build/harness.js';

/** Every file under `dir` (path relative to it → apparent size). */
function files(dir: string, prefix = ''): Map<string, number> {
  const out = new Map<string, number>();
  for (const name of readdirSync(dir)) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const st = lstatSync(join(dir, name));
    if (st.isDirectory()) for (const [p, s] of files(join(dir, name), rel)) out.set(p, s);
    else out.set(rel, st.size);
  }
  return out;
}

const added = (before: Map<string, number>, after: Map<string, number>) =>
  [...after.keys()].filter((p) => !before.has(p));
const bytes = (m: Map<string, number>, paths: string[]) =>
  paths.reduce((n, p) => n + (m.get(p) ?? 0), 0);

let root: string;

beforeAll(async () => {
  root = await storeWithBusybox();
});

describe('a build step in the store', () => {
  it('is one small record: 2,000 ENV lines add no blob per step, and a warm rebuild hits them all', async () => {
    const N = 2000;
    const lines = ['FROM busybox'];
    for (let i = 0; i < N; i++) lines.push(`ENV VAR_${i}=value-${i}`);
    const ctx = contextOf({ Dockerfile: `${lines.join('\n')}\n` });
    const before = files(root);
    const cold = await buildIn(root, { context: ctx, tags: ['many:1'] });
    const after = files(root);
    const fresh = added(before, after);
    const records = fresh.filter((p) => p.startsWith('cache/'));
    const others = fresh.filter((p) => !p.startsWith('cache/'));
    // One record per step; outside cache/, only what the image itself needs (its
    // config and manifest, its name): a number that does not grow with N.
    expect(records.length).toBe(N);
    expect(others.length).toBeLessThan(10);
    expect(bytes(after, records)).toBeLessThan(N * 1024);
    // The image's config (Env and history of N entries) is the one O(N) thing written.
    expect(bytes(after, fresh)).toBeLessThan(N * 2048);
    const store = await Store.open(root);
    const config = await store.config(await store.resolve('many:1'));
    expect(config.history!.length).toBeGreaterThanOrEqual(N);

    // As docker's: the last ` ---> ` is the image's ID, as `Successfully built` says.
    const done = cold.events.filter((e) => e.type === 'done');
    expect(done.at(-1)).toMatchObject({ id: cold.id.slice('sha256:'.length, 19) });
    expect(cold.events.find((e) => e.type === 'stage-done')).toMatchObject({ id: cold.id });

    const warm = await buildIn(root, { context: ctx, tags: ['many:1'] });
    expect(Object.values(warm.cached).filter((c) => !c)).toEqual([]);
    expect(Object.keys(warm.cached).length).toBe(N);
    expect(warm.id).toBe(cold.id);
    expect(added(after, files(root))).toEqual([]);
  });

  it('gives the steps after one that ran again new keys: never a layer built on another', async () => {
    const first = 'RUN head -c 16 /dev/urandom | od -An -tx1 > /t';
    const ctx = contextOf({
      Dockerfile: `FROM busybox\n${first}\nRUN cp /t /u\n`,
      'one.Dockerfile': `FROM busybox\n${first}\n`,
    });
    await buildIn(root, { context: ctx });
    // The same first step, run again: its record now names a layer with other bytes.
    const again = await buildIn(root, {
      context: ctx,
      dockerfile: join(ctx, 'one.Dockerfile'),
      noCache: true,
    });
    const r = await buildIn(root, { context: ctx });
    expect(r.cached).toEqual({ [first]: true, 'RUN cp /t /u': false });
    const fs = await flatten(root, r.id);
    expect(readFileSync(join(fs, 'u'), 'utf8')).toBe(readFileSync(join(fs, 't'), 'utf8'));
    const t = await flatten(root, again.id);
    expect(readFileSync(join(fs, 't'), 'utf8')).toBe(readFileSync(join(t, 't'), 'utf8'));
  });

  it('of the old format (it named a config) is a miss, explains nothing, and prune takes it', async () => {
    const own = await storeWithBusybox();
    const store = await Store.open(own);
    const base = (await store.resolve('busybox')).id;
    // What a tsbuild of KEY_VERSION 1 wrote for `ENV OLD=1` on busybox.
    const input = { parent: base, text: 'ENV OLD=1' };
    const key = sha256(canonicalJson({ v: 1, ...input }));
    const stored = await store.blobs.putBytes(Buffer.from('{"old":"config"}'));
    const then = '2024-01-01T00:00:00.000Z';
    await store.cache.put({ key, input, config: stored.digest, created: then, lastUsed: then });
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nENV OLD=1\n' });
    const r = await buildIn(own, { context: ctx, explainCache: true });
    expect(r.cached).toEqual({ 'ENV OLD=1': false });
    expect(r.events.find((e) => e.type === 'miss')).toMatchObject({
      explain: { reason: 'first-build' },
    });
    expect((await cacheUsage({ root: own })).find((u) => u.key === key)?.reclaimable).toBe(true);
    const blob = store.blobs.path(stored.digest);
    utimesSync(blob, new Date(2024, 0, 1), new Date(2024, 0, 1));
    const pruned = await prune({ root: own });
    expect(pruned.cache).toEqual([key]);
    expect(await store.cache.get(key)).toBeUndefined();
    expect(() => lstatSync(blob)).toThrow(/ENOENT/);
    // The new record stays, and hits.
    const warm = await buildIn(own, { context: ctx });
    expect(warm.cached).toEqual({ 'ENV OLD=1': true });
    expect(warm.id).toBe(r.id);
  });
});
