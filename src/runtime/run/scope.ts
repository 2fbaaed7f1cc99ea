/**
 * Paths inside a container's rootfs, resolved as the container will see them.
 *
 * `resolveInRoot(root, '/etc/passwd')` follows symlinks as if `root` were '/'
 * (Docker's symlink.FollowSymlinkInScope, containerd's fs.RootPath): an
 * absolute target restarts at the root, `..` stops at it. So a rootfs whose
 * /etc/passwd -> /etc/shadow reads <root>/etc/shadow, never the host's.
 * The result is then checked with realpath, against a tree changed under us.
 */
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { join, posix } from 'node:path';
import { TsbuildError } from '../../errors.js';

/** Linux's MAXSYMLINKS: more links than this on one path is a loop. */
const MAX_LINKS = 40;

export interface InRoot {
  /** The real root (realpath of the given one). */
  root: string;
  /** Components under the root of the part that exists, symlinks resolved. */
  existing: string[];
  /** Components that do not exist yet, after `existing`; empty when the whole path exists. */
  missing: string[];
  /** Host path of the existing part. */
  hostPath: string;
}

/**
 * Resolve `path` (absolute or not, read from '/') inside `root`.
 *
 * @example
 * resolveInRoot('/tmp/rootfs', '/usr/lib/x') // lib -> /usr/lib ⇒ existing ['usr','lib'], missing ['x']
 */
export function resolveInRoot(root: string, path: string): InRoot {
  const realRoot = realpathSync(root);
  const todo = splitPath(posix.normalize(`/${path}`));
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const name = todo.shift()!;
    if (name === '.') continue;
    if (name === '..') {
      done.pop();
      continue;
    }
    const host = join(realRoot, ...done, name);
    const st = lstatOrUndefined(host);
    if (st === undefined) return checked(realRoot, done, [name, ...todo]);
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) {
        throw new TsbuildError('PATH_LOOP', `too many levels of symbolic links in ${path}`, {
          path,
        });
      }
      const target = readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...splitPath(target));
      continue;
    }
    done.push(name);
  }
  return checked(realRoot, done, []);
}

function checked(root: string, existing: string[], missing: string[]): InRoot {
  const hostPath = join(root, ...existing);
  const real = realpathSync(hostPath);
  if (real !== root && !real.startsWith(`${root}/`)) {
    throw new TsbuildError('PATH_ESCAPE', `${hostPath} resolves outside the rootfs ${root}`, {
      path: hostPath,
      root,
    });
  }
  const rest = missing.filter((n) => n !== '.');
  // Only a symlink target can put '..' after a missing name ("a -> nope/../b"); the
  // kernel fails such a path with ENOENT, and so do we rather than guess.
  if (rest.includes('..')) {
    throw new TsbuildError('PATH_NOT_FOUND', `${rest[0]} does not exist under ${hostPath}`, {
      path: hostPath,
    });
  }
  return { root, existing, missing: rest, hostPath: real };
}

function splitPath(p: string): string[] {
  return p.split('/').filter((n) => n !== '');
}

function lstatOrUndefined(p: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}
