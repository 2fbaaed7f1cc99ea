/**
 * The same suite for both snapshotters, with real mounts: prepare over two
 * hand-made lowers, change the rootfs as a RUN would, and check that the
 * parent's layers plus the diff give back exactly the live tree.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLayer } from '../../../src/layer/apply.js';
import { tarDirectory } from '../../../src/layer/writer.js';
import {
  cleanupStale,
  CopySnapshotter,
  OverlaySnapshotter,
  type Snapshot,
  type Snapshotter,
} from '../../../src/runtime/snapshot/index.js';
import { readAll, tarNames } from '../../helpers/streams.js';
import { describe as describeTree, lowerBottom, lowerTop, simulateRun } from './trees.js';

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(`${dir}/`));
}

const snapshotters: Snapshotter[] = [new OverlaySnapshotter(), new CopySnapshotter()];

describe.each(snapshotters.map((s) => [s.kind, s] as const))('%s snapshotter', (_, snapshotter) => {
  let tmp: string;
  let workRoot: string;
  let lowers: string[];
  const open: Snapshot[] = [];

  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'tsbuild-snapshot-'));
    workRoot = join(tmp, 'work');
    lowers = [join(tmp, 'l0'), join(tmp, 'l1')];
    for (const l of lowers) mkdirSync(l);
    lowerBottom(lowers[0] as string);
    lowerTop(lowers[1] as string);
  });

  afterEach(async () => {
    for (const s of open.splice(0)) await s.release();
    rmSync(tmp, { recursive: true, force: true });
  });

  async function prepare(exclude?: (p: string) => boolean): Promise<Snapshot> {
    const snap = await snapshotter.prepare(lowers, { workRoot, exclude });
    open.push(snap);
    return snap;
  }

  /** A fresh dir with the lowers, then `layer`, applied as an image's layers are. */
  async function rebuild(layer: Buffer): Promise<string> {
    const root = mkdtempSync(join(tmp, 'rebuilt-'));
    for (const l of lowers) await applyLayer(root, tarDirectory(l, { overlay: true }));
    const { Readable } = await import('node:stream');
    await applyLayer(root, Readable.from([layer]));
    return root;
  }

  it('shows the lowers merged, whiteouts and opaque dirs honoured', async () => {
    const snap = await prepare();
    const tree = describeTree(snap.rootfs).entries;
    expect(tree['hidden.txt']).toBeUndefined();
    expect(Object.keys(tree).filter((p) => p.startsWith('opq/'))).toEqual(['opq/new']);
    expect(tree['etc/extra']?.type).toBe('file');
    expect(tree['bin/su']?.mode).toBe(0o4755);
    expect(tree['bin/ping']?.cap).toBe('0100000200200080000000000000000000000000');
  });

  it('diffs a RUN into a layer that rebuilds the live tree exactly', async () => {
    const snap = await prepare();
    simulateRun(snap.rootfs);
    const layer = await readAll(snap.diff());
    const rebuilt = await rebuild(layer);
    const live = describeTree(snap.rootfs);
    expect(describeTree(rebuilt)).toEqual(live);
    expect(live.links).toEqual([
      ['hl1', 'hl2'],
      ['linkme.txt', 'linkme2.txt'],
    ]);
    expect(live.entries['swap/old']).toBeUndefined();
    expect(live.entries['bin/cap']?.cap).toBe('0100000200200080000000000000000000000000');
    expect(live.entries['bin/app']?.mode).toBe(0o4755);
    expect(live.entries['owned.txt']).toMatchObject({ uid: 1000, gid: 1000, mode: 0o600 });
    expect(live.entries['dir2file']?.type).toBe('file');
    expect(live.entries['file2dir/inside']?.type).toBe('file');
    expect(live.entries['bin/newlink']?.target).toBe('../etc/passwd');
    const names = await tarNames(layer);
    expect(names).toContain('data/.wh.sub');
    expect(names).toContain('.wh.delete.txt');
    // overlayfs makes the re-made dir opaque; the copy snapshotter may see the same inode number
    // reused and white out the old entries one by one instead.
    expect(names.filter((n) => n === 'swap/.wh..wh..opq' || n === 'swap/.wh.old')).toHaveLength(1);
    // A deleted directory is one whiteout, nothing under it.
    expect(names.filter((n) => n.startsWith('data/sub'))).toEqual([]);
    // Unchanged lower files stay out of the layer.
    expect(names).not.toContain('hl1');
    expect(names).not.toContain('etc/passwd');
  });

  it('sees a same-size rewrite made right after prepare()', async () => {
    const snap = await prepare();
    writeFileSync(join(snap.rootfs, 'modify.txt'), 'v9\n');
    const rebuilt = await rebuild(await readAll(snap.diff()));
    expect(readFileSync(join(rebuilt, 'modify.txt'), 'utf8')).toBe('v9\n');
  });

  it('diffs the same bytes twice (sourceDateEpoch given)', async () => {
    const snap = await prepare();
    simulateRun(snap.rootfs);
    const a = await readAll(snap.diff({ sourceDateEpoch: 0 }));
    const b = await readAll(snap.diff({ sourceDateEpoch: 0 }));
    expect(a.equals(b)).toBe(true);
  });

  it('diffs an unchanged snapshot to an empty layer: only the end-of-archive blocks', async () => {
    const snap = await prepare();
    readFileSync(join(snap.rootfs, 'etc/passwd'));
    expect(await readAll(snap.diff())).toEqual(Buffer.alloc(1024));
  });

  it('leaves excluded paths out of the layer, bind mounts on them too', async () => {
    const snap = await prepare((p) => p === 'etc/hosts' || p === 'etc/resolv.conf');
    // As a runner provides /etc/hosts; release() must unmount it before the rootfs.
    const hosts = join(tmp, 'hosts');
    writeFileSync(hosts, '10.0.0.1 build\n');
    execFileSync('mount', ['--bind', hosts, join(snap.rootfs, 'etc/hosts')]);
    writeFileSync(join(snap.rootfs, 'etc/resolv.conf'), 'nameserver 10.0.0.1\n');
    writeFileSync(join(snap.rootfs, 'etc/kept'), 'kept\n');
    const names = await tarNames(await readAll(snap.diff()));
    expect(names).toContain('etc/kept');
    expect(names.filter((n) => n.includes('hosts') || n.includes('resolv'))).toEqual([]);
    await snap.release();
    expect(mountsUnder(tmp)).toEqual([]);
    expect(readFileSync(hosts, 'utf8')).toBe('10.0.0.1 build\n');
  });

  it('release() leaves no mount and no dir, and may be called twice', async () => {
    const snap = await prepare();
    simulateRun(snap.rootfs);
    expect(existsSync(snap.rootfs)).toBe(true);
    await snap.release();
    await snap.release();
    expect(mountsUnder(tmp)).toEqual([]);
    expect(readdirSync(workRoot)).toEqual([]);
  });

  it('cleanupStale() removes what a killed process left, and spares live snapshots', async () => {
    const left = await prepare();
    const live = await prepare();
    // As if `left` were made by a process that has since died.
    const dead = spawnSync('true').pid;
    const leftDir = join(left.rootfs, '..');
    writeFileSync(join(leftDir, 'owner'), JSON.stringify({ pid: dead, start: '1' }));
    const removed = await cleanupStale(workRoot);
    expect(removed).toHaveLength(1);
    expect(existsSync(left.rootfs)).toBe(false);
    expect(mountsUnder(tmp).filter((m) => m.startsWith(leftDir))).toEqual([]);
    expect(existsSync(join(live.rootfs, 'etc/passwd'))).toBe(true);
    await left.release(); // harmless after the cleanup
  });

  it('prepares scratch (no lowers)', async () => {
    const snap = await snapshotter.prepare([], { workRoot });
    open.push(snap);
    expect(readdirSync(snap.rootfs)).toEqual([]);
    writeFileSync(join(snap.rootfs, 'f'), 'x');
    expect(await tarNames(await readAll(snap.diff()))).toEqual(['f']);
  });
});
