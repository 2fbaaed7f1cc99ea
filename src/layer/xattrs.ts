/**
 * Extended attributes through fs-xattr, whose calls take a UTF-8 string path
 * and follow symlinks (getxattr/setxattr, not the l- variants). So: never call
 * these on a symlink, and reach a file whose name is not UTF-8 through
 * /proc/self/fd/<fd> of a descriptor opened without following symlinks.
 */
import { isUtf8 } from 'node:buffer';
import { closeSync, constants, lstatSync, openSync } from 'node:fs';
import { getAttributeSync, listAttributesSync, setAttributeSync } from 'fs-xattr';

/** The only xattr a layer records: file capabilities (what `setcap` sets). */
export const CAPABILITY = 'security.capability';
export const OVERLAY_OPAQUE = ['trusted.overlay.opaque', 'user.overlay.opaque'];

/** Errors meaning "no such attribute here", not a failure. */
const ABSENT = new Set(['ENODATA', 'ENOTSUP', 'EOPNOTSUPP']);

/**
 * The values of those of `names` that the file (not a symlink) at `path` has. One
 * listxattr first: most files have none, and a failed getxattr costs a thrown error.
 */
export function readXattrs(
  path: Buffer,
  names: readonly string[],
  fd?: number,
): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  try {
    withPath(path, fd, (p) => {
      const present = listAttributesSync(p);
      for (const name of names) {
        if (present.includes(name)) found.set(name, getAttributeSync(p, name));
      }
    });
  } catch (e) {
    if (!ABSENT.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  }
  return found;
}

export function writeXattr(path: Buffer, name: string, value: Buffer, fd?: number): void {
  withPath(path, fd, (p) => setAttributeSync(p, name, value));
}

/** Whether the error of a set call means the file system has no xattrs at all. */
export function isUnsupported(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOTSUP' || code === 'EOPNOTSUPP';
}

function withPath<T>(path: Buffer, fd: number | undefined, fn: (p: string) => T): T {
  if (isUtf8(path)) return fn(path.toString('utf8'));
  if (fd !== undefined) return fn(`/proc/self/fd/${fd}`);
  // Opening a device node could have effects; only files and directories are opened.
  const st = lstatSync(path);
  if (!st.isFile() && !st.isDirectory()) {
    throw Object.assign(new Error('xattrs of a special file whose name is not UTF-8'), {
      code: 'ENOTSUP',
    });
  }
  const own = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    return fn(`/proc/self/fd/${own}`);
  } finally {
    closeSync(own);
  }
}
