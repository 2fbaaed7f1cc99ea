/**
 * Finding an OCI runtime: `auto` prefers crun (it starts faster) then runc,
 * looked up on PATH and in the sbin directories a root shell would search.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { TsbuildError } from '../../errors.js';

export type RuntimeKind = 'auto' | 'runc' | 'crun';

const EXTRA_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/**
 * Absolute path of the runtime binary to use.
 *
 * @example
 * findRuntime('auto') // '/usr/bin/crun'
 * findRuntime('runc') // '/usr/sbin/runc', or TsbuildError RUNTIME_NOT_FOUND
 */
export function findRuntime(kind: RuntimeKind, dirs = searchPath()): string {
  const names = kind === 'auto' ? ['crun', 'runc'] : [kind];
  for (const name of names) {
    for (const dir of dirs) {
      const p = join(dir, name);
      if (isExecutable(p)) return p;
    }
  }
  const what = kind === 'auto' ? 'crun or runc' : kind;
  throw new TsbuildError(
    'RUNTIME_NOT_FOUND',
    `no OCI runtime found: ${what} is not installed (looked in ${dirs.join(':')})`,
    { runtime: kind, dirs },
  );
}

/** PATH's directories, then the sbin ones a root shell would search. */
export function searchPath(path = process.env.PATH ?? ''): string[] {
  return [...new Set([...path.split(delimiter).filter((d) => d !== ''), ...EXTRA_DIRS])];
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Absolute path of a host tool the built-in sandbox needs (unshare, mount, ip …).
 *
 * @example
 * findTool('unshare') // '/usr/bin/unshare', or TsbuildError RUNTIME_NOT_FOUND
 */
export function findTool(name: string, dirs = searchPath()): string {
  for (const dir of dirs) {
    const p = join(dir, name);
    if (isExecutable(p)) return p;
  }
  throw new TsbuildError(
    'RUNTIME_NOT_FOUND',
    `the built-in sandbox needs ${name}, which is not installed (looked in ${dirs.join(':')})`,
    { runtime: 'builtin', tool: name, dirs },
  );
}
