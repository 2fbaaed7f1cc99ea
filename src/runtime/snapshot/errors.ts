/**
 * Errors of the snapshotters. The message names the directory or mount it is about:
 *
 *   cannot mount overlayfs at "/var/tmp/ovl-1-2-x/merged": mount: … wrong fs type
 */
import { TsbuildError } from '../../errors.js';

export type SnapshotErrorCode =
  /** mount(8) failed, or overlayfs is not available when it was asked for. */
  | 'SNAPSHOT_MOUNT'
  /** umount(8) failed, even lazily. */
  | 'SNAPSHOT_UNMOUNT'
  /** The overlay options do not fit in one page, even with relative paths. */
  | 'SNAPSHOT_TOO_MANY_LAYERS'
  /** A lower or work path that overlayfs options cannot carry (',' or ':' in it). */
  | 'SNAPSHOT_BAD_PATH'
  /** Materialising the lowers or diffing the tree failed (copy snapshotter). */
  | 'SNAPSHOT_IO';

export class SnapshotError extends TsbuildError {
  declare readonly code: SnapshotErrorCode;

  constructor(
    code: SnapshotErrorCode,
    message: string,
    data: Record<string, unknown> = {},
    cause?: unknown,
  ) {
    super(code, message, data);
    this.name = 'SnapshotError';
    if (cause !== undefined) this.cause = cause;
  }
}
