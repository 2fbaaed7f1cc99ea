/** build() as a library: events as an async iterable, AbortSignal, outputs, --squash. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildEvents } from '../../src/api/build.js';
import type { BuildEvent } from '../../src/build/events.js';
import { Store } from '../../src/store/store.js';
import { rejected } from '../helpers/caught.js';
import { tempRoot } from '../helpers/tmp.js';
import { tarNames } from '../helpers/streams.js';
import { buildIn, configOf, contextOf, flatten, storeWithBusybox } from './harness.js';

let root: string;
beforeAll(async () => {
  root = await storeWithBusybox();
});

describe('buildEvents', () => {
  it('streams the events and settles with the result', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN echo streamed\n' });
    const b = buildEvents({ root, env: {}, context: ctx, noCache: true });
    const seen: BuildEvent['type'][] = [];
    let output = '';
    for await (const e of b) {
      seen.push(e.type);
      if (e.type === 'output') output += e.data;
    }
    const r = await b.result;
    expect(output).toBe('streamed\n');
    // The Dockerfile was read (definition), then planned, as BuildKit's first vertex.
    expect(seen.slice(0, 2)).toEqual(['definition', 'plan']);
    expect(seen.at(-1)).toBe('result');
    expect(r.steps.map((s) => [s.text, s.cached])).toEqual([['RUN echo streamed', false]]);
  });

  it('stops a build when its signal aborts, killing the RUN and keeping earlier steps', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN echo first > /f\nRUN sleep 4247\n' });
    const ac = new AbortController();
    const b = buildEvents({ root, env: {}, context: ctx, signal: ac.signal });
    const consume = async () => {
      for await (const e of b)
        if (e.type === 'step' && e.text === 'RUN sleep 4247') setTimeout(() => ac.abort(), 200);
    };
    const err = await rejected(consume());
    expect(await rejected(b.result)).toBe(err);
    // The RUN was killed, not left to finish: no sleep 4247 is left anywhere.
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps.split('\n').filter((l) => l.trim() === 'sleep 4247')).toEqual([]);
    // The signal's reason, as fetch and Node's promise APIs reject: abort() with
    // no argument puts a DOMException AbortError there.
    expect(err).toBe(ac.signal.reason);
    expect(err).toBeInstanceOf(DOMException);
    expect(err.name).toBe('AbortError');
    const store = await Store.open(root);
    expect(readdirSync(join(store.root, 'tmp')).filter((n) => n.startsWith('build-'))).toEqual([]);
    const fixed = contextOf({ Dockerfile: 'FROM busybox\nRUN echo first > /f\nRUN true\n' });
    const again = await buildIn(root, { context: fixed });
    expect(again.cached).toEqual({ 'RUN echo first > /f': true, 'RUN true': false });
  });
});

describe('outputs and options', () => {
  it("--label adds labels; --squash makes the build's layers one", async () => {
    const ctx = contextOf({
      Dockerfile: 'FROM busybox\nRUN echo a > /a\nRUN echo b > /b && rm /a\nLABEL x=1\n',
    });
    const r = await buildIn(root, {
      context: ctx,
      labels: { built: 'yes' },
      squash: true,
      tags: ['sq'],
    });
    const config = await configOf(root, r.id);
    expect(config.config?.Labels).toEqual({ x: '1', built: 'yes' });
    const base = await configOf(root, 'busybox');
    expect(config.rootfs.diff_ids).toHaveLength(base.rootfs.diff_ids.length + 1);
    const fs = await flatten(root, 'sq');
    expect(readFileSync(join(fs, 'b'), 'utf8')).toBe('b\n');
    expect(existsSync(join(fs, 'a'))).toBe(false);
    expect(config.history!.filter((h) => !h.empty_layer)).toHaveLength(
      base.rootfs.diff_ids.length + 1,
    );
  });

  it('--squash keeps a base image built by tsbuild as it is', async () => {
    const base = contextOf({ Dockerfile: 'FROM busybox\nRUN echo 1 > /one\n' });
    await buildIn(root, { context: base, tags: ['sq-base'] });
    const child = contextOf({ Dockerfile: 'FROM sq-base\nRUN echo a > /a\nRUN echo b > /b\n' });
    const r = await buildIn(root, { context: child, squash: true });
    const [b, c] = [await configOf(root, 'sq-base'), await configOf(root, r.id)];
    expect(c.rootfs.diff_ids.slice(0, -1)).toEqual(b.rootfs.diff_ids);
    expect(c.rootfs.diff_ids).toHaveLength(b.rootfs.diff_ids.length + 1);
    expect(c.history!.slice(0, b.history!.length)).toEqual(b.history);
    expect(c.history!.slice(b.history!.length).map((h) => h.empty_layer ?? false)).toEqual([
      true,
      false,
    ]);
  });

  it('writes the filesystem to a directory or a tar, and an archive for --output type=oci', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM scratch\nCOPY a.txt /\n', 'a.txt': 'A' });
    const out = tempRoot('tsbuild-out-');
    await buildIn(root, {
      context: ctx,
      tags: ['outs'],
      outputs: [
        { type: 'local', dest: join(out, 'dir') },
        { type: 'tar', dest: join(out, 'fs.tar') },
        { type: 'oci', dest: join(out, 'img.tar') },
      ],
    });
    expect(readdirSync(join(out, 'dir'))).toEqual(['a.txt']);
    expect(await tarNames(readFileSync(join(out, 'fs.tar')))).toEqual(['a.txt']);
    const names = await tarNames(readFileSync(join(out, 'img.tar')));
    expect(names).toContain('index.json');
    expect(names).toContain('manifest.json');
  });
});
