/**
 * The snapshotter interface RUN uses: a writable root over the parent's
 * unpacked layers, and what changed in it as an OCI layer.
 */
import type { Readable } from 'node:stream';
import type { TarSummary } from '../../layer/writer.js';

export interface Snapshot {
  /** The merged root filesystem a process runs in. */
  readonly rootfs: string;
  /**
   * Overlay only: the upper dir, where what changes lands. A caller may add entries
   * to it directly (hardlinks of immutable files) once it no longer reads `rootfs`,
   * before diff().
   */
  readonly upper?: string;
  /**
   * What changed since prepare(), as a deterministic OCI layer tar (never includes paths given in
   * `exclude`). Nothing changed gives an empty layer: only the two end-of-archive blocks.
   */
  diff(opts?: DiffOptions): Readable;
  /**
   * Instead of diff(): unmount, and hand over the directory that holds exactly
   * the diff in overlay lower-dir format (whiteouts as 0/0 devices, opaque
   * xattrs) — its deterministic tar is the layer diff() would give — for the
   * caller to keep (rename) as the layer itself. Only snapshotters whose
   * changes already sit in such a directory offer it. release() is still due;
   * it removes whatever the caller did not move.
   */
  detach?(): Promise<string>;
  /** Unmount and delete everything prepare() made. Safe to call twice; always call it (finally). */
  release(): Promise<void>;
}

export interface DiffOptions {
  sourceDateEpoch?: number;
  /** Filled in as the diff is written (see TarOptions.summary). */
  summary?: TarSummary;
}

export interface PrepareOptions {
  /** A directory under which the snapshotter may create its temp dirs (one per snapshot). */
  workRoot: string;
  /** Relative posix paths (e.g. 'etc/hosts') that diff() leaves out, with everything under them. */
  exclude?: (relPath: string) => boolean;
}

export interface Snapshotter {
  readonly kind: 'overlay' | 'copy';
  /** `lowers`: unpacked layer dirs (overlay lower-dir format), bottom layer FIRST. */
  prepare(lowers: string[], opts: PrepareOptions): Promise<Snapshot>;
}
