/**
 * A copy of a tree that keeps what a mount shows of it: modes, owners, times,
 * symlinks as they are, and (for the context) only what .dockerignore lets in.
 * Used where a mount must not write through to its source: a `rw` bind of the
 * context, a context bind with a .dockerignore, a cache seeded `from=` a stage.
 */
import { chmodSync, copyFileSync, lchownSync, lutimesSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { walkSource, type PathMatcher } from '../../context/walk.js';
import { nanoseconds } from '../../util/lstat.js';

/**
 * Copy `src` (a directory or a file) to `dest`, which for a directory may exist
 * already (it then takes the source's mode and owner).
 * @param base where `src` is under the tree root, for `ignore`.
 */
export function copyTree(
  src: string,
  dest: string,
  opts: { ignore?: PathMatcher; base?: string; signal?: AbortSignal } = {},
): void {
  const dirs: { path: string; atime: Date; mtime: Date }[] = [];
  for (const e of walkSource(src, {
    base: opts.base ?? '',
    ...(opts.ignore ? { ignore: opts.ignore } : {}),
  })) {
    opts.signal?.throwIfAborted();
    const to = e.rel === '' ? dest : join(dest, e.rel);
    const mode = e.stat.mode & 0o7777;
    switch (e.kind) {
      case 'dir':
        mkdirSync(to, { recursive: true });
        break;
      case 'file':
        copyFileSync(e.abs, to);
        break;
      case 'symlink':
        symlinkSync(e.link!, to);
        break;
      default:
        // Device nodes are not copied: a mount shows files, and a seed has none.
        continue;
    }
    lchownSync(to, e.stat.uid, e.stat.gid);
    if (e.kind !== 'symlink') chmodSync(to, mode);
    // As BigIntStats' atimeMs: whole milliseconds, rounded toward zero.
    const times = {
      atime: new Date(Number(nanoseconds(e.stat.atimeSec, e.stat.atimeNsec) / 1_000_000n)),
      mtime: new Date(Number(nanoseconds(e.stat.mtimeSec, e.stat.mtimeNsec) / 1_000_000n)),
    };
    // A directory's times change as its entries are made: set them last.
    if (e.kind === 'dir') dirs.push({ path: to, ...times });
    else lutimesSync(to, times.atime, times.mtime);
  }
  for (const d of dirs.reverse()) lutimesSync(d.path, d.atime, d.mtime);
}
