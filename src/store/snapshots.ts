/**
 * Layers unpacked for overlayfs: `snapshots/<diffID hex>/` holds one layer as an
 * overlay lower dir (whiteouts as 0/0 character devices, opaque dirs marked
 * with trusted.overlay.opaque), so a RUN step mounts its parent's layers as
 * they are instead of extracting them again. Each is made once, in tmp/, and
 * renamed into place: a half-extracted snapshot is never visible.
 */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { asResourceError } from '../errors.js';
import { applyLayer } from '../layer/apply.js';
import { digestHex } from '../util/digest.js';
import { tempName } from '../util/temp-owner.js';
import type { Readable } from 'node:stream';

export class SnapshotStore {
  constructor(
    readonly dir: string,
    private readonly tmpDir: string,
    /** The layer's tar, however the store keeps it (layer-bytes.ts). */
    private readonly openLayer: (diffID: string) => Promise<Readable>,
    /** Called before a snapshot is put in place (journal.ts). */
    private readonly beforeWrite: () => Promise<void> = async () => undefined,
    /** Told of each layer this store extracted, once its snapshot is in place. */
    private readonly extracted: (diffID: string, dir: string) => Promise<void> = async () =>
      undefined,
  ) {}

  path(diffID: string): string {
    return join(this.dir, digestHex(diffID));
  }

  /** The unpacked layer's directory, extracting the layer the first time. */
  async get(diffID: string): Promise<string> {
    const dir = this.path(diffID);
    if (await exists(dir)) return dir;
    const tmp = tempName(this.tmpDir, 'snapshot');
    try {
      await mkdir(tmp, { recursive: true });
      await applyLayer(tmp, await this.openLayer(diffID), { whiteouts: 'overlay' });
      await mkdir(this.dir, { recursive: true });
      await this.beforeWrite();
      const ours = await rename(tmp, dir).then(
        () => true,
        (e: NodeJS.ErrnoException) => {
          // Another process made it first: theirs is as good as ours.
          if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
          return false;
        },
      );
      if (ours) await this.extracted(diffID, dir);
    } catch (e) {
      throw asResourceError(e, { writing: `the snapshot of layer ${diffID}`, to: tmp });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return dir;
  }

  /**
   * Take `dir` (the layer `diffID` already unpacked in overlay format, on the
   * store's file system) as its snapshot: a rename, no extraction. When one is
   * there already, `dir` is left where it is. Returns whether `dir` was taken.
   */
  async adopt(diffID: string, dir: string): Promise<boolean> {
    const dest = this.path(diffID);
    if (await exists(dest)) return false;
    await mkdir(this.dir, { recursive: true });
    await this.beforeWrite();
    return rename(dir, dest).then(
      () => true,
      (e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
        return false;
      },
    );
  }

  /** Diff IDs of the snapshots there are. */
  async list(): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  async delete(diffID: string): Promise<void> {
    await rm(this.path(diffID), { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
