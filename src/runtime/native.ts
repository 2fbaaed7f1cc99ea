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

/** native/mount.c: mount(2) and umount2(2), which Node lacks. */
export interface MountCalls {
  /** mount(2) with flags 0; relative paths in `data` resolve against `cwd`. Throws an Error with the errno's name as `code`. */
  mount(source: string, target: string, fstype: string, data: string, cwd?: string): void;
  /** umount2(2), MNT_DETACH when `detach`. */
  umount(target: string, detach: boolean): void;
}

let calls: MountCalls | null | undefined;

/**
 * The mount addon; undefined when it was not built (npm's --ignore-scripts)
 * or does not load (built for another Node), and the callers spawn
 * util-linux's tools instead.
 */
export function mountCalls(): MountCalls | undefined {
  if (calls === undefined) {
    const path = nativeFile('tsbuild_mount.node');
    try {
      calls = path === undefined ? null : (createRequire(import.meta.url)(path) as MountCalls);
    } catch {
      calls = null;
    }
  }
  return calls ?? undefined;
}
