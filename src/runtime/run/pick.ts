/**
 * Choosing the process runner: `auto` takes crun (it starts fastest), else
 * runc, else the built-in sandbox when util-linux's tools are there; a runner
 * forced by name that is not installed is RUNTIME_NOT_FOUND.
 */
import { TsbuildError } from '../../errors.js';
import { BUILTIN_TOOLS, BuiltinRunner } from './builtin.js';
import { findRuntime, findTool, searchPath } from './find.js';
import { sandboxInit } from './init-binary.js';
import { OciRunner } from './oci.js';
import type { Runner } from './runner.js';

export type RunnerKind = 'auto' | 'runc' | 'crun' | 'builtin';

/**
 * The runner for `kind`.
 *
 * @example
 * pickRunner('auto').name     // 'crun' (or 'runc', or 'builtin')
 * pickRunner('builtin').name  // 'builtin', or TsbuildError RUNTIME_NOT_FOUND naming the missing tool
 */
export function pickRunner(kind: RunnerKind, dirs = searchPath()): Runner {
  if (kind === 'builtin') {
    for (const t of BUILTIN_TOOLS) findTool(t, dirs);
    sandboxInit();
    return new BuiltinRunner();
  }
  if (kind !== 'auto') return new OciRunner(findRuntime(kind, dirs));
  try {
    return new OciRunner(findRuntime('auto', dirs));
  } catch (e) {
    if (!(e instanceof TsbuildError)) throw e;
    try {
      return pickRunner('builtin', dirs);
    } catch {
      throw new TsbuildError(
        'RUNTIME_NOT_FOUND',
        `no process runner: neither crun, runc nor util-linux's ${BUILTIN_TOOLS.join(', ')} with the built-in sandbox's helper are all installed (looked in ${dirs.join(':')})`,
        { runtime: 'auto', dirs },
      );
    }
  }
}
