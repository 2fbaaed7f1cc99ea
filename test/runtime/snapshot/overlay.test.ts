/**
 * The overlayfs snapshotter's own cases: mount data past one page, paths it
 * cannot carry, and choosing a snapshotter.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { Readable } from 'node:stream';
import { applyLayer } from '../../../src/layer/apply.js';
import { tarDirectory } from '../../../src/layer/writer.js';
import { readAll } from '../../helpers/streams.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  OverlaySnapshotter,
  overlaySupported,
  pickSnapshotter,
  SnapshotError,
  type Snapshot,
} from '../../../src/runtime/snapshot/index.js';
import { overlayData } from '../../../src/runtime/snapshot/overlay.js';

const made: string[] = [];
const open: Snapshot[] = [];

afterEach(async () => {
  for (const s of open.splice(0)) await s.release();
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'tsbuild-overlay-'));
  made.push(d);
  return d;
}

describe('overlayData', () => {
  it('lists the lowers top first, with the options the layer writer needs', () => {
    const { data, cwd } = overlayData(['/l/top', '/l/bottom'], '/s/upper', '/s/work');
    expect(data).toBe(
      'lowerdir=/l/top:/l/bottom,upperdir=/s/upper,workdir=/s/work,index=off,redirect_dir=off,metacopy=off',
    );
    expect(cwd).toBeUndefined();
  });

  it('goes relative to the common parent when absolute paths pass one page', () => {
    const base = `/store/${'x'.repeat(200)}`;
    const lowers = Array.from({ length: 30 }, (_, i) => `${base}/layers/${i}`);
    const { data, cwd } = overlayData(lowers, `${base}/tmp/s/upper`, `${base}/tmp/s/work`);
    expect(cwd).toBe(base);
    expect(data.startsWith('lowerdir=layers/0:layers/1:')).toBe(true);
    expect(data).toContain(',upperdir=tmp/s/upper,workdir=tmp/s/work,');
  });

  it('refuses what does not fit even relative, and paths with a comma or colon', () => {
    const lowers = Array.from({ length: 600 }, (_, i) => `/s/layers/${'a'.repeat(60)}${i}`);
    const tooMany = caught(() => overlayData(lowers, '/s/u', '/s/w'));
    expect(tooMany.code).toBe('SNAPSHOT_TOO_MANY_LAYERS');
    expect(caught(() => overlayData(['/l/a,b'], '/u', '/w')).code).toBe('SNAPSHOT_BAD_PATH');
    expect(caught(() => overlayData(['/l/a:b'], '/u', '/w')).code).toBe('SNAPSHOT_BAD_PATH');
  });
});

function caught(fn: () => unknown): SnapshotError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SnapshotError);
    return e as SnapshotError;
  }
  throw new Error('did not throw');
}

describe('OverlaySnapshotter', () => {
  it('mounts 25 lowers whose absolute paths pass one page', async () => {
    const long = join(temp(), 'y'.repeat(200));
    const lowers = Array.from({ length: 25 }, (_, i) => join(long, `l${i}`));
    lowers.forEach((l, i) => {
      mkdirSync(l, { recursive: true });
      writeFileSync(join(l, 'who'), `layer ${i}\n`);
      writeFileSync(join(l, `only-${i}`), '');
    });
    expect(lowers.join(':').length).toBeGreaterThan(4096);
    const snap = await new OverlaySnapshotter().prepare(lowers, { workRoot: join(long, 'work') });
    open.push(snap);
    expect(readFileSync(join(snap.rootfs, 'who'), 'utf8')).toBe('layer 24\n');
    expect(readdirSync(snap.rootfs)).toHaveLength(26);
  });

  it('fails a bad path with a clear error and leaves nothing behind', async () => {
    const dir = temp();
    const lower = join(dir, 'a,b');
    mkdirSync(lower);
    const workRoot = join(dir, 'work');
    const err = await new OverlaySnapshotter().prepare([lower], { workRoot }).catch((e) => e);
    expect(err).toBeInstanceOf(SnapshotError);
    expect(err.code).toBe('SNAPSHOT_BAD_PATH');
    expect(err.message).toContain('a,b');
    expect(readdirSync(workRoot)).toEqual([]);
  });
});

describe('OverlaySnapshot.detach', () => {
  it('hands over a dir that, as a lower, shows what the layer shows, without excluded paths', async () => {
    const lower = join(temp(), 'lower');
    mkdirSync(join(lower, 'etc'), { recursive: true });
    writeFileSync(join(lower, 'etc/keep'), 'lower\n');
    writeFileSync(join(lower, 'gone'), 'bye\n');
    const work = join(temp(), 'work');
    const snap = await new OverlaySnapshotter().prepare([lower], {
      workRoot: work,
      exclude: (p) => p === 'etc/hosts',
    });
    open.push(snap);
    writeFileSync(join(snap.rootfs, 'etc/hosts'), 'runtime file\n');
    writeFileSync(join(snap.rootfs, 'new'), 'new\n');
    rmSync(join(snap.rootfs, 'gone'));
    const layer = await readAll(snap.diff());
    const dir = await snap.detach!();
    expect(existsSync(join(dir, 'etc/hosts'))).toBe(false);
    expect(readFileSync(join(dir, 'new'), 'utf8')).toBe('new\n');
    // Stacked on the same lower, the detached dir and the layer give the same tree.
    const viaLayer = temp();
    const viaDir = temp();
    for (const [root, top] of [
      [viaLayer, Readable.from([layer])],
      [viaDir, tarDirectory(dir, { overlay: true })],
    ] as const) {
      await applyLayer(root, tarDirectory(lower, { overlay: true }), { whiteouts: 'apply' });
      await applyLayer(root, top, { whiteouts: 'apply' });
    }
    expect(readdirSync(viaDir).sort()).toEqual(['etc', 'new']);
    expect(readdirSync(viaLayer).sort()).toEqual(['etc', 'new']);
    expect(readdirSync(join(viaDir, 'etc'))).toEqual(['keep']);
  });
});

describe('pickSnapshotter', () => {
  it('finds overlayfs here (root, overlay in the kernel) and honours a forced kind', async () => {
    const workRoot = temp();
    expect(await overlaySupported(workRoot)).toBe(true);
    expect((await pickSnapshotter('auto', { workRoot })).kind).toBe('overlay');
    expect((await pickSnapshotter('overlay', { workRoot })).kind).toBe('overlay');
    expect((await pickSnapshotter('copy', { workRoot })).kind).toBe('copy');
    expect(readdirSync(workRoot)).toEqual([]);
  });
});
