/**
 * Where the built-in sandbox's helper program is: native/sandbox-init.c,
 * compiled by node-gyp when the package is installed (binding.gyp), into
 * <package>/build/Release/. This module runs from src/runtime/run/ under the
 * tests and from dist/bundle/ once built, so the package root is found by
 * walking up rather than by a fixed relative path.
 */
import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TsbuildError } from '../../errors.js';

export const INIT_NAME = 'tsbuild-sandbox-init';

let found: string | undefined;

/**
 * The helper's absolute path; RUNTIME_NOT_FOUND when it was never built.
 *
 * @example
 * sandboxInit() // '/usr/lib/node_modules/tsbuild/build/Release/tsbuild-sandbox-init'
 */
export function sandboxInit(): string {
  if (found !== undefined) return found;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start, i = 0; i < 6; dir = dirname(dir), i++) {
    const candidate = join(dir, 'build', 'Release', INIT_NAME);
    try {
      accessSync(candidate, constants.X_OK);
      found = candidate;
      return candidate;
    } catch {
      // Not at this level.
    }
  }
  throw new TsbuildError(
    'RUNTIME_NOT_FOUND',
    `the built-in sandbox needs its helper build/Release/${INIT_NAME}, which npm builds at install with node-gyp (a C compiler and make): run \`npm rebuild tsbuild\` or \`npm ci\``,
    { runtime: 'builtin', tool: INIT_NAME },
  );
}
