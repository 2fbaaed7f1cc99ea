/**
 * `export`: a container's filesystem, flattened, as one tar — its image's
 * layers and its own changes merged as overlayfs shows them (whiteouts and
 * opaque directories carried out), written as it is read, never held whole.
 * `import` of it gives an image that runs (the seeds' export/import lesson).
 *
 * Differences from `docker export`: Docker's tar also holds its init layer
 * (/.dockerenv, empty /etc/hosts, /etc/hostname and /etc/resolv.conf, /dev/console,
 * /dev/pts, /dev/shm), which tsbuild containers do not have; and entries are in
 * tsbuild's layer form (sorted, whole-second mtimes, numeric owners).
 */
import type { Readable } from 'node:stream';
import { MergedTree, walkMerged } from '../layer/merged-tree.js';
import { tarEntries } from '../layer/writer.js';
import { containerView } from './container-view.js';
import { openStore, type StoreOptions } from './store.js';

export interface ExportRequest extends StoreOptions {
  /** The container: ID, name or unique ID prefix. */
  container: string;
}

/**
 * The container's filesystem as a tar stream; it fails (as a stream) if a file
 * cannot be read on the way.
 * @example
 *   await pipeline(await exportContainer({ container: 'web' }), createWriteStream('web.tar'));
 */
export async function exportContainer(req: ExportRequest): Promise<Readable> {
  const store = await openStore(req);
  const view = await containerView(store, req.container);
  const tree = new MergedTree([view.upper, ...view.lowers], {
    exclude: (p, tree) => tree === 0 && view.exclude(p),
  });
  return tarEntries(walkMerged(tree));
}
