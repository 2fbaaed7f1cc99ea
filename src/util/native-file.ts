/**
 * Where npm put what it built from native/ at install (node-gyp, binding.gyp):
 * <package>/build/Release/. This module runs from src/util/ under the tests
 * and from dist/bundle/ once built, so the package root is found by walking
 * up rather than by a fixed relative path. runtime/native.ts finds the
 * sandbox's helpers and its addon through here too.
 */
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TsbuildError } from '../errors.js';

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

/**
 * The addon build/Release/`name` exports, for a caller that cannot do without
 * it; else NATIVE_ADDON_MISSING, one line naming the addon, what needs it and
 * how to build it. Loaded on first use, never at import: a command that needs
 * no addon works when npm built none.
 *
 * @example
 * requireAddon<XattrCalls>('tsbuild_xattr.node', 'extended attributes')
 * // TsbuildError: extended attributes need build/Release/tsbuild_xattr.node, which …
 */
export function requireAddon<T>(name: string, purpose: string): T {
  const path = nativeFile(name);
  let why = 'which npm builds at install with node-gyp (a C compiler and make)';
  if (path !== undefined) {
    try {
      return createRequire(import.meta.url)(path) as T;
    } catch (e) {
      // Built for another Node (its ABI), or for another machine.
      why = `which does not load (${(e as Error).message.split('\n')[0]})`;
    }
  }
  throw new TsbuildError(
    'NATIVE_ADDON_MISSING',
    `${purpose} need build/Release/${name}, ${why}: run \`npm rebuild tsbuild\` (or node-gyp rebuild in its directory)`,
    { addon: name },
  );
}
