/**
 * A RUN's `--mount`s with BuildKit's defaults filled in for the step
 * (dockerfile2llb convert_runmount.go, convert_secrets.go, convert_ssh.go):
 *
 * - a relative target is under the step's WORKDIR; `/` is refused;
 * - cache: `id` defaults to the target as written (cleaned), sharing `shared`;
 * - secret: the id is `id`, else `source`, else the target's base name; the
 *   file goes to `/run/secrets/<id>` unless a target is given or it is `env=` only;
 *   mode 0400, owner 0:0;
 * - ssh: id `default`, socket at `/run/buildkit/ssh_agent.<n>` (n counts the
 *   step's ssh mounts), mode 0600; SSH_AUTH_SOCK names the first one.
 */
import { posix } from 'node:path';
import type { MountSpec } from '../../dockerfile/mount.js';
import { DockerfileError, type Span } from '../../errors.js';
import { sha256 } from '../../util/digest.js';
import { goClean } from '../../util/go-clean.js';

interface Owner {
  mode?: number;
  uid?: number;
  gid?: number;
}

export type StepMount =
  | { type: 'bind'; target: string; from?: string; source: string; readonly: boolean }
  | ({
      type: 'cache';
      target: string;
      id: string;
      sharing: 'shared' | 'private' | 'locked';
      from?: string;
      source: string;
      readonly: boolean;
    } & Owner)
  | { type: 'tmpfs'; target: string; size?: number }
  | {
      type: 'secret';
      id: string;
      /** Where the file goes; undefined for an `env=` secret with no target. */
      target?: string;
      env?: string;
      required: boolean;
      mode: number;
      uid: number;
      gid: number;
    }
  | {
      type: 'ssh';
      id: string;
      target: string;
      required: boolean;
      mode: number;
      uid: number;
      gid: number;
    }
  /**
   * Not a --mount: a RUN that is one heredoc starting with `#!` runs it as a
   * file, mounted (a directory holding `name`, mode 0755, read-only) at
   * `target`, /dev/pipes, as BuildKit does.
   */
  | { type: 'inline'; target: string; name: string; content: string };

function absolute(target: string, cwd: string, span: Span): string {
  const t = posix.isAbsolute(goClean(target)) ? goClean(target) : posix.join('/', cwd, target);
  if (t === '/') throw new DockerfileError('BAD_MOUNT', `invalid mount target "${t}"`, span);
  return t;
}

/**
 * @example
 *   stepMounts([{ type: 'cache', target: 'c', readonly: false, required: false }], '/w', [span])
 *   // [{ type: 'cache', target: '/w/c', id: 'c', sharing: 'shared', source: '/', readonly: false }]
 */
export function stepMounts(specs: MountSpec[], cwd: string, spans: Span[]): StepMount[] {
  let ssh = 0;
  return specs.map((m, i): StepMount => {
    const span = spans[i]!;
    const source = posix.join('/', m.source ?? '');
    const owner: Owner = {
      ...(m.mode !== undefined ? { mode: m.mode } : {}),
      ...(m.uid !== undefined ? { uid: m.uid } : {}),
      ...(m.gid !== undefined ? { gid: m.gid } : {}),
    };
    switch (m.type) {
      case 'bind':
        return {
          type: 'bind',
          target: absolute(m.target ?? '', cwd, span),
          ...(m.from ? { from: m.from } : {}),
          source,
          readonly: m.readonly,
        };
      case 'cache':
        return {
          type: 'cache',
          target: absolute(m.target ?? '', cwd, span),
          id: m.id || goClean(m.target ?? ''),
          sharing: m.sharing ?? 'shared',
          ...(m.from ? { from: m.from } : {}),
          source,
          readonly: m.readonly,
          ...owner,
        };
      case 'tmpfs':
        return {
          type: 'tmpfs',
          target: absolute(m.target ?? '', cwd, span),
          ...(m.size !== undefined ? { size: m.size } : {}),
        };
      case 'secret': {
        const id = m.id || m.source || posix.basename(m.target ?? '');
        const target =
          m.target !== undefined && m.target !== ''
            ? absolute(m.target, cwd, span)
            : m.env === undefined
              ? `/run/secrets/${posix.basename(id)}`
              : undefined;
        return {
          type: 'secret',
          id,
          ...(target !== undefined ? { target } : {}),
          ...(m.env !== undefined ? { env: m.env } : {}),
          required: m.required,
          mode: m.mode ?? 0o400,
          uid: m.uid ?? 0,
          gid: m.gid ?? 0,
        };
      }
      case 'ssh': {
        // Numbered among all the step's ssh mounts, those with a target too (llb exec.go).
        const n = ssh++;
        return {
          type: 'ssh',
          id: m.id || 'default',
          target: m.target ? absolute(m.target, cwd, span) : `/run/buildkit/ssh_agent.${n}`,
          required: m.required,
          mode: m.mode ?? 0o600,
          uid: m.uid ?? 0,
          gid: m.gid ?? 0,
        };
      }
    }
  });
}

/**
 * What of a mount goes into the step's cache key: its declaration, never a
 * secret's value nor a cache's contents (BuildKit keys neither); a bind's
 * contents go in separately, as a checksum (binds.ts).
 */
export function mountKeyText(m: StepMount): string {
  if (m.type === 'inline')
    return `type=inline,target=${m.target},name=${m.name},sha256=${sha256(m.content)}`;
  const parts = Object.entries(m)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'number' && k === 'mode' ? v.toString(8) : String(v)}`);
  return parts.join(',');
}
