/**
 * Where the built-in sandbox's helper program is: native/sandbox-init.c,
 * compiled by node-gyp when the package is installed (binding.gyp), into
 * <package>/build/Release/ (runtime/native.ts finds it).
 */
import { constants } from 'node:fs';
import { TsbuildError } from '../../errors.js';
import { nativeFile } from '../native.js';

export const INIT_NAME = 'tsbuild-sandbox-init';

/**
 * The helper's absolute path; RUNTIME_NOT_FOUND when it was never built.
 *
 * @example
 * sandboxInit() // '/usr/lib/node_modules/tsbuild/build/Release/tsbuild-sandbox-init'
 */
export function sandboxInit(): string {
  const found = nativeFile(INIT_NAME, constants.X_OK);
  if (found !== undefined) return found;
  throw new TsbuildError(
    'RUNTIME_NOT_FOUND',
    `the built-in sandbox needs its helper build/Release/${INIT_NAME}, which npm builds at install with node-gyp (a C compiler and make): run \`npm rebuild tsbuild\` or \`npm ci\``,
    { runtime: 'builtin', tool: INIT_NAME },
  );
}
