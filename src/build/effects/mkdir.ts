/**
 * WORKDIR's directory: created inside the root (symlinks resolved there, never on the
 * host), owned by the stage's USER when one is set, as BuildKit does. BuildKit's file
 * operation reads a bare numeric user as uid and gid both (`USER 4242` → 4242:4242,
 * even in a scratch image or when passwd gives 4242 another group), unlike RUN,
 * which runs `USER 4242` as 4242:0. Pinned by test/fixtures/build-cases workdir-rules.
 */
import { chownSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TsbuildError } from '../../errors.js';
import { resolveInRoot } from '../../runtime/run/scope.js';
import { resolveUser } from '../../runtime/run/users.js';

export function mkdirInRoot(rootfs: string, path: string, user: string): void {
  const owner = user ? ownerOf(rootfs, user) : undefined;
  const at = resolveInRoot(rootfs, path);
  let dir = at.hostPath;
  for (const name of at.missing) {
    dir = join(dir, name);
    mkdirSync(dir, { mode: 0o755 });
    if (owner) chownSync(dir, owner.uid, owner.gid);
  }
  if (at.missing.length === 0 && !isDir(at.hostPath))
    throw new TsbuildError('NOT_A_DIRECTORY', `WORKDIR ${path}: not a directory in the image`, {
      path,
    });
}

function ownerOf(rootfs: string, user: string): { uid: number; gid: number } {
  if (/^\d+$/.test(user)) return { uid: Number(user), gid: Number(user) };
  return resolveUser(rootfs, user);
}

function isDir(p: string): boolean {
  return statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
}
