/**
 * Where a COPY lands in the destination rootfs, never outside it: the
 * destination path is resolved as the container will see it (symlinks
 * followed inside the rootfs, see runtime/run/scope.ts), missing directories
 * are created 0755 and, with --chown, owned by that user — BuildKit chowns
 * every directory it creates on the way (Docker 20.10 confirmed: `COPY
 * --chown=app d /own/deep/` makes /own and /own/deep 1000:1000).
 */
import { chmodSync, lchownSync, lstatSync, mkdirSync, type Stats } from 'node:fs';
import { TsbuildError } from '../../errors.js';
import { resolveInRoot } from '../../runtime/run/scope.js';
import type { Owner } from './chown.js';

export interface Located {
  /** Host path: the whole destination when it exists, else its existing part. */
  host: string;
  /** What is there, after symlinks; undefined when the path does not exist. */
  stat: Stats | undefined;
  /** Names under `host` that do not exist yet. */
  missing: string[];
}

export class DestRoot {
  /** chown needs root; without it, files stay owned by whoever builds. */
  readonly asRoot = process.getuid?.() === 0;

  constructor(
    readonly rootfs: string,
    readonly owner: Owner,
  ) {}

  /** `path` (absolute, in the container) as it resolves in the rootfs. */
  locate(path: string): Located {
    const at = resolveInRoot(this.rootfs, path);
    const stat = at.missing.length === 0 ? lstatSync(at.hostPath) : undefined;
    return { host: at.hostPath, stat, missing: at.missing };
  }

  /** `mkdir -p` of `path` inside the rootfs; returns the real host directory. */
  mkdirp(path: string): string {
    const at = this.locate(path);
    if (at.stat !== undefined) {
      if (!at.stat.isDirectory()) throw notADirectory(path);
      return at.host;
    }
    if (!lstatSync(at.host).isDirectory()) throw notADirectory(path);
    let host = at.host;
    for (const name of at.missing) {
      host = `${host}/${name}`;
      this.mkdir(host);
    }
    return host;
  }

  /** A new directory at host path `host`, 0755 whatever the umask, owned by the --chown user. */
  mkdir(host: string, mode = 0o755): void {
    mkdirSync(host);
    if (this.asRoot) lchownSync(host, this.owner.uid, this.owner.gid);
    chmodSync(host, mode);
  }
}

export function notADirectory(path: string): TsbuildError {
  return new TsbuildError('COPY_NOT_A_DIRECTORY', `cannot copy to non-directory: ${path}`, {
    path,
  });
}
