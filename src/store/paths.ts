import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Where the store lives: `--root`, else `TSBUILD_ROOT`, else
 * `$XDG_DATA_HOME/tsbuild` (`~/.local/share/tsbuild` when XDG_DATA_HOME is unset,
 * as the XDG base directory spec says).
 */
export function defaultRoot(env: NodeJS.ProcessEnv, flag?: string): string {
  if (flag) return resolve(flag);
  if (env.TSBUILD_ROOT) return resolve(env.TSBUILD_ROOT);
  const data = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return join(resolve(data), 'tsbuild');
}
