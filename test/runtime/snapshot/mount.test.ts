/**
 * Mounting a snapshot's overlay and taking it down: mount(2) and umount2(2)
 * through the addon npm builds (native/syscalls.c), no sync of the upper file
 * system per step, relative mount data read against a directory of its own,
 * and errors that say where and why.
 */
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { syscalls } from '../../../src/runtime/native.js';
import { isMountPoint, mountOverlay, unmount } from '../../../src/runtime/snapshot/mount.js';
import { SnapshotError } from '../../../src/runtime/snapshot/errors.js';

const made: string[] = [];
const mounted: string[] = [];

afterEach(async () => {
  for (const m of mounted.splice(0)) await unmount(m);
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** lower (with a file), upper, work and merged dirs under a fresh temp dir. */
function dirs() {
  const base = mkdtempSync(join(tmpdir(), 'tsbuild-mount-'));
  made.push(base);
  const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => {
    mkdirSync(join(base, d));
    return join(base, d);
  }) as [string, string, string, string];
  writeFileSync(join(lower, 'f'), 'from the lower\n');
  return { base, lower, upper, work, merged };
}

describe('mountOverlay', () => {
  it('calls mount(2) itself, through the addon npm built', () => {
    expect(syscalls()).toBeDefined();
  });

  it('mounts volatile, so that taking a step down does not sync the whole file system', async () => {
    const d = dirs();
    await mountOverlay(d.merged, `lowerdir=${d.lower},upperdir=${d.upper},workdir=${d.work}`);
    mounted.push(d.merged);
    expect(readFileSync(join(d.merged, 'f'), 'utf8')).toBe('from the lower\n');
    // The kernel marks a volatile mount's work dir so (overlayfs.rst, "Volatile mount").
    expect(readdirSync(join(d.work, 'work/incompat'))).toEqual(['volatile']);
  });

  it("reads relative paths against the directory given, leaving the process's own alone", async () => {
    const d = dirs();
    const before = process.cwd();
    await mountOverlay(d.merged, 'lowerdir=lower,upperdir=upper,workdir=work', d.base);
    mounted.push(d.merged);
    expect(readFileSync(join(d.merged, 'f'), 'utf8')).toBe('from the lower\n');
    expect(process.cwd()).toBe(before);
  });

  it('fails with the target and the reason', async () => {
    const d = dirs();
    const data = `lowerdir=${join(d.base, 'nope')},upperdir=${d.upper},workdir=${d.work}`;
    const err = await mountOverlay(d.merged, data).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnapshotError);
    expect((err as SnapshotError).code).toBe('SNAPSHOT_MOUNT');
    expect((err as SnapshotError).message).toBe(
      `cannot mount overlayfs at ${JSON.stringify(d.merged)}: mount: No such file or directory`,
    );
    expect(isMountPoint(d.merged)).toBe(false);
  });
});

describe('unmount', () => {
  it('detaches a mount that is busy, and takes one that is not mounted as done', async () => {
    const d = dirs();
    await mountOverlay(d.merged, `lowerdir=${d.lower},upperdir=${d.upper},workdir=${d.work}`);
    const fd = openSync(join(d.merged, 'f'), 'r');
    try {
      await unmount(d.merged);
      expect(isMountPoint(d.merged)).toBe(false);
    } finally {
      closeSync(fd);
    }
    await unmount(d.merged);
  });
});
