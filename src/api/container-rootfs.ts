/**
 * A container's root: its image's layer snapshots as overlay lower dirs under
 * the container's own upper dir (containers/<id>/upper), mounted at
 * containers/<id>/rootfs while it runs — what a RUN step gets, except that the
 * upper dir stays. Not `volatile`: the container's changes must survive its
 * unmount and a second mount (commit, a restart).
 *
 * What a killed `tsbuild run` left (the overlay, the network namespace, the
 * pasta serving it, the container's process) is undone by `settleDead`, which
 * every container command calls first.
 */
import { mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { TsbuildError } from '../errors.js';
import { stopStaleNetwork } from '../runtime/network/index.js';
import { mountOverlay, mountsUnder, unmount } from '../runtime/snapshot/mount.js';
import { overlayData } from '../runtime/snapshot/overlay.js';
import { isAlive, type ContainerRecord } from '../store/containers.js';
import type { Store } from '../store/store.js';

/** Mount the container's root at its rootfs dir; returns that dir. */
export async function mountRootfs(store: Store, record: ContainerRecord): Promise<string> {
  const c = store.containers;
  // Each layer once, the upper occurrence kept (overlayfs refuses a lower given twice).
  const seen = new Set<string>();
  const once = [...record.layers]
    .reverse()
    .filter((d) => !seen.has(d) && seen.add(d))
    .reverse();
  const lowers: string[] = [];
  for (const d of once) lowers.push(realpathSync(await store.snapshots.get(d)));
  if (lowers.length === 0) {
    // FROM scratch: overlayfs needs one lower dir.
    const empty = join(c.path(record.id), 'empty');
    mkdirSync(empty, { recursive: true, mode: 0o755 });
    lowers.push(empty);
  }
  const rootfs = c.rootfsDir(record.id);
  const { data, cwd } = overlayData(
    [...lowers].reverse(),
    realpathSync(c.upperDir(record.id)),
    realpathSync(c.workDir(record.id)),
  );
  try {
    await mountOverlay(rootfs, data, cwd, { volatile: false });
  } catch (e) {
    if (!(e instanceof TsbuildError)) throw e;
    throw new TsbuildError(
      'CONTAINER_ROOTFS',
      `cannot mount the container's filesystem (tsbuild run needs overlayfs on the store's file system, ${store.root}): ${e.message}`,
      { id: record.id },
    );
  }
  return rootfs;
}

/** Unmount everything under the container's dir, deepest first (the overlay, the network namespace). */
export async function unmountContainer(dir: string): Promise<void> {
  for (const m of mountsUnder(dir)) await unmount(m);
  const left = mountsUnder(dir);
  if (left.length > 0)
    throw new TsbuildError(
      'CONTAINER_BUSY',
      `cannot unmount ${JSON.stringify(left[0])}: it is still mounted`,
      { dir, mounts: left },
    );
}

/**
 * Containers recorded as running whose supervisor is gone: their process is
 * killed when it is still there, what they mounted is unmounted, and they are
 * written down as exited (255, as Docker's daemon records those it finds dead
 * at its restart) — or removed, when they were run with --rm.
 */
export async function settleDead(store: Store): Promise<void> {
  for (const r of await store.containers.list()) {
    if (r.state.status !== 'exited') continue;
    const stored = await store.containers.get(r.id);
    if (stored?.state.status !== 'running') continue;
    const p = stored.state.process;
    if (p && isAlive(p)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    await stopStaleNetwork(store.containers.runDir(r.id));
    await unmountContainer(store.containers.path(r.id));
    const finishedAt = new Date().toISOString();
    const done = await store.containers.update(r.id, (c) =>
      c.state.status === 'running' && !isAlive(c.state.supervisor)
        ? { ...c, state: { ...c.state, status: 'exited', exitCode: 255, finishedAt } }
        : c,
    );
    if (done?.config.autoRemove) await removeContainer(store, done, { volumes: true });
  }
}

/**
 * Delete a stopped container, unmounted first; with `volumes` its anonymous
 * volumes too (`--rm` and `rm -v` do, plain `rm` keeps them, as Docker).
 */
export async function removeContainer(
  store: Store,
  record: ContainerRecord,
  opts: { volumes: boolean },
): Promise<void> {
  await store.containers.remove(record.id, unmountContainer);
  if (!opts.volumes) return;
  for (const m of record.config.mounts)
    if (m.type === 'volume' && m.anonymous) await store.volumes.remove(m.source);
}
