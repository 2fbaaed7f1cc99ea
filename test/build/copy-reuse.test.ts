/**
 * A COPY from the context that runs again (one file changed) hardlinks the files it
 * already wrote last time from that layer's snapshot instead of writing them again,
 * and the image is what a full copy would give.
 */
import { lstatSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { buildIn, configOf, contextOf, flatten, storeWithBusybox } from './harness.js';

/**
 * The stat cache does not remember a file written in the last 100 ms (git's racily
 * clean problem), and only remembered digests are reused: let the context age a bit.
 */
const settle = () => new Promise((r) => setTimeout(r, 400));

let root: string;
beforeAll(async () => {
  root = await storeWithBusybox();
});

it('hardlinks unchanged files from the last run of the same COPY, and copies the changed one', async () => {
  const files: Record<string, string> = {
    Dockerfile: 'FROM busybox\nCOPY . /app\nRUN cat /app/d/changing\n',
  };
  for (let i = 0; i < 50; i++) files[`d/f${i}`] = `file ${i}\n`;
  files['d/changing'] = 'one\n';
  const ctx = contextOf(files);
  await settle();
  await buildIn(root, { context: ctx });
  writeFileSync(join(ctx, 'd/changing'), 'two\n');
  const r = await buildIn(root, { context: ctx, tags: ['reused'] });
  expect(r.cached).toEqual({ 'COPY . /app': false, 'RUN cat /app/d/changing': false });
  expect(r.output).toBe('two\n');

  // The new layer's snapshot shares the unchanged files' inodes with the old one's.
  // (The RUN changes nothing: the COPY's is the last layer.)
  const store = await Store.open(root);
  const snap = store.snapshots.path((await configOf(root, 'reused')).rootfs.diff_ids.at(-1)!);
  expect(lstatSync(join(snap, 'app/d/f7')).nlink).toBe(2);
  expect(lstatSync(join(snap, 'app/Dockerfile')).nlink).toBe(2);
  expect(lstatSync(join(snap, 'app/d/changing')).nlink).toBe(1);

  // And the image is exactly the context: contents, modes, mtimes.
  const fs = await flatten(root, 'reused');
  expect(readdirSync(join(fs, 'app/d')).sort()).toEqual(readdirSync(join(ctx, 'd')).sort());
  for (const name of readdirSync(join(ctx, 'd'))) {
    const [a, b] = [join(fs, 'app/d', name), join(ctx, 'd', name)];
    expect(readFileSync(a, 'utf8')).toBe(readFileSync(b, 'utf8'));
    expect(statSync(a).mode).toBe(statSync(b).mode);
    // Layer tars keep whole seconds of mtime.
    expect([name, Math.floor(statSync(a).mtimeMs / 1000)]).toEqual([
      name,
      Math.floor(statSync(b).mtimeMs / 1000),
    ]);
    expect(statSync(a).uid).toBe(0);
  }
});

it('does not reuse a file whose mode the copy would set differently', async () => {
  const ctx = contextOf({ Dockerfile: 'FROM busybox\nCOPY . /app\n', a: 'a\n', b: 'b\n' });
  await settle();
  await buildIn(root, { context: ctx });
  const { chmodSync } = await import('node:fs');
  chmodSync(join(ctx, 'a'), 0o755);
  const r = await buildIn(root, { context: ctx, tags: ['mode-changed'] });
  const store = await Store.open(root);
  const snap = store.snapshots.path((await configOf(root, r.id)).rootfs.diff_ids.at(-1)!);
  const [a, b] = ['a', 'b'].map((n) => lstatSync(join(snap, 'app', n)));
  expect({ a: [a!.nlink, a!.mode & 0o777], b: b!.nlink }).toEqual({ a: [1, 0o755], b: 2 });
});
