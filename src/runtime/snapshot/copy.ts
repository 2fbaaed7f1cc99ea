/**
 * The copy snapshotter, for kernels or sandboxes without overlayfs: prepare()
 * extracts the lowers, bottom first, into a fresh root (each lower tarred in
 * overlay mode and applied, so its whiteout devices and opaque dirs delete
 * what they hide), and records the tree; diff() compares the live tree with
 * that record (copy-diff.ts) and tars the result. Costs a full copy of the
 * parent per RUN, where overlayfs costs nothing.
 *
 * A 0/0 character device a process makes in the rootfs reads as a whiteout in
 * the diff, as it would in an overlayfs upper dir.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { applyLayer } from '../../layer/apply.js';
import { tarDirectory } from '../../layer/writer.js';
import { buildUpper } from './copy-diff.js';
import { writeOwner } from './owner.js';
import { removeSnapshotDir } from './stale.js';
import { recordTree, type TreeState } from './tree-state.js';
import type { DiffOptions, PrepareOptions, Snapshot, Snapshotter } from './types.js';

export class CopySnapshotter implements Snapshotter {
  readonly kind = 'copy' as const;

  async prepare(lowers: string[], opts: PrepareOptions): Promise<Snapshot> {
    mkdirSync(opts.workRoot, { recursive: true });
    const dir = mkdtempSync(join(realpathSync(opts.workRoot), `copy-${process.pid}-`));
    try {
      writeOwner(dir);
      const rootfs = join(dir, 'rootfs');
      mkdirSync(rootfs, { mode: 0o755 });
      for (const lower of lowers) {
        await applyLayer(rootfs, tarDirectory(lower, { overlay: true }), { whiteouts: 'apply' });
      }
      const state = await recordTree(rootfs);
      return new CopySnapshot(dir, rootfs, state, opts.exclude);
    } catch (e) {
      await removeSnapshotDir(dir);
      throw e;
    }
  }
}

class CopySnapshot implements Snapshot {
  private released: Promise<void> | undefined;
  private diffs = 0;

  constructor(
    private readonly dir: string,
    readonly rootfs: string,
    private readonly before: TreeState,
    private readonly exclude: ((relPath: string) => boolean) | undefined,
  ) {}

  diff(opts: DiffOptions = {}): Readable {
    const upper = join(this.dir, `diff-${++this.diffs}`);
    const { rootfs, before, exclude } = this;
    async function* generate(): AsyncGenerator<Buffer> {
      try {
        mkdirSync(upper, { mode: 0o755 });
        await buildUpper(rootfs, before, upper, exclude);
        yield* tarDirectory(upper, { overlay: true, exclude, ...opts }) as AsyncIterable<Buffer>;
      } finally {
        rmSync(upper, { recursive: true, force: true });
      }
    }
    return Readable.from(generate(), { objectMode: false, highWaterMark: 1 << 20 });
  }

  release(): Promise<void> {
    this.released ??= removeSnapshotDir(this.dir).catch((e: unknown) => {
      this.released = undefined;
      throw e;
    });
    return this.released;
  }
}
