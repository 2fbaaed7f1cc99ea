/**
 * SOURCE_DATE_EPOCH: two fresh stores (the same base loaded into each) and two
 * context directories with different file times build the same Dockerfile, with
 * real RUN steps, into the same image ID and manifest digest; the times in the
 * config, the history and the layers are the epoch's, older file times are kept,
 * and the epoch is part of every step's cache key.
 */
import { createReadStream, createWriteStream, lstatSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../src/api/build.js';
import { load } from '../../src/api/load.js';
import { save } from '../../src/api/save.js';
import { TsbuildError } from '../../src/errors.js';
import { rejected } from '../helpers/caught.js';
import { tempRoot } from '../helpers/tmp.js';
import { buildIn, configOf, contextOf, flatten, storeWithBusybox } from './harness.js';

const EPOCH = 1700000000;
const EPOCH_TIME = '2023-11-14T22:13:20Z';

const DOCKERFILE = [
  'FROM busybox',
  'COPY a.txt /a.txt',
  'RUN mkdir -p /out && echo hello > /out/f && cp /a.txt /out/b && ln -s f /out/link',
  'RUN touch -d @1000 /out/old && chmod 0640 /out/old',
  'WORKDIR /w',
  'ENV X=1',
  'CMD ["sh"]',
].join('\n');

let rootA: string;
let rootB: string;
let baseHistory: number;

beforeAll(async () => {
  rootA = await storeWithBusybox();
  // The same base in the second store: loaded from what the first saved (an
  // import would give it another `created`, so another ID).
  const archive = join(tempRoot('tsbuild-repro-'), 'busybox.tar');
  await save({ root: rootA, env: {}, images: ['busybox'], output: createWriteStream(archive) });
  rootB = tempRoot('tsbuild-repro-store-');
  await load({ root: rootB, env: {}, input: createReadStream(archive) });
  baseHistory = (await configOf(rootA, 'busybox')).history!.length;
}, 120_000);

/** A context of the Dockerfile, its file stamped `mtime` (seconds). */
function context(mtime: number, content = 'same\n'): string {
  const dir = contextOf({ Dockerfile: DOCKERFILE, 'a.txt': content });
  utimesSync(join(dir, 'a.txt'), mtime, mtime);
  return dir;
}

describe('SOURCE_DATE_EPOCH', () => {
  it('gives the same image ID and manifest digest in two stores', async () => {
    const now = Math.floor(Date.now() / 1000);
    // One by build arg, one from the environment (as buildx passes it on).
    const a = await buildIn(rootA, {
      context: context(now),
      tags: ['repro'],
      buildArgs: { SOURCE_DATE_EPOCH: String(EPOCH) },
    });
    const b = await build({
      root: rootB,
      env: { SOURCE_DATE_EPOCH: String(EPOCH) },
      context: context(now - 3600),
      tags: ['repro'],
    });
    expect(b.id).toBe(a.id);
    expect(b.digest).toBe(a.digest);
    const config = await configOf(rootA, 'repro');
    expect(config.created).toBe(EPOCH_TIME);
    const base = await configOf(rootA, 'busybox');
    // The base image's entries keep their times (BuildKit retains them); the build's are the epoch.
    expect(config.history!.slice(0, baseHistory)).toEqual(base.history);
    expect(config.history!.slice(baseHistory).map((h) => h.created)).toEqual(
      Array(7 - 1).fill(EPOCH_TIME),
    );
  });

  it('clamps newer file times in the layers to it and keeps older ones', async () => {
    await buildIn(rootA, {
      context: context(Math.floor(Date.now() / 1000)),
      tags: ['repro'],
      buildArgs: { SOURCE_DATE_EPOCH: String(EPOCH) },
    });
    const fs = await flatten(rootA, 'repro');
    const mtime = (p: string) => Math.floor(lstatSync(join(fs, p)).mtimeMs / 1000);
    for (const p of ['a.txt', 'out', 'out/f', 'out/b', 'out/link', 'w'])
      expect([p, mtime(p)]).toEqual([p, EPOCH]);
    expect(mtime('out/old')).toBe(1000);
    expect(lstatSync(join(fs, 'out/old')).mode & 0o777).toBe(0o640);
    // The base's files are the base's: busybox's tar has mtime 0.
    expect(mtime('bin/busybox')).toBe(0);
  });

  it('is part of the cache key: a layer built without it is not reused with it', async () => {
    // Content no other test builds: nothing of it is cached yet.
    const ctx = context(1500, 'cache key\n');
    const plain = await buildIn(rootA, { context: ctx });
    const again = await buildIn(rootA, { context: ctx });
    expect(again.id).toBe(plain.id);
    const withEpoch = await buildIn(rootA, {
      context: ctx,
      buildArgs: { SOURCE_DATE_EPOCH: String(EPOCH) },
    });
    expect(Object.values(withEpoch.cached)).toEqual(Array(6).fill(false));
    const other = await buildIn(rootA, {
      context: ctx,
      buildArgs: { SOURCE_DATE_EPOCH: String(EPOCH + 1) },
    });
    expect(Object.values(other.cached)).toEqual(Array(6).fill(false));
    expect(other.id).not.toBe(withEpoch.id);
    const warm = await buildIn(rootA, {
      context: ctx,
      buildArgs: { SOURCE_DATE_EPOCH: String(EPOCH) },
    });
    expect(Object.values(warm.cached)).toEqual(Array(6).fill(true));
    expect(warm.id).toBe(withEpoch.id);
  });

  it('takes a global ARG default, and the build arg over it', async () => {
    const text = `ARG SOURCE_DATE_EPOCH=${EPOCH}\n${DOCKERFILE}`;
    const ctx = contextOf({ Dockerfile: text, 'a.txt': 'same\n' });
    const r = await buildIn(rootA, { context: ctx, tags: ['repro-arg'] });
    expect((await configOf(rootA, 'repro-arg')).created).toBe(EPOCH_TIME);
    await buildIn(rootA, {
      context: ctx,
      tags: ['repro-arg2'],
      buildArgs: { SOURCE_DATE_EPOCH: '0' },
    });
    expect((await configOf(rootA, 'repro-arg2')).created).toBe('1970-01-01T00:00:00Z');
    expect(r.events.some((e) => e.type === 'warning')).toBe(false);
  });

  it('sets every time in a tar output to it, as BuildKit', async () => {
    const out = join(tempRoot('tsbuild-repro-out-'), 'fs.tar');
    await buildIn(rootA, {
      context: context(1500),
      buildArgs: { SOURCE_DATE_EPOCH: String(EPOCH) },
      outputs: [{ type: 'tar', dest: out }],
    });
    const times = new Map<string, number>();
    const extract = tar.extract();
    extract.on('entry', (h, stream, next) => {
      times.set(h.name, h.mtime!.getTime() / 1000);
      stream.resume();
      stream.on('end', next);
    });
    await pipeline(createReadStream(out), extract);
    expect(times.get('out/old')).toBe(EPOCH);
    expect(times.get('bin/busybox')).toBe(EPOCH);
    expect(new Set(times.values())).toEqual(new Set([EPOCH]));
  });

  it('gives the same image ID from two working directories, the context named relative to each', async () => {
    const ids: string[][] = [];
    for (const root of [rootA, rootB]) {
      const dir = context(Math.floor(Date.now() / 1000));
      const r = await build({
        root,
        env: { SOURCE_DATE_EPOCH: String(EPOCH) },
        cwd: dir,
        context: '.',
        dockerfile: 'Dockerfile',
      });
      ids.push([r.id, r.digest]);
    }
    expect(ids[1]).toEqual(ids[0]);
  });

  it("clamps a bare FROM base's newer `created` to it and keeps an older one, as BuildKit's exporter", async () => {
    const base = await configOf(rootA, 'busybox');
    const ctx = contextOf({ Dockerfile: 'FROM busybox\n' });
    // The base was imported now: newer than the epoch.
    await buildIn(rootA, {
      context: ctx,
      tags: ['bare'],
      buildArgs: { SOURCE_DATE_EPOCH: String(EPOCH) },
    });
    const bare = await configOf(rootA, 'bare');
    expect(bare.created).toBe(EPOCH_TIME);
    expect(bare.history).toEqual(base.history);
    const later = 4_000_000_000; // 2096: after the base was made
    await buildIn(rootA, {
      context: ctx,
      tags: ['bare-later'],
      buildArgs: { SOURCE_DATE_EPOCH: String(later) },
    });
    expect((await configOf(rootA, 'bare-later')).created).toBe(base.created);
  });

  it('refuses a value that is not whole seconds, in one line', async () => {
    const ctx = context(1500);
    for (const value of ['yesterday', '-5', '1.5']) {
      const e = await rejected(
        buildIn(rootA, { context: ctx, buildArgs: { SOURCE_DATE_EPOCH: value } }),
      );
      expect(e).toBeInstanceOf(TsbuildError);
      expect((e as TsbuildError).code).toBe('SOURCE_DATE_EPOCH');
      expect((e as Error).message).toMatch(
        /^invalid SOURCE_DATE_EPOCH "[^"\n]+": it must be whole seconds/,
      );
    }
  });
});
