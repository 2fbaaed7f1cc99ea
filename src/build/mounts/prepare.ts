/**
 * A RUN's mounts made real for one run: host paths and options for the runner,
 * the environment the step gains (a secret's `env=`), and what to undo after.
 *
 * Mount points are made in the step's root first where BuildKit leaves them in
 * the layer (verified on Docker 20.10): the target directory of a bind of a
 * directory, a cache or a tmpfs (`/newdir/sub` stays); only the parent of a file
 * mount (a bind of a file, a secret, an agent socket), whose own mount point the
 * runner makes and removes. An optional secret or agent that was not given is
 * not mounted at all, and leaves nothing.
 */
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, realpathSync } from 'node:fs';
import { mkdtemp, rm, writeFile, chown } from 'node:fs/promises';
import { basename, join, posix, relative } from 'node:path';
import { TsbuildError } from '../../errors.js';
import { resolveInRoot } from '../../runtime/run/scope.js';
import type { RunMount } from '../../runtime/run/runner.js';
import type { BuildDeps } from '../deps.js';
import { privateDir } from './private-dir.js';
import type { MountSource, MountSources } from './sources.js';
import type { StepMount } from './spec.js';
import { agentProxy } from './ssh-proxy.js';
import { copyTree } from './tree-copy.js';

export interface PreparedMounts {
  mounts: RunMount[];
  /** `NAME=value` for each `env=` secret. */
  env: string[];
  /** The secrets' values, to keep them out of the output (redact.ts). */
  secrets: Buffer[];
  release(): Promise<void>;
}

const KERNEL = /^\/(proc|sys|dev)(\/|$)/;

export async function prepareMounts(
  deps: BuildDeps,
  rootfs: string,
  mounts: readonly StepMount[],
  sources: MountSources | undefined,
): Promise<PreparedMounts> {
  const undo: (() => Promise<unknown>)[] = [];
  const out: PreparedMounts = {
    mounts: [],
    env: [],
    secrets: [],
    release: async () => {
      for (const u of undo.splice(0).reverse()) await u();
    },
  };
  let shared: { path: string } | undefined;
  const privatePath = async () => {
    if (!shared) {
      const dir = await privateDir('mounts');
      undo.push(dir.remove);
      shared = dir;
    }
    return shared.path;
  };
  try {
    for (const [i, m] of mounts.entries()) {
      switch (m.type) {
        case 'bind': {
          const src = sources!.sources[i]!;
          const host = await bindSource(deps, src, m.readonly, undo);
          mountPoint(rootfs, m.target, src.dir);
          out.mounts.push(bind(host, m.target, m.readonly));
          break;
        }
        case 'cache': {
          const src = sources?.sources[i];
          const held = await cacheDir(deps, m, src);
          undo.push(held.release);
          mountPoint(rootfs, m.target, true);
          out.mounts.push(bind(held.dir, m.target, m.readonly));
          break;
        }
        case 'tmpfs':
          mountPoint(rootfs, m.target, true);
          out.mounts.push({
            type: 'tmpfs',
            source: 'tmpfs',
            target: m.target,
            options: ['nosuid', ...(m.size !== undefined ? [`size=${m.size}`] : [])],
          });
          break;
        case 'secret': {
          const value = await deps.secret(m.id);
          if (value === undefined) {
            if (m.required) throw missing('secret', m.id);
            break;
          }
          out.secrets.push(value);
          if (m.env !== undefined) out.env.push(`${m.env}=${value.toString('utf8')}`);
          if (m.target === undefined) break;
          const file = join(await privatePath(), `secret-${i}`);
          await writeFile(file, value, { mode: 0o600 });
          await chown(file, m.uid, m.gid);
          chmodSync(file, m.mode);
          mountPoint(rootfs, m.target, false);
          out.mounts.push(bind(file, m.target, true, ['nosuid', 'nodev', 'noexec']));
          break;
        }
        case 'inline': {
          // In the sandbox's own /dev: no mount point in the rootfs.
          const dir = join(await privatePath(), `inline-${i}`);
          mkdirSync(dir, { mode: 0o755 });
          await writeFile(join(dir, m.name), m.content, { mode: 0o755 });
          chmodSync(join(dir, m.name), 0o755);
          out.mounts.push(bind(dir, m.target, true));
          break;
        }
        case 'ssh': {
          const agent = await deps.sshAgent(m.id);
          if (agent === undefined) {
            if (m.required) throw missing('ssh', m.id);
            break;
          }
          const sock = join(await privatePath(), `agent-${i}`);
          const proxy = await agentProxy(agent, sock, m);
          undo.push(proxy.close);
          mountPoint(rootfs, m.target, false);
          out.mounts.push(bind(sock, m.target, false));
          break;
        }
      }
    }
    return out;
  } catch (e) {
    await out.release();
    throw e;
  }
}

function bind(source: string, target: string, readonly: boolean, extra: string[] = []): RunMount {
  return { type: 'bind', source, target, options: [readonly ? 'ro' : 'rw', ...extra] };
}

/**
 * The host path to bind. A stage's or image's filesystem is a snapshot made for
 * this step (a throwaway: a `rw` bind's writes go nowhere), bound as it is. A
 * tree of files (the context, a named context) is bound as it is when read-only
 * and nothing of it is ignored; otherwise a copy is bound — filtered by its
 * .dockerignore, and writable without writing through to the user's files.
 */
async function bindSource(
  deps: BuildDeps,
  src: MountSource,
  readonly: boolean,
  undo: (() => Promise<unknown>)[],
): Promise<string> {
  const snapshot = src.tree.keepOwners === true && src.tree.ignore === undefined;
  if (snapshot) return src.abs;
  const ignore =
    src.tree.ignore !== undefined && !(src.context && deps.context.ignore.file === undefined)
      ? src.tree.ignore
      : undefined;
  if (readonly && ignore === undefined) return src.abs;
  const dir = await mkdtemp(join(deps.workRoot, 'bind-'));
  undo.push(() => rm(dir, { recursive: true, force: true }));
  if (!src.dir) {
    const file = join(dir, basename(src.abs));
    copyFileSync(src.abs, file);
    return file;
  }
  // Where the source is under the tree's root, for .dockerignore (abs is under the real root).
  const base = relative(realpathSync(src.tree.root), src.abs);
  copyTree(src.abs, dir, { ...(ignore ? { ignore } : {}), base, signal: deps.signal });
  return dir;
}

/**
 * The cache `id`, seeded as BuildKit seeds it: from the `from=` tree's `source`,
 * else (uid, gid or mode given) an empty directory with that owner and mode,
 * else an empty 0755 root-owned one. What seeded it is part of which cache it is.
 */
async function cacheDir(
  deps: BuildDeps,
  m: Extract<StepMount, { type: 'cache' }>,
  src: MountSource | undefined,
) {
  const owned = m.uid !== undefined || m.gid !== undefined || m.mode !== undefined;
  const seed = src
    ? `from ${src.identity}:${m.source}`
    : owned
      ? `owner ${m.uid ?? 0}:${m.gid ?? 0}:${(m.mode ?? 0o755).toString(8)}`
      : '';
  return deps.store.cacheMounts.acquire(
    m.id,
    seed,
    m.sharing,
    async (dir) => {
      if (src) {
        if (src.dir) copyTree(src.abs, dir, { signal: deps.signal });
        else copyFileSync(src.abs, join(dir, basename(src.abs)));
      } else if (owned) {
        chownSync(dir, m.uid ?? 0, m.gid ?? 0);
        chmodSync(dir, m.mode ?? 0o755);
      }
    },
    deps.signal,
  );
}

/** Make the mount point's directories in the root (the target's own, or its parent's for a file). */
function mountPoint(rootfs: string, target: string, dir: boolean): void {
  // The runner refuses these targets (UNSAFE_MOUNT_TARGET): make nothing there.
  if (KERNEL.test(target)) return;
  const path = dir ? target : posix.dirname(target);
  const at = resolveInRoot(rootfs, path);
  let host = at.hostPath;
  for (const name of at.missing) {
    host = join(host, name);
    if (!existsSync(host)) mkdirSync(host, { mode: 0o755 });
  }
}

function missing(kind: 'secret' | 'ssh', id: string): TsbuildError {
  return kind === 'secret'
    ? new TsbuildError(
        'SECRET_MISSING',
        `secret "${id}" is required but was not given: pass --secret id=${id},src=<file> (or env=<variable>)`,
        { id },
      )
    : new TsbuildError(
        'SSH_MISSING',
        `ssh agent "${id}" is required but was not given: pass --ssh ${id === 'default' ? 'default' : `${id}=<socket or key file>`}`,
        { id },
      );
}
