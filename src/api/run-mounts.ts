/**
 * `run -v` and `--mount`, read as the docker CLI reads them and prepared as
 * Docker's daemon prepares them:
 *
 *   -v /host/path:/ctr[:ro|rw]     a bind; a missing host directory is made (Docker does)
 *   -v name:/ctr[:ro]              a named volume, made in the store on first use
 *   -v /ctr                        an anonymous volume (`--rm` removes it)
 *   --mount type=bind,src=/host,dst=/ctr[,readonly]       the source must exist
 *   --mount type=volume[,src=name],dst=/ctr[,ro][,volume-nocopy]
 *   --mount type=tmpfs,dst=/ctr[,tmpfs-size=BYTES][,tmpfs-mode=OCTAL]
 *
 * and, as Docker's daemon adds them at create time, an anonymous volume for
 * each of the image's VOLUMEs that none of those mounts on (imageVolumes).
 * A new volume is filled with what the image holds at its target (unless
 * volume-nocopy), as Docker fills an empty new volume.
 */
import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { copyTree } from '../build/mounts/tree-copy.js';
import { TsbuildError } from '../errors.js';
import type { RunMount } from '../runtime/run/runner.js';
import { resolveInRoot } from '../runtime/run/scope.js';
import type { ContainerMount } from '../store/containers.js';
import type { Store } from '../store/store.js';
import { VolumeStore } from '../store/volumes.js';
import { goClean } from '../util/go-clean.js';

const bad = (message: string, data: Record<string, unknown> = {}) =>
  new TsbuildError('BAD_MOUNT', message, data);

/** One `-v` value. */
export function parseVolumeFlag(spec: string): ContainerMount {
  const parts = spec.split(':');
  if (parts.length > 3 || parts.some((p) => p === ''))
    throw bad(`invalid volume specification: '${spec}'`, { spec });
  const [first, second, mode] = parts as [string, string | undefined, string | undefined];
  if (second === undefined) {
    checkTarget(first, spec);
    return {
      type: 'volume',
      source: VolumeStore.anonymousName(),
      target: goClean(first),
      readOnly: false,
      anonymous: true,
      mode: '',
    };
  }
  const modes = (mode ?? '').split(',').filter((m) => m !== '');
  for (const m of modes)
    if (
      ![
        'ro',
        'rw',
        'z',
        'Z',
        'nocopy',
        'private',
        'rprivate',
        'shared',
        'rshared',
        'slave',
        'rslave',
      ].includes(m)
    )
      throw bad(`invalid mode: ${m}`, { spec });
  checkTarget(second, spec);
  const readOnly = modes.includes('ro');
  if (first.startsWith('/'))
    return {
      type: 'bind',
      source: posix.normalize(first),
      target: goClean(second),
      readOnly,
      mode: mode ?? '',
    };
  VolumeStore.checkName(first);
  return {
    type: 'volume',
    source: first,
    target: goClean(second),
    readOnly,
    ...(modes.includes('nocopy') ? { options: ['nocopy'] } : {}),
    // Docker's daemon sets a local volume's empty mode to `z` (setBindModeIfNull).
    mode: mode ?? 'z',
  };
}

/** One `--mount` value (comma-separated key=value, docker/cli opts/mount.go). */
export function parseMountFlag(spec: string): ContainerMount {
  const fail = (why: string) =>
    bad(`invalid argument "${spec}" for "--mount" flag: ${why}`, { spec });
  let type = 'volume';
  let source = '';
  let target = '';
  let readOnly = false;
  const options: string[] = [];
  for (const field of spec.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    const need = () => {
      if (value === undefined) throw fail(`invalid field '${field}' must be a key=value pair`);
      return value;
    };
    switch (key) {
      case 'type':
        type = need();
        break;
      case 'source':
      case 'src':
        source = need();
        break;
      case 'target':
      case 'dst':
      case 'destination':
        target = need();
        break;
      case 'readonly':
      case 'ro':
        if (value !== undefined && !['true', '1', 'false', '0'].includes(value.toLowerCase()))
          throw fail(`invalid value for ${key}: ${value}`);
        readOnly = value === undefined || ['true', '1'].includes(value.toLowerCase());
        break;
      case 'volume-nocopy':
        options.push('nocopy');
        break;
      case 'tmpfs-size':
        options.push(`size=${need()}`);
        break;
      case 'tmpfs-mode':
        options.push(`mode=${need()}`);
        break;
      case 'bind-propagation':
      case 'consistency':
        need();
        break;
      default:
        throw fail(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs')
    throw fail(`invalid mount type: ${type}`);
  if (target === '') throw fail('target is required');
  checkTarget(target, spec);
  target = goClean(target);
  if (type === 'tmpfs') {
    if (source !== '') throw fail('source is not allowed for tmpfs mounts');
    return { type, source: '', target, readOnly, options, mode: '' };
  }
  if (type === 'bind') {
    if (source === '') throw fail('source is required when specifying bind mounts');
    if (!source.startsWith('/'))
      throw bad(
        `invalid mount config for type "bind": invalid mount path: '${source}' mount path must be absolute`,
      );
    if (!existsSync(source))
      throw bad(
        `invalid mount config for type "bind": bind source path does not exist: ${source}`,
        { source },
      );
    return { type, source: posix.normalize(source), target, readOnly, mode: '' };
  }
  if (source === '') {
    if (readOnly)
      throw bad(
        'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes',
        { spec },
      );
    return {
      type,
      source: VolumeStore.anonymousName(),
      target,
      readOnly,
      anonymous: true,
      options,
      mode: 'z',
    };
  }
  VolumeStore.checkName(source);
  // A --mount volume's mode is `z` whatever its options (Docker's setBindModeIfNull).
  return { type, source, target, readOnly, options, mode: 'z' };
}

function checkTarget(target: string, spec: string): void {
  if (!target.startsWith('/'))
    throw bad(`invalid mount config: invalid mount path: '${target}' mount path must be absolute`, {
      spec,
    });
  if (posix.normalize(target) === '/')
    throw bad("invalid specification: destination can't be '/'", { spec });
}

/** Docker's "Duplicate mount point" check over all mounts. */
export function checkDuplicates(mounts: ContainerMount[]): void {
  const seen = new Set<string>();
  for (const m of mounts) {
    if (seen.has(m.target)) throw bad(`Duplicate mount point: ${m.target}`, { target: m.target });
    seen.add(m.target);
  }
}

/**
 * An anonymous volume for each of the image's VOLUME paths that `explicit`
 * (the run's -v and --mount) does not already mount on, as Docker's daemon
 * adds them (daemon/create_unix.go: a path already mounted is skipped, the
 * rest get a new volume each, filled from the image when first mounted).
 * Paths are compared cleaned, as Go's filepath.Clean: `-v /data/` covers
 * VOLUME /data. A relative VOLUME (an image config may hold one) is taken
 * from the root, where Docker's runtime mounts it; `/` is refused, as nothing
 * can be mounted over the whole root.
 */
export function imageVolumes(
  volumes: Record<string, unknown> | null | undefined,
  explicit: readonly ContainerMount[],
): ContainerMount[] {
  const taken = new Set(explicit.map((m) => goClean(m.target)));
  const out: ContainerMount[] = [];
  for (const spec of Object.keys(volumes ?? {})) {
    const target = goClean(`/${spec}`);
    if (target === '/')
      throw bad(`invalid image VOLUME ${JSON.stringify(spec)}: destination can't be '/'`, {
        spec,
      });
    if (taken.has(target)) continue;
    taken.add(target);
    out.push({
      type: 'volume',
      source: VolumeStore.anonymousName(),
      target,
      readOnly: false,
      anonymous: true,
      mode: '',
    });
  }
  return out;
}

/**
 * The runner's mounts for `mounts`, in order; volumes made (and filled from
 * `rootfs`, the container's root) and binds' missing host dirs made on the way.
 */
export async function runnerMounts(
  store: Store,
  rootfs: string,
  mounts: ContainerMount[],
): Promise<RunMount[]> {
  const out: RunMount[] = [];
  for (const m of mounts) {
    const access = m.readOnly ? 'ro' : 'rw';
    if (m.type === 'tmpfs') {
      out.push({
        type: 'tmpfs',
        source: '',
        target: m.target,
        options: [access, 'nosuid', 'nodev', 'noexec', ...(m.options ?? [])],
      });
      continue;
    }
    let source: string;
    if (m.type === 'bind') {
      // -v makes a missing host directory, as Docker's daemon does; --mount checked it exists.
      if (!existsSync(m.source)) mkdirSync(m.source, { recursive: true, mode: 0o755 });
      source = realpathSync(m.source);
    } else {
      if (m.anonymous) refuseOverFile(rootfs, m.target);
      const nocopy = (m.options ?? []).includes('nocopy');
      source = await store.volumes.acquire(m.source, async (dir) => {
        if (!nocopy) fillFromImage(rootfs, m.target, dir);
      });
    }
    out.push({ type: 'bind', source, target: m.target, options: [access] });
  }
  // Shallowest first, as Docker sorts them: an image's VOLUME /data must not cover
  // a `-v /host:/data/sub` given before it. Stable, so equal depths keep their order.
  return out.sort((a, b) => depth(a.target) - depth(b.target));
}

function depth(target: string): number {
  return goClean(target).split('/').length;
}

/**
 * Docker's check for an anonymous volume (an image's VOLUME, `-v /path`): its
 * target, resolved in the rootfs, must not be a file.
 */
function refuseOverFile(rootfs: string, target: string): void {
  const at = resolveInRoot(rootfs, target);
  if (at.missing.length === 0 && !statSync(at.hostPath).isDirectory())
    throw bad(`cannot mount volume over existing file, file exists ${at.hostPath}`, { target });
}

/** Copy what the image holds at `target` (a directory) into a new volume's `dir`. */
function fillFromImage(rootfs: string, target: string, dir: string): void {
  const at = resolveInRoot(rootfs, target);
  if (at.missing.length > 0 || !statSync(at.hostPath).isDirectory()) return;
  copyTree(at.hostPath, dir);
}
