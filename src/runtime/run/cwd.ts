/**
 * The working directory of a RUN: created when missing, as BuildKit creates it
 * (mode 0755, owned by the user that runs), and refused when it resolves into
 * /proc, /sys or /dev. Those are the runtime's mounts, not the image's: a
 * WORKDIR through /proc/self/fd/N is how runc's CVE-2024-21626 leaks a host
 * directory into the container (runc 1.1.5, as Debian 12 ships it, is
 * affected), so we decide where the cwd is before the runtime looks.
 */
import { chownSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TsbuildError } from '../../errors.js';
import { resolveInRoot } from './scope.js';

const RUNTIME_MOUNTS = ['proc', 'sys', 'dev'];

/**
 * The cwd as an absolute in-container path with symlinks resolved, created
 * (with its missing parents) inside `rootfs` when missing.
 *
 * @example
 * prepareCwd(rootfs, '/app/src', { uid: 1000, gid: 1000 }) // '/app/src', now a dir owned by 1000:1000
 */
export function prepareCwd(
  rootfs: string,
  cwd: string,
  owner: { uid: number; gid: number },
): string {
  const at = resolveInRoot(rootfs, cwd);
  const names = [...at.existing, ...at.missing];
  if (names.length > 0 && RUNTIME_MOUNTS.includes(names[0]!)) {
    throw new TsbuildError(
      'UNSAFE_CWD',
      `working directory ${cwd} resolves to /${names.join('/')}, inside a runtime mount`,
      { cwd, resolved: `/${names.join('/')}` },
    );
  }
  if (at.missing.length === 0 && !statSync(at.hostPath).isDirectory()) {
    throw new TsbuildError('INVALID_CWD', `working directory ${cwd} is not a directory`, { cwd });
  }
  let dir = at.hostPath;
  for (const name of at.missing) {
    dir = join(dir, name);
    try {
      mkdirSync(dir, { mode: 0o755 });
      chownSync(dir, owner.uid, owner.gid);
    } catch (e) {
      throw new TsbuildError(
        'INVALID_CWD',
        `cannot create working directory ${cwd}: ${(e as Error).message}`,
        { cwd },
      );
    }
  }
  return `/${names.join('/')}`;
}
