/**
 * `commit`: an image from a container — its image's layers and one more, the
 * container's changes, made exactly as a RUN step's layer is (its upper dir,
 * the same deterministic tar writer, overlay whiteouts as OCI ones, the
 * runner's files and unchanged copied-up directories left out). A container
 * that changed nothing gets no layer, its history entry `empty_layer`, as in
 * Docker.
 *
 * The config is what Docker 20.10 writes (daemon/commit.go, image.NewChildImage):
 * the container's own Config — Cmd, Entrypoint, Env, WorkingDir, User and
 * Hostname as it ran, the image's Labels, ExposedPorts, Volumes, Healthcheck
 * and StopSignal; OnBuild and Shell are not carried over — then the `-c`
 * changes (commit-changes.ts); `author` and `container`/`container_config` as
 * Docker writes them, and a history entry whose created_by is the container's
 * Cmd joined with spaces and whose comment is the message.
 *
 * A running container is refused (container-view.ts): nothing can pause it.
 */
import { TsbuildError } from '../errors.js';
import type { Descriptor, HistoryEntry, ImageConfig } from '../image/types.js';
import { walkTree } from '../layer/walk.js';
import { tarDirectory } from '../layer/writer.js';
import type { ContainerRecord } from '../store/containers.js';
import { canonicalTag } from '../store/names.js';
import { shortDigest } from '../util/digest.js';
import { hostPlatform } from '../dockerfile/scope.js';
import { applyChanges } from './commit-changes.js';
import { containerConfig, containerImageConfig } from './container-config.js';
import { containerView, type ContainerView } from './container-view.js';
import { IngestSession } from './ingest.js';
import { openStore, type StoreOptions } from './store.js';

export interface CommitRequest extends StoreOptions {
  /** The container: ID, name or unique ID prefix. */
  container: string;
  /** `REPO[:TAG]` to tag the new image with. */
  reference?: string;
  /** `-m`: the history entry's comment. */
  message?: string;
  /** `-a`: the image's and the history entry's author. */
  author?: string;
  /** `-c`: Dockerfile instructions applied to the config (commit-changes.ts). */
  changes?: string[];
}

/**
 * Make an image of a container's filesystem and config; returns its ID (`sha256:…`).
 * @example
 *   const id = await commit({ container: 'dev', reference: 'sam/thriftdev:0.9.1',
 *     message: 'Thrift dev', author: 'Sam Thrift' });
 */
export async function commit(req: CommitRequest): Promise<string> {
  const store = await openStore(req);
  // A bad name is refused before anything is written.
  const tags = req.reference ? [canonicalTag(req.reference)] : [];
  const view = await containerView(store, req.container);
  const r = view.record;
  const base = await containerImageConfig(store, r);
  const ctrConfig = containerConfig(r, base?.config ?? {});
  const config = applyChanges(structuredClone(ctrConfig), req.changes ?? []);
  const session = new IngestSession(store);
  try {
    const layer = await changesLayer(session, view);
    const created = new Date().toISOString();
    const entry: HistoryEntry = {
      created,
      ...(req.author ? { author: req.author } : {}),
      created_by: (r.config.cmd ?? []).join(' '),
      ...(req.message ? { comment: req.message } : {}),
      ...(layer ? {} : { empty_layer: true }),
    };
    const platform = hostPlatform();
    const image: ImageConfig = {
      architecture: base?.architecture ?? platform.architecture,
      ...(base?.variant ? { variant: base.variant } : {}),
      ...(base?.['os.version'] ? { 'os.version': base['os.version'] } : {}),
      ...(req.author ? { author: req.author } : {}),
      config,
      container: r.id,
      container_config: ctrConfig,
      created,
      history: [...(base?.history ?? placeholderHistory(r)), entry],
      os: base?.os ?? platform.os,
      rootfs: { type: 'layers', diff_ids: [...r.layers, ...(layer ? [layer.digest] : [])] },
    };
    const layers: Descriptor[] = [];
    for (const d of r.layers) {
      const desc = await store.layerDescriptor(d);
      if (!desc)
        throw new TsbuildError(
          'BLOB_MISSING',
          `layer ${d} of container ${shortDigest(r.id)} is missing from the store`,
          { digest: d },
        );
      layers.push(desc);
    }
    if (layer) layers.push(layer);
    const record = await store.addImage({
      config: image,
      layers,
      ...(base ? { parent: r.image.id } : {}),
      tags,
    });
    return record.id;
  } catch (e) {
    await session.rollback();
    throw e;
  }
}

/** One entry per layer when the base's history is not known (a failed build step's stage). */
function placeholderHistory(r: ContainerRecord): HistoryEntry[] {
  return r.layers.map(() => ({ created: r.created, comment: 'below a failed build step' }));
}

/** The container's changes as a layer, stored as its tar; undefined when it changed nothing. */
async function changesLayer(
  session: IngestSession,
  view: ContainerView,
): Promise<Descriptor | undefined> {
  const opts = { overlay: true, exclude: view.exclude };
  if (walkTree(view.upper, opts).next().done) return undefined;
  const summary = { unpackedSize: 0, complete: false };
  const short = shortDigest(view.record.id);
  return session.putTar(tarDirectory(view.upper, { ...opts, summary }), `container ${short}`, {
    summary,
    what: `the layer of container ${short}`,
  });
}
