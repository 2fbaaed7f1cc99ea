/**
 * What npm builds from native/ at install with node-gyp (binding.gyp), in
 * <package>/build/Release/. This module runs from src/runtime/ under the
 * tests and from dist/bundle/ once built, so the package root is found by
 * walking up rather than by a fixed relative path.
 */
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const found = new Map<string, string | undefined>();

/**
 * The absolute path of build/Release/`name` when it was built (and, with
 * `mode` X_OK, is executable); undefined when it was not.
 *
 * @example
 * nativeFile('tsbuild-sandbox-init', constants.X_OK) // '/usr/lib/node_modules/tsbuild/build/Release/tsbuild-sandbox-init'
 */
export function nativeFile(name: string, mode = constants.R_OK): string | undefined {
  const key = `${name}\0${mode}`;
  if (found.has(key)) return found.get(key);
  let path: string | undefined;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start, i = 0; i < 6 && path === undefined; dir = dirname(dir), i++) {
    const candidate = join(dir, 'build', 'Release', name);
    try {
      accessSync(candidate, mode);
      path = candidate;
    } catch {
      // Not at this level.
    }
  }
  found.set(key, path);
  return path;
}

/** native/syscalls.c: the system calls Node lacks. */
export interface Syscalls {
  /** mount(2) with flags 0; relative paths in `data` resolve against `cwd`. Throws an Error with the errno's name as `code`. */
  mount(source: string, target: string, fstype: string, data: string, cwd?: string): void;
  /** umount2(2), MNT_DETACH when `detach`. */
  umount(target: string, detach: boolean): void;
  /** pipe2(2) with O_CLOEXEC: [read end, write end]. */
  pipe(): [number, number];
  /** socketpair(2), AF_UNIX SOCK_SEQPACKET, close-on-exec. */
  socketpair(): [number, number];
  /** One sendmsg(2) of `bytes` with `fds` attached (SCM_RIGHTS); the caller still owns them. */
  send(fd: number, bytes: Buffer, fds: number[]): void;
}

let calls: Syscalls | null | undefined;

/**
 * The addon; undefined when it was not built (npm's --ignore-scripts) or
 * does not load (built for another Node), and the callers spawn programs
 * instead.
 */
export function syscalls(): Syscalls | undefined {
  if (calls === undefined) {
    const path = nativeFile('tsbuild_syscalls.node');
    try {
      calls = path === undefined ? null : (createRequire(import.meta.url)(path) as Syscalls);
    } catch {
      calls = null;
    }
  }
  return calls ?? undefined;
}
