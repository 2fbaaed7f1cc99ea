/**
 * A file of a tree looked up the way BuildKit reads the Dockerfile and
 * .dockerignore: through the tree's own file system, so a symlink is followed
 * inside the tree only. `Dockerfile -> /etc/shadow` names `<root>/etc/shadow`,
 * which normally does not exist (Docker 20.10: "failed to read dockerfile:
 * open …/etc/shadow: no such file or directory"); it never names the host's.
 */
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { relative, sep } from 'node:path';
import { followInRoot, hostPath, realRoot } from './walk.js';

export type InRoot =
  | { found: true; host: string; stat: Stats }
  /** `link`: the name itself is a symlink (its target, for messages) that leads nowhere in the tree. */
  | { found: false; link?: string };

/**
 * `path`, which is under `root`, with every symlink followed inside `root`.
 * Throws SOURCE_LOOP for a symlink loop.
 *
 * @example
 * findInRoot('/ctx', '/ctx/Dockerfile') // Dockerfile -> sub/df ⇒ { found: true, host: '/ctx/sub/df', … }
 * findInRoot('/ctx', '/ctx/Dockerfile') // Dockerfile -> /etc/shadow ⇒ { found: false, link: '/etc/shadow' }
 */
export function findInRoot(root: string, path: string): InRoot {
  let real: string;
  try {
    real = realRoot(root);
  } catch {
    return { found: false };
  }
  const comps = relative(root, path).split(sep);
  const found = followInRoot(real, comps);
  if (found !== undefined) {
    const host = hostPath(real, found);
    const stat = lstatSync(host, { throwIfNoEntry: false });
    return stat === undefined ? { found: false } : { found: true, host, stat };
  }
  // Why not: the name itself may be a link out of the tree (its parents are looked at inside it).
  const parent = followInRoot(real, comps.slice(0, -1));
  if (parent === undefined) return { found: false };
  const at = hostPath(real, [...parent, comps[comps.length - 1]!]);
  const stat = lstatSync(at, { throwIfNoEntry: false });
  return stat?.isSymbolicLink() ? { found: false, link: readlinkSync(at) } : { found: false };
}
