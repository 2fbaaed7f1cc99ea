/**
 * Snapshotters: a writable root for RUN over the parent's unpacked layers, and
 * the changes as a layer. overlayfs where the kernel allows it, else a copy.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CopySnapshotter } from './copy.js';
import { SnapshotError } from './errors.js';
import { mountOverlay, unmount } from './mount.js';
import { OverlaySnapshotter } from './overlay.js';
import type { Snapshotter } from './types.js';

export type { PrepareOptions, Snapshot, Snapshotter } from './types.js';
export { SnapshotError, type SnapshotErrorCode } from './errors.js';
export { CopySnapshotter } from './copy.js';
export { OverlaySnapshotter } from './overlay.js';
export { cleanupStale } from './stale.js';

/**
 * Whether an overlay mount works here, with its upper dir on the file system of `dir` (an
 * upper dir cannot be on overlayfs itself, as in many containers): tried with a real mount.
 *
 * @example
 * if (!(await overlaySupported(workRoot))) console.warn('RUN will copy the parent filesystem');
 */
export async function overlaySupported(dir: string = tmpdir()): Promise<boolean> {
  mkdirSync(dir, { recursive: true });
  const probe = mkdtempSync(join(dir, 'overlay-probe-'));
  const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((d) =>
    join(probe, d),
  ) as [string, string, string, string];
  try {
    for (const d of [lower, upper, work, merged]) mkdirSync(d);
    const data = `lowerdir=${lower},upperdir=${upper},workdir=${work},index=off,redirect_dir=off,metacopy=off`;
    await mountOverlay(merged, data);
    await unmount(merged);
    return true;
  } catch {
    return false;
  } finally {
    await unmount(merged).catch(() => undefined);
    rmSync(probe, { recursive: true, force: true });
  }
}

/**
 * The snapshotter to use: `auto` is overlayfs when it works on `workRoot`'s file system, else
 * the copy snapshotter; `overlay` where overlayfs does not work is a SNAPSHOT_MOUNT error.
 *
 * @example
 * const snapshotter = await pickSnapshotter('auto', { workRoot });
 * const snap = await snapshotter.prepare(lowers, { workRoot, exclude: (p) => p === 'etc/hosts' });
 */
export async function pickSnapshotter(
  kind: 'auto' | 'overlay' | 'copy',
  opts: { workRoot?: string } = {},
): Promise<Snapshotter> {
  if (kind === 'copy') return new CopySnapshotter();
  if (await overlaySupported(opts.workRoot)) return new OverlaySnapshotter();
  if (kind === 'auto') return new CopySnapshotter();
  const where = opts.workRoot ?? tmpdir();
  const msg = `overlayfs is not available for a work dir in ${JSON.stringify(where)} (not root, no overlay module, or an upper dir on overlayfs); use the copy snapshotter`;
  throw new SnapshotError('SNAPSHOT_MOUNT', msg, { workRoot: where });
}
