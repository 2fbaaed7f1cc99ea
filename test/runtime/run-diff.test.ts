/**
 * Diff correctness with real runs: every runner × both snapshotters. A shell
 * script changes a snapshot of busybox + one more lower in every way a RUN can;
 * the parent's layers plus the diff, applied into a fresh dir, must give back
 * exactly the live merged tree. Add a runner to RUNNERS and it gets the suite.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLayer } from '../../src/layer/apply.js';
import { tarDirectory } from '../../src/layer/writer.js';
import {
  BuiltinRunner,
  findRuntime,
  OciRunner,
  type RunSpec,
} from '../../src/runtime/run/index.js';
import {
  CopySnapshotter,
  OverlaySnapshotter,
  type Snapshotter,
} from '../../src/runtime/snapshot/index.js';
import { rejected } from '../helpers/caught.js';
import { collector, readAll, tarNames } from '../helpers/streams.js';
import {
  busyboxLower,
  changesLower,
  mountsUnder,
  processesRunning,
  SCRIPT,
} from './run-diff-fixture.js';
import { CAP_BYTES, describe as describeTree, type Desc } from './snapshot/trees.js';

type Runner = Pick<OciRunner, 'run'>;

/** Every runner the suite runs against; a new one is one more line. */
const RUNNERS: [string, () => Runner][] = [
  ['runc', () => new OciRunner(findRuntime('runc'))],
  ['crun', () => new OciRunner(findRuntime('crun'))],
  ['builtin', () => new BuiltinRunner()],
];

const SNAPSHOTTERS: [string, () => Snapshotter][] = [
  ['overlay', () => new OverlaySnapshotter()],
  ['copy', () => new CopySnapshotter()],
];

const ETC = ['etc/hosts', 'etc/resolv.conf', 'etc/hostname'];
const exclude = (p: string) => ETC.includes(p);

const MATRIX = RUNNERS.flatMap(([r, runner], i) =>
  SNAPSHOTTERS.map(([s, snapshotter], j) => ({
    name: `${r} × ${s}`,
    runner,
    snapshotter,
    /** A `sleep` argument no other test uses, to find the process by. */
    marker: String(5100 + i * SNAPSHOTTERS.length + j),
  })),
);

/** A tree description without the bind-mounted /etc files. */
function treeOf(root: string): { entries: Record<string, Desc>; links: string[][] } {
  const t = describeTree(root);
  for (const p of ETC) delete t.entries[p];
  return t;
}

let tmp: string;
let lowers: string[];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'tsbuild-run-diff-'));
  lowers = [join(tmp, 'l0'), join(tmp, 'l1')];
  await busyboxLower(lowers[0]!);
  changesLower(lowers[1]!);
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.each(MATRIX)('$name', ({ name, runner, snapshotter, marker }) => {
  const spec = (args: string[]): RunSpec => ({
    args,
    env: [],
    cwd: '/',
    user: '',
    network: 'none',
  });

  function workRoot(): string {
    const dir = join(tmp, `work-${name.replace(/\W+/g, '-')}-${Date.now()}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  it('diffs a real RUN into a layer that rebuilds the live tree exactly', async () => {
    const work = workRoot();
    const { kind } = snapshotter();
    const snap = await snapshotter().prepare(lowers, { workRoot: join(work, 'snap'), exclude });
    try {
      const [out, err] = [collector(), collector()];
      const code = await runner().run(
        snap.rootfs,
        spec(['sh', '-c', SCRIPT]),
        { stdout: out.stream, stderr: err.stream },
        { workRoot: join(work, 'run') },
      );
      expect({ code, out: out.text(), err: err.text() }).toEqual({ code: 0, out: '', err: '' });

      const layer = await readAll(snap.diff());
      const names = await tarNames(layer);
      for (const p of ETC) expect(names).not.toContain(p);
      for (const p of ['proc/', 'sys/', 'dev/']) expect(names).not.toContain(p);

      const rebuilt = mkdtempSync(join(tmp, 'rebuilt-'));
      for (const l of lowers) await applyLayer(rebuilt, tarDirectory(l, { overlay: true }));
      await applyLayer(rebuilt, Readable.from([layer]), { whiteouts: 'apply' });

      const live = treeOf(snap.rootfs);
      expect(treeOf(rebuilt)).toEqual(live);
      // The script did what it says, so the comparison above is not of two empty trees.
      const e = live.entries;
      expect(e['new.txt']?.type).toBe('file');
      expect(e['data/modify.txt']?.size).toBe(6);
      expect(e['data/delete.txt']).toBeUndefined();
      expect(Object.keys(e).filter((p) => p.startsWith('deldir'))).toEqual([]);
      expect(e['dir2file']?.type).toBe('file');
      expect(e['dir2file/x']).toBeUndefined();
      expect(e['file2dir']?.type).toBe('dir');
      expect(e['file2dir/inside']?.type).toBe('file');
      expect(e['chmod.txt']?.mode).toBe(0o600);
      expect(e['owned.txt']).toMatchObject({ uid: 1000, gid: 1000 });
      expect(e['keep/newlink']).toMatchObject({ type: 'symlink', target: '../data/modify.txt' });
      expect(e['keep/lowerlink']?.type).toBe('symlink');
      expect(e['suid']?.mode).toBe(0o4755);
      expect(e['a/b']?.mode).toBe(0o700);
      expect(e['a/b/c/f']?.type).toBe('file');
      expect(e['keep/hl1']?.size).toBe('hardlinked\nmore\n'.length);
      // A capability survives a chmod, and a write drops it, in the live tree and so in the layer.
      expect(e['keep/capchmod']).toMatchObject({ mode: 0o750, cap: CAP_BYTES.toString('hex') });
      expect(e['keep/capwrite']?.cap).toBeUndefined();
      // Writing to one name of a lower hardlink: overlayfs (index=off, as Docker's overlay2)
      // copies up that name alone and the pair splits; the copy snapshotter has one inode.
      const split = kind === 'overlay';
      expect(e['keep/hl2']?.size).toBe((split ? 'hardlinked\n' : 'hardlinked\nmore\n').length);
      expect(live.links).toEqual([
        ...(split ? [] : [['keep/hl1', 'keep/hl2']]),
        ['linkme.txt', 'linkme2.txt'],
      ]);
      for (const d of ['proc', 'sys', 'dev']) expect(e[d]?.type).toBe('dir');
      for (const p of ETC) expect(describeTree(snap.rootfs).entries[p]).toBeUndefined();
    } finally {
      await snap.release();
    }
    expect(mountsUnder(work)).toEqual([]);
  });

  it('makes an empty layer of a RUN that changes nothing, though the image lacks /etc/hosts', async () => {
    const work = workRoot();
    const snap = await snapshotter().prepare(lowers, { workRoot: join(work, 'snap'), exclude });
    try {
      const out = collector();
      const code = await runner().run(
        snap.rootfs,
        spec(['true']),
        { stdout: out.stream, stderr: out.stream },
        { workRoot: join(work, 'run') },
      );
      expect(code).toBe(0);
      // The runner's /etc mount points came and went; /etc itself is no change.
      expect(await tarNames(await readAll(snap.diff()))).toEqual([]);
    } finally {
      await snap.release();
    }
  });

  it('aborts a run inside a snapshot, then releases it: no mount, no process left', async () => {
    const work = workRoot();
    const snap = await snapshotter().prepare(lowers, { workRoot: join(work, 'snap'), exclude });
    try {
      const ac = new AbortController();
      const out = collector();
      const p = runner().run(
        snap.rootfs,
        spec(['sleep', marker]),
        { stdout: out.stream, stderr: out.stream },
        { workRoot: join(work, 'run'), signal: ac.signal },
      );
      setTimeout(() => ac.abort(), 300);
      const e = await rejected(p);
      expect(e.code).toBe('RUN_ABORTED');
    } finally {
      await snap.release();
    }
    expect(mountsUnder(work)).toEqual([]);
    expect(processesRunning(`sleep ${marker}`)).toEqual([]);
  });
});
