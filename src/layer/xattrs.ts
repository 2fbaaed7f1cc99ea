/**
 * Extended attributes through our addon native/xattr.c (tsbuild_xattr.node):
 * the l- calls on a path (a symlink's own attributes, never its target's; a
 * path as bytes, so a name that is not UTF-8 is reached as it is) and the f-
 * calls on a descriptor. The addon is loaded on the first call: without it,
 * what needs xattrs fails with NATIVE_ADDON_MISSING and everything else works.
 */
import { TsbuildError } from '../errors.js';
import { requireAddon } from '../util/native-file.js';

/** A path (its last component not followed) or an open descriptor. */
export type XattrTarget = string | Buffer | number;

/** native/xattr.c; each call throws an Error with the errno's name as `code`. */
interface XattrCalls {
  get(target: XattrTarget, name: string): Buffer;
  set(target: XattrTarget, name: string, value: Buffer): void;
  list(target: XattrTarget): string[];
  remove(target: XattrTarget, name: string): void;
}

let calls: XattrCalls | undefined;

function addon(): XattrCalls {
  calls ??= requireAddon<XattrCalls>('tsbuild_xattr.node', 'extended attributes');
  return calls;
}

/** The only xattr a layer records: file capabilities (what `setcap` sets). */
export const CAPABILITY = 'security.capability';
export const OVERLAY_OPAQUE = ['trusted.overlay.opaque', 'user.overlay.opaque'];

/** Errors meaning "no such attribute here", not a failure. */
const ABSENT = new Set(['ENODATA', 'ENOTSUP', 'EOPNOTSUPP']);

/** One attribute's value; ENODATA (an Error's `code`) when it has none. */
export const getXattr = (target: XattrTarget, name: string): Buffer => addon().get(target, name);
/** Create or replace one attribute. */
export const setXattr = (target: XattrTarget, name: string, value: Buffer): void =>
  addon().set(target, name, value);
/** The names of every attribute the target has (those the caller may see). */
export const listXattrs = (target: XattrTarget): string[] => addon().list(target);
/** Remove one attribute; ENODATA when it has none. */
export const removeXattr = (target: XattrTarget, name: string): void =>
  addon().remove(target, name);

/**
 * The values of those of `names` that the file at `path` (or the open `fd`)
 * has. One listxattr first: most files have none, and a failed getxattr costs
 * a thrown error.
 *
 * @example
 * readXattrs(Buffer.from('/root/bin/ping'), [CAPABILITY]) // Map { 'security.capability' => <Buffer 01 00 00 02 …> }
 */
export function readXattrs(
  path: Buffer,
  names: readonly string[],
  fd?: number,
): Map<string, Buffer> {
  const x = addon();
  const target = fd ?? path;
  const found = new Map<string, Buffer>();
  try {
    const present = x.list(target);
    for (const name of names) {
      if (present.includes(name)) found.set(name, x.get(target, name));
    }
  } catch (e) {
    if (!ABSENT.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  }
  return found;
}

/** Set `name` on the file at `path`, through `fd` when the caller has it open. */
export function writeXattr(path: Buffer, name: string, value: Buffer, fd?: number): void {
  addon().set(fd ?? path, name, value);
}

/**
 * Whether the file at `path` has any extended attribute; false also when they
 * cannot be read (a file system without them, a file gone meanwhile): the
 * callers then go by what lstat says alone. The addon missing is an error.
 *
 * @example
 * hasXattrs(Buffer.from('/usr/bin/ping')) // true where ping carries a capability
 */
export function hasXattrs(path: Buffer): boolean {
  const x = addon();
  try {
    return x.list(path).length > 0;
  } catch {
    return false;
  }
}

/** Whether the error of a set call means the file system has no xattrs at all. */
export function isUnsupported(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOTSUP' || code === 'EOPNOTSUPP';
}

/** Whether `e` is the addon missing (to pass through as it is, not wrap as an I/O error). */
export const isAddonMissing = (e: unknown): boolean =>
  e instanceof TsbuildError && e.code === 'NATIVE_ADDON_MISSING';
