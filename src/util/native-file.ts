/**
 * Where npm put what it built from native/ at install (node-gyp, binding.gyp):
 * <package>/build/Release/. This module runs from src/util/ under the tests
 * and from dist/bundle/ once built, so the package root is found by walking
 * up rather than by a fixed relative path. (runtime/native.ts finds the
 * sandbox's helpers the same way.)
 */
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The absolute path of build/Release/`name`; undefined when it was not built. */
function nativeFile(name: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    const candidate = join(dir, 'build', 'Release', name);
    try {
      accessSync(candidate, constants.R_OK);
      return candidate;
    } catch {
      // Not at this level.
    }
  }
  return undefined;
}

/**
 * The addon build/Release/`name` exports; undefined when it was not built
 * (npm's --ignore-scripts, no compiler) or does not load (built for another
 * Node), and the caller does without.
 *
 * @example
 * loadAddon<{ lstatInto(p: string, out: Float64Array): boolean }>('tsbuild_stat.node')
 */
export function loadAddon<T>(name: string): T | undefined {
  const path = nativeFile(name);
  if (path === undefined) return undefined;
  try {
    return createRequire(import.meta.url)(path) as T;
  } catch {
    return undefined;
  }
}
