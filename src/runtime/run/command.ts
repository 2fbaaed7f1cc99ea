/**
 * RUN ["no-such-command"] — found (or not) before anything starts, as runc
 * looks it up in the container's PATH before exec ("exec: "x": executable
 * file not found in $PATH", exit 127 under `docker run`). The built-in sandbox
 * needs this: there the lookup failure would only be a line on the command's
 * stderr.
 */
import { statSync } from 'node:fs';
import { posix } from 'node:path';
import { TsbuildError } from '../../errors.js';
import { DEFAULT_PATH } from './spec.js';
import { resolveInRoot } from './scope.js';

/**
 * The in-rootfs path `args[0]` runs from; COMMAND_NOT_FOUND (data.exitCode 127)
 * when there is none, RUNTIME_FAILED (126) when only a non-executable one is.
 *
 * @example
 * findCommand(rootfs, ['sh', '-c', 'true'], ['PATH=/bin'], '/') // '/bin/sh'
 */
export function findCommand(rootfs: string, args: string[], env: string[], cwd: string): string {
  const name = args[0] ?? '';
  const pathVar = env.findLast((e) => e.startsWith('PATH='))?.slice('PATH='.length) ?? DEFAULT_PATH;
  const candidates = name.includes('/')
    ? [posix.resolve(cwd, name)]
    : pathVar.split(':').map((d) => posix.resolve(cwd, d || '.', name));
  let denied: string | undefined;
  for (const c of name === '' ? [] : candidates) {
    const mode = modeIn(rootfs, c);
    if (mode === undefined) continue;
    if ((mode & 0o111) !== 0) return c;
    denied ??= c;
  }
  const data = { runtime: 'builtin', args };
  if (denied !== undefined) {
    throw new TsbuildError('RUNTIME_FAILED', `builtin: exec: "${name}": permission denied`, {
      ...data,
      exitCode: 126,
    });
  }
  const where = name.includes('/')
    ? 'no such file or directory'
    : 'executable file not found in $PATH';
  throw new TsbuildError('COMMAND_NOT_FOUND', `builtin: exec: "${name}": ${where}`, {
    ...data,
    exitCode: 127,
  });
}

/** Mode of a regular file at `path` in the rootfs (symlinks followed in scope), else undefined. */
function modeIn(rootfs: string, path: string): number | undefined {
  try {
    const at = resolveInRoot(rootfs, path);
    if (at.missing.length > 0) return undefined;
    const st = statSync(at.hostPath);
    return st.isFile() ? st.mode : undefined;
  } catch {
    return undefined;
  }
}
