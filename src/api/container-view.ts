/**
 * A container's filesystem as `commit`, `diff` and `export` read it: its
 * image's layer snapshots (overlay lower dirs) under its upper dir, read from
 * the store's directories, never through a mount. `commit` and `export` refuse
 * a running container: its process could swap a directory for a symlink to a
 * host path between our listing and our open, and the host file would be read
 * into the image (Docker pauses the container; a daemonless tool has nothing
 * to pause a builtin-runtime container with). `diff` reads only names and
 * metadata, and takes a running container as it is at that moment.
 *
 * What the upper dir holds that is no change of the container's is left out,
 * as a RUN step's layer leaves it out (build/effects/snapshot.ts): the files a
 * runner mounts over (/etc/hosts, /etc/resolv.conf and, for a container,
 * /etc/hostname: Docker's are bind mounts over its init layer, never in the
 * container's diff) and the directories overlayfs copied up for nothing.
 */
import { unchangedCopiedUpDirs } from '../runtime/snapshot/copied-up.js';
import type { ContainerRecord } from '../store/containers.js';
import type { Store } from '../store/store.js';
import { TsbuildError } from '../errors.js';
import { settleDead } from './container-rootfs.js';

const RUNTIME_FILES = new Set(['etc/hosts', 'etc/resolv.conf', 'etc/hostname']);

export interface ContainerView {
  record: ContainerRecord;
  upper: string;
  /** The layers' snapshot dirs, top first, each once. */
  lowers: string[];
  /** Paths (relative, no leading slash) of the upper dir that are no change. */
  exclude: (relPath: string) => boolean;
}

/** The container `ref` names (ID, name or ID prefix) and its filesystem's parts. */
export async function containerView(
  store: Store,
  ref: string,
  opts: { whileRunning?: boolean } = {},
): Promise<ContainerView> {
  await settleDead(store);
  const record = await store.containers.resolve(ref);
  if (record.state.status === 'running' && !opts.whileRunning)
    throw new TsbuildError(
      'CONTAINER_RUNNING',
      `container ${record.id.slice(0, 12)} is running: stop it first (tsbuild cannot pause it, and does not read the files of a running container into an image or archive)`,
      { id: record.id },
    );
  // Each layer once, the upper occurrence kept, as its rootfs was mounted.
  const seen = new Set<string>();
  const topFirst = [...record.layers].reverse().filter((d) => !seen.has(d) && seen.add(d));
  const lowers: string[] = [];
  for (const d of topFirst) lowers.push(await store.snapshots.get(d));
  const upper = store.containers.upperDir(record.id);
  const runtime = (p: string) => RUNTIME_FILES.has(p);
  const unchanged = unchangedCopiedUpDirs(upper, lowers, runtime);
  return { record, upper, lowers, exclude: (p) => runtime(p) || unchanged.has(p) };
}
