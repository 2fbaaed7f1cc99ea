/**
 * `--secret` and `--ssh` as docker build (BuildKit) and buildx read them:
 *
 *   --secret id=npm,src=$HOME/.npmrc     a file (`source=` too; `type=file` optional)
 *   --secret id=token,env=GH_TOKEN       an environment variable (`type=env,src=GH_TOKEN` too)
 *   --secret id=GH_TOKEN                 the variable GH_TOKEN if it is set, else the file ./GH_TOKEN
 *   --ssh default                        the agent at $SSH_AUTH_SOCK
 *   --ssh github=/keys/id_ed25519,/keys/other   key files (or one agent socket) for id=github
 */
import type { SecretSource } from '../api/build-types.js';
import { UsageError } from '../errors.js';

export function secretsFrom(list: string[], env: NodeJS.ProcessEnv): Record<string, SecretSource> {
  const out: Record<string, SecretSource> = {};
  for (const text of list) {
    let type: 'file' | 'env' | undefined;
    let id: string | undefined;
    let src: string | undefined;
    let fromEnv: string | undefined;
    for (const field of text.split(',')) {
      const eq = field.indexOf('=');
      if (eq < 0)
        throw new UsageError(`invalid --secret ${text}: field '${field}' must be a key=value pair`);
      const key = field.slice(0, eq).toLowerCase();
      const value = field.slice(eq + 1);
      if (key === 'type') {
        if (value !== 'file' && value !== 'env')
          throw new UsageError(`invalid --secret ${text}: unsupported secret type "${value}"`);
        type = value;
      } else if (key === 'id') id = value;
      else if (key === 'src' || key === 'source') src = value;
      else if (key === 'env') fromEnv = value;
      else throw new UsageError(`invalid --secret ${text}: unexpected key '${key}'`);
    }
    if (!id) throw new UsageError(`invalid --secret ${text}: the secret needs an id (id=NAME)`);
    if (type === 'env' && fromEnv === undefined) {
      fromEnv = src ?? id;
      src = undefined;
    }
    if (src === undefined && fromEnv === undefined) {
      if (env[id] !== undefined) fromEnv = id;
      else src = id;
    }
    out[id] = fromEnv !== undefined ? { env: fromEnv } : { path: src! };
  }
  return out;
}

export function sshFrom(list: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const text of list) {
    const eq = text.indexOf('=');
    const id = eq < 0 ? text : text.slice(0, eq);
    if (id === '')
      throw new UsageError(`invalid --ssh ${text}: the agent needs an id (default, or NAME=PATH)`);
    out[id] =
      eq < 0
        ? []
        : text
            .slice(eq + 1)
            .split(',')
            .filter((p) => p !== '');
  }
  return out;
}
