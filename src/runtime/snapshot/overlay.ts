/**
 * The overlayfs snapshotter: the parent's unpacked layers as lowerdirs, a
 * fresh upper dir, and the upper dir is the diff (tarDirectory turns its
 * overlay whiteouts into OCI ones).
 *
 * Mount options: index=off, redirect_dir=off and metacopy=off, because a
 * renamed directory (redirect xattr) or a metadata-only copy-up has no OCI
 * form; the layer writer reads only whiteout devices and the opaque xattr.
 * The mount data is limited to one page: when the absolute paths do not fit,
 * mount(8) runs in the paths' common parent with relative paths, as Docker's
 * overlay2 driver does with its short links.
 */
import { lstatSync, mkdirSync, mkdtempSync, realpathSync, rmSync, utimesSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { tarDirectory } from '../../layer/writer.js';
import { unchangedCopiedUpDirs } from './copied-up.js';
import { SnapshotError } from './errors.js';
import { mountOverlay, mountsUnder, unmount } from './mount.js';
import { writeOwner } from './owner.js';
import { removeSnapshotDir } from './stale.js';
import type { DiffOptions, PrepareOptions, Snapshot, Snapshotter } from './types.js';

/** The kernel copies at most one page of mount data, with a terminating NUL. */
const MAX_DATA = 4095;
const FIXED_OPTIONS = 'index=off,redirect_dir=off,metacopy=off';

export class OverlaySnapshotter implements Snapshotter {
  readonly kind = 'overlay' as const;

  async prepare(lowers: string[], opts: PrepareOptions): Promise<Snapshot> {
    mkdirSync(opts.workRoot, { recursive: true });
    const dir = mkdtempSync(join(realpathSync(opts.workRoot), `ovl-${process.pid}-`));
    try {
      writeOwner(dir);
      const [upper, work, merged] = ['upper', 'work', 'merged'].map((d) => join(dir, d)) as [
        string,
        string,
        string,
      ];
      for (const d of [upper, work, merged]) mkdirSync(d, { mode: 0o755 });
      // Scratch: overlayfs needs at least one lower dir.
      const bottomFirst = lowers.length > 0 ? lowers.map((l) => realpathSync(l)) : [emptyDir(dir)];
      const { data, cwd } = overlayData([...bottomFirst].reverse(), upper, work);
      await mountOverlay(merged, data, cwd);
      return new OverlaySnapshot(dir, merged, upper, [...bottomFirst].reverse(), opts.exclude);
    } catch (e) {
      await removeSnapshotDir(dir);
      throw e;
    }
  }
}

function emptyDir(dir: string): string {
  const empty = join(dir, 'empty');
  mkdirSync(empty, { mode: 0o755 });
  return empty;
}

/** The mount data for lowers given TOP first; relative to `cwd` when absolute is too long. */
export function overlayData(
  topFirst: string[],
  upper: string,
  work: string,
): { data: string; cwd?: string } {
  for (const p of [...topFirst, upper, work]) {
    if (/[,:\\\n]/.test(p)) {
      const msg = `overlayfs cannot take the path ${JSON.stringify(p)}: it contains ',', ':', '\\' or a newline`;
      throw new SnapshotError('SNAPSHOT_BAD_PATH', msg, { path: p });
    }
  }
  const build = (paths: string[], u: string, w: string) =>
    `lowerdir=${paths.join(':')},upperdir=${u},workdir=${w},${FIXED_OPTIONS}`;
  const data = build(topFirst, upper, work);
  if (data.length <= MAX_DATA) return { data };
  const cwd = commonParent([...topFirst, upper, work]);
  const rel = (p: string) => relative(cwd, p) || '.';
  const short = build(topFirst.map(rel), rel(upper), rel(work));
  if (short.length <= MAX_DATA) return { data: short, cwd };
  const msg =
    `overlayfs options for ${topFirst.length} layers are ${short.length} bytes even with ` +
    `paths relative to ${JSON.stringify(cwd)}; the kernel takes at most ${MAX_DATA}`;
  throw new SnapshotError('SNAPSHOT_TOO_MANY_LAYERS', msg, { layers: topFirst.length });
}

function commonParent(paths: string[]): string {
  let common = dirname(paths[0] as string);
  while (!paths.every((p) => p === common || p.startsWith(common === sep ? sep : common + sep))) {
    common = dirname(common);
  }
  return common;
}

class OverlaySnapshot implements Snapshot {
  private released: Promise<void> | undefined;
  constructor(
    private readonly dir: string,
    readonly rootfs: string,
    readonly upper: string,
    private readonly lowersTopFirst: string[],
    private readonly exclude: ((relPath: string) => boolean) | undefined,
  ) {}

  diff(opts: DiffOptions = {}): Readable {
    const given = this.exclude ?? (() => false);
    const unchanged = unchangedCopiedUpDirs(this.upper, this.lowersTopFirst, given);
    const exclude = (p: string) => given(p) || unchanged.has(p);
    return tarDirectory(this.upper, { overlay: true, exclude, ...opts });
  }

  /**
   * The upper dir is the diff already; only what diff() leaves out has to go
   * first (the excluded paths, the directories copied up for nothing), so that
   * the deterministic tar of the directory handed over is the diff, byte for
   * byte. Each parent keeps its mtime: removing a name from it is no change of
   * the step's.
   */
  async detach(): Promise<string> {
    for (const m of mountsUnder(this.dir).reverse()) await unmount(m);
    const given = this.exclude ?? (() => false);
    const present = new Set<string>();
    const noted = (p: string) => given(p) && present.add(p) !== undefined;
    const unchanged = unchangedCopiedUpDirs(this.upper, this.lowersTopFirst, noted);
    // Outermost first; what lies under a removed directory went with it.
    const gone = [...present, ...unchanged].sort();
    let last: string | undefined;
    for (const p of gone) {
      if (last !== undefined && p.startsWith(`${last}/`)) continue;
      last = p;
      removeKeepingParentTimes(this.upper, p);
    }
    return this.upper;
  }

  release(): Promise<void> {
    // A failed release (a mount that will not go) may be retried; a finished one is not redone.
    this.released ??= removeSnapshotDir(this.dir).catch((e: unknown) => {
      this.released = undefined;
      throw e;
    });
    return this.released;
  }
}

/** Remove `rel` under `root`, giving its parent back the atime and mtime it had. */
function removeKeepingParentTimes(root: string, rel: string): void {
  const parent = dirname(join(root, rel));
  const before = lstatSync(parent, { throwIfNoEntry: false });
  rmSync(join(root, rel), { recursive: true, force: true });
  if (before) utimesSync(parent, before.atime, before.mtime);
}
