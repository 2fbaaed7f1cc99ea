/**
 * A directory that only had an entry come and go (a runner's mount point) is
 * no change; the same directory with an extended attribute set is one. Both
 * snapshotters agree.
 */
import {
  mkdirSync,
  mkdtempSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setXattr } from '../../../src/layer/xattrs.js';
import { afterAll, describe, expect, it } from 'vitest';
import { tarNames } from '../../helpers/streams.js';
import {
  CopySnapshotter,
  OverlaySnapshotter,
  type Snapshotter,
} from '../../../src/runtime/snapshot/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'tsbuild-copied-up-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function lower(): string {
  const dir = mkdtempSync(join(tmp, 'lower-'));
  mkdirSync(join(dir, 'etc'));
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
  // A time finer than a millisecond, as a lower unpacked from a PAX tar or made on disk has.
  utimesSync(join(dir, 'etc'), 1_000_000_000.123456, 1_000_000_000.123456);
  return dir;
}

describe.each([
  ['overlay', () => new OverlaySnapshotter()],
  ['copy', () => new CopySnapshotter()],
] as [string, () => Snapshotter][])('%s', (_name, make) => {
  it('drops a directory whose entry came and went, with its times put back', async () => {
    const snap = await make().prepare([lower()], { workRoot: join(tmp, 'work') });
    try {
      const etc = join(snap.rootfs, 'etc');
      const { atimeNs, mtimeNs } = statSync(etc, { bigint: true });
      const seconds = (ns: bigint) => Number(ns / 10n ** 9n) + Number(ns % 10n ** 9n) / 1e9;
      writeFileSync(join(etc, 'hosts'), '');
      rmSync(join(etc, 'hosts'));
      mkdirSync(join(etc, 'tmpdir'));
      rmdirSync(join(etc, 'tmpdir'));
      utimesSync(etc, seconds(atimeNs), seconds(mtimeNs));
      expect(await tarNames(snap.diff())).toEqual([]);
    } finally {
      await snap.release();
    }
  });

  it('keeps it when its mtime or an extended attribute changed', async () => {
    for (const change of [
      (etc: string) => utimesSync(etc, new Date(), new Date()),
      (etc: string) => setXattr(etc, 'user.tsbuild', Buffer.from('x')),
    ]) {
      const snap = await make().prepare([lower()], { workRoot: join(tmp, 'work') });
      try {
        change(join(snap.rootfs, 'etc'));
        expect(await tarNames(snap.diff())).toEqual(['etc/']);
      } finally {
        await snap.release();
      }
    }
  });

  it('never compares a new directory with what a lower symlink points at', async () => {
    const host = mkdtempSync(join(tmp, 'host-'));
    mkdirSync(join(host, 'b'));
    const l = lower();
    symlinkSync(host, join(l, 'a'));
    const snap = await make().prepare([l], { workRoot: join(tmp, 'work') });
    try {
      const a = join(snap.rootfs, 'a');
      rmSync(a);
      mkdirSync(join(a, 'b'), { recursive: true });
      const { atimeNs, mtimeNs } = statSync(join(host, 'b'), { bigint: true });
      const seconds = (ns: bigint) => Number(ns / 10n ** 9n) + Number(ns % 10n ** 9n) / 1e9;
      utimesSync(join(a, 'b'), seconds(atimeNs), seconds(mtimeNs));
      // overlayfs also marks the new a/ opaque (it replaced a symlink); the copy snapshotter need not.
      const listed = (await tarNames(snap.diff())).filter((n) => n !== 'a/.wh..wh..opq');
      expect(listed).toEqual(['a/', 'a/b/']);
    } finally {
      await snap.release();
    }
  });
});
