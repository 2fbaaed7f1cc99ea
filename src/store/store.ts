/**
 * The local image store: index.json, manifests and configs laid out as in an
 * OCI image layout (see layout.ts), layers kept once each (layer-bytes.ts: a
 * built layer as its snapshot, a received one as its bytes), plus a lock. It is
 * not itself an OCI layout — a layer may have no blob — so `save` and
 * `--output type=oci` write one. Every mutation re-reads index.json under the
 * lock, writes the data it needs first and index.json last, so a crash or a
 * failed command leaves the store as it was (at worst with unreferenced blobs
 * and snapshots, which `prune` removes).
 */
import { link, mkdir, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gzipStream, zstdStream } from '../layer/compress.js';
import { MediaType, type Descriptor, type ImageConfig, type Manifest } from '../image/types.js';
import { failingAs } from '../errors.js';
import { writeNewFileSynced } from '../util/atomic.js';
import { tempName } from '../util/temp-owner.js';
import { BlobStore } from './blobs.js';
import { CacheStore } from './cache.js';
import { CacheMounts } from './cache-mounts.js';
import { ContainerStore } from './containers.js';
import { Journal, dropMarkers, foreignMarkers } from './journal.js';
import { hashSnapshot, layerBytes, type LayerBytes } from './layer-bytes.js';
import { recoverAfterPowerLoss } from './recover.js';
import { LayerInfoStore, type LayerInfo, type LayerSource } from './layers.js';
import { SnapshotStore } from './snapshots.js';
import { VolumeStore } from './volumes.js';
import { StoreError } from './errors.js';
import { withLock } from './lock.js';
import { sweepDeadTemps } from './temps.js';
import { addRepoDigests, baseAnnotations, pointTag } from './entries.js';
import {
  ADDED_ANNOTATION,
  PARENT_ANNOTATION,
  emptyIndex,
  readIndex,
  writeIndex,
} from './layout.js';
import { canonicalDigestRef, canonicalTag, findImage } from './names.js';
import { groupImages, type ImageRecord } from './records.js';

export type { ImageRecord };

export interface NewImage {
  /** The config's exact bytes (its digest is the image ID), or an object to serialise. */
  config: Uint8Array | ImageConfig;
  /** Layer descriptors whose blobs are already in the store, in rootfs order. */
  layers: Descriptor[];
  /** The image this one was built on (Docker's `Parent`), by ID. */
  parent?: string;
  /** References to point at the image (any form Docker accepts: `app`, `app:1`). */
  tags?: string[];
  /** Manifest annotations, e.g. org.opencontainers.image.created. */
  annotations?: Record<string, string>;
  /** What a registry serves it as (`host/repo@sha256:…`, any form Docker accepts): a pull's. */
  repoDigests?: string[];
}

interface Prepared {
  img: NewImage;
  config: Descriptor;
  manifest: Descriptor;
  refs: string[];
}

export class Store {
  readonly blobs: BlobStore;
  readonly cache: CacheStore;
  /** RUN --mount=type=cache directories (cache-mounts.ts). */
  readonly cacheMounts: CacheMounts;
  readonly layers: LayerInfoStore;
  readonly snapshots: SnapshotStore;
  /** Unsynced writes and the power-loss model (journal.ts). */
  readonly journal: Journal;
  /** `tsbuild run`'s containers (containers.ts): their layers are held like an image's. */
  readonly containers: ContainerStore;
  /** Named volumes of containers (volumes.ts). */
  readonly volumes: VolumeStore;
  /** The sweep of dead writers' temp files, done once per Store under its first lock. */
  private swept: Promise<unknown> | undefined;

  private constructor(readonly root: string) {
    this.journal = new Journal(root);
    const mark = (path?: string) => this.journal.mark(path);
    const tmp = join(root, 'tmp');
    this.blobs = new BlobStore(join(root, 'blobs', 'sha256'), tmp, mark);
    this.cache = new CacheStore(join(root, 'cache'), tmp, mark);
    this.cacheMounts = new CacheMounts(root, tmp);
    this.containers = new ContainerStore(root, tmp, (fn) => this.withLock(fn));
    this.volumes = new VolumeStore(root, tmp);
    this.layers = new LayerInfoStore(join(root, 'layers'), tmp, mark);
    this.snapshots = new SnapshotStore(
      join(root, 'snapshots'),
      tmp,
      (d) => this.openLayer(d),
      mark,
      (d, dir) => this.keepOnceIfExact(d, dir),
    );
  }

  /**
   * Make what this process wrote durable (journal.ts): due before a command
   * reports success. Nothing written, nothing to do.
   */
  sync(): Promise<void> {
    return this.journal.sync();
  }

  /** Open (creating on first use) the store at `root`. */
  static async open(root: string): Promise<Store> {
    await failingAs({ writing: 'the store', to: root }, () => Store.create(root));
    const store = new Store(root);
    // Another boot's marker: a power loss hit unsynced writes; take out what they may have torn.
    if (await foreignMarkers(root))
      await store.withLock(async () => {
        const found = await foreignMarkers(root);
        if (!found) return;
        await recoverAfterPowerLoss(store, found.since);
        await dropMarkers(root, found.names);
      });
    return store;
  }

  private static async create(root: string): Promise<void> {
    await mkdir(join(root, 'blobs', 'sha256'), { recursive: true });
    await mkdir(join(root, 'tmp'), { recursive: true });
    for (const dir of ['cache', 'layers']) await mkdir(join(root, dir), { recursive: true });
    // A store written before layers were kept once said it was an OCI layout;
    // it no longer is one (a built layer has no blob), so it must not say so.
    if (existsSync(join(root, 'oci-layout'))) await rm(join(root, 'oci-layout'), { force: true });
    // link() never replaces: a process that raced us here and listed an image wins.
    if (!existsSync(join(root, 'index.json'))) {
      const tmp = tempName(join(root, 'tmp'), 'index');
      try {
        await writeNewFileSynced(tmp, `${JSON.stringify(emptyIndex())}\n`);
        await link(tmp, join(root, 'index.json')).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'EEXIST') throw e;
        });
      } finally {
        await rm(tmp, { force: true });
      }
    }
  }

  /**
   * Remove a blob and what the store derived from it (a layer's record and
   * snapshot). Callers hold the lock and have checked nothing uses it.
   */
  async deleteBlob(digest: string): Promise<void> {
    await this.snapshots.delete(digest);
    for (const twin of twins(await this.layers.get(digest))) await this.blobs.delete(twin);
    await this.layers.delete(digest);
    await this.blobs.delete(digest);
  }

  /**
   * The blobs an image keeps alive: its manifest, config and layers, and the
   * compressed twins of those layers. What rmi, prune and a failed load
   * must not delete while the image is listed.
   */
  async heldBy(image: ImageRecord): Promise<string[]> {
    const held = [image.manifest.digest, image.id];
    for (const l of (await this.manifest(image)).layers) {
      held.push(l.digest);
      held.push(...twins(await this.layers.get(l.digest)));
    }
    return held;
  }

  /**
   * Every blob some listed image holds, and the layers (with their compressed
   * twins) some container runs on, stopped or not: its rootfs is mounted from
   * their snapshots, and `commit` stacks a layer on them.
   */
  async held(): Promise<Set<string>> {
    const out = new Set<string>();
    for (const image of await this.images()) for (const d of await this.heldBy(image)) out.add(d);
    for (const d of await this.heldByContainers()) out.add(d);
    return out;
  }

  /**
   * The layers containers run on, their compressed twins, and their images'
   * configs: `commit` starts from a container's image config, also after
   * `rmi -f` took the image (Docker's container keeps its own copy).
   */
  async heldByContainers(): Promise<Set<string>> {
    const out = new Set<string>();
    const { layers, images } = await this.containers.held();
    for (const diffID of layers) {
      out.add(diffID);
      for (const twin of twins(await this.layers.get(diffID))) out.add(twin);
    }
    for (const id of images.keys()) out.add(id);
    return out;
  }

  /** How the store can give layer `diffID`'s tar, or undefined when it holds no such layer. */
  layerBytes(diffID: string): Promise<LayerBytes | undefined> {
    return layerBytes(
      { blobs: this.blobs, layers: this.layers, snapshotPath: (d) => this.snapshots.path(d) },
      diffID,
    );
  }

  async hasLayer(diffID: string): Promise<boolean> {
    return (await this.layerBytes(diffID)) !== undefined;
  }

  /** The layer's uncompressed tar: its blob, or made again from its snapshot or compressed bytes. */
  async openLayer(diffID: string): Promise<Readable> {
    const bytes = await this.layerBytes(diffID);
    if (!bytes)
      throw new StoreError('BLOB_MISSING', `layer ${diffID} is missing from the store`, {
        digest: diffID,
      });
    return bytes.open();
  }

  /** The descriptor of a layer the store holds (uncompressed tar, as manifests here list it). */
  async layerDescriptor(diffID: string): Promise<Descriptor | undefined> {
    const bytes = await this.layerBytes(diffID);
    return bytes && { mediaType: MediaType.ociLayer, digest: diffID, size: bytes.size };
  }

  /**
   * Keep `dir` — the snapshot of a layer this process just built, whose
   * deterministic tar is `layer` — as the layer, once: its tar is made again
   * from it when needed. When the snapshot is there already, `dir` is left to
   * the caller to remove.
   */
  async keepBuiltLayer(
    dir: string,
    layer: { diffID: string; size: number; unpackedSize: number; sourceDateEpoch?: number },
  ): Promise<void> {
    const { diffID, size, unpackedSize } = layer;
    await this.snapshots.adopt(diffID, dir);
    // Recorded after the snapshot is in place: a kill in between leaves a
    // snapshot no record names (prune's), never a record without its data.
    if (await this.hasLayer(diffID)) return;
    const epoch = layer.sourceDateEpoch;
    await this.recordLayer({
      diffID,
      size,
      unpackedSize,
      kept: 'snapshot',
      ...(epoch === undefined ? {} : { sourceDateEpoch: epoch }),
    });
  }

  /**
   * A layer received as an uncompressed tar (import, a docker-archive), now
   * extracted: when the deterministic writer makes the very same tar from the
   * snapshot (a tar tsbuild wrote, saved and loaded back), the blob is the
   * snapshot twice over, and goes — the layer is kept once, as a built one is.
   * Any other tar keeps its blob: its bytes could not be made again.
   */
  private async keepOnceIfExact(diffID: string, dir: string): Promise<void> {
    const info = await this.layers.get(diffID);
    if (info?.kept !== undefined || !(await this.blobs.has(diffID))) return;
    const made = await hashSnapshot(dir).catch(() => undefined);
    if (made?.diffID !== diffID) return;
    await this.recordLayer({
      diffID,
      size: made.size,
      unpackedSize: made.unpackedSize,
      kept: 'snapshot',
    });
    await this.blobs.delete(diffID);
  }

  /**
   * A layer compressed, made the first time it is asked for and kept: the same
   * layer then always goes out as the same blob with the same digest (for a
   * layer that came compressed, the bytes it came as).
   */
  async compressedLayer(diffID: string, kind: 'gzip' | 'zstd'): Promise<Descriptor> {
    const known = (await this.layers.get(diffID))?.[kind];
    if (known && (await this.blobs.has(known.digest))) return known;
    const codec = kind === 'gzip' ? gzipStream() : zstdStream();
    const compressing = pipeline(await this.openLayer(diffID), codec);
    // Awaited after the put, whose error (a full disk) is the one to report: the
    // compression only sees its output cut.
    compressing.catch(() => undefined);
    const info = await this.blobs.put(codec, { what: `layer ${diffID} compressed with ${kind}` });
    await compressing;
    const mediaType = kind === 'gzip' ? MediaType.ociLayerGzip : MediaType.ociLayerZstd;
    const desc = { mediaType, digest: info.digest, size: info.size };
    await this.recordLayer({ diffID, [kind]: desc });
    // Kept and reused as the layer's bytes from now on (save, push): durable first.
    await this.sync();
    return desc;
  }

  /** Add to what the store knows about a layer (under the lock: records are read, merged, written). */
  recordLayer(info: LayerInfo): Promise<void> {
    return this.withLock(() => this.layers.put(info));
  }

  /** Remember that `source` holds layer `diffID` (newest first, one entry per registry and repository). */
  addLayerSource(diffID: string, source: LayerSource): Promise<void> {
    return this.withLock(async () => {
      const old = (await this.layers.get(diffID))?.sources ?? [];
      const same = (s: LayerSource) =>
        s.registry === source.registry && s.repository === source.repository;
      await this.layers.put({
        diffID,
        sources: [source, ...old.filter((s) => !same(s))].slice(0, 16),
      });
    });
  }

  /**
   * Run `fn` holding the store's lock. The first time, what killed writers left
   * in tmp/ goes first (see temps.ts): the next command that takes the lock
   * cleans up after a kill, not the next prune.
   */
  withLock<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(this.root, async () => {
      // Housekeeping: a file that will not go now is prune's to take later.
      this.swept ??= Promise.all([
        sweepDeadTemps(join(this.root, 'tmp')),
        this.journal.settleDead(),
      ]).catch(() => undefined);
      await this.swept;
      return fn();
    });
  }

  /**
   * Every image, tagged or not, in the order they entered the store. Readers
   * take no lock, so an rmi may delete a manifest between our reading
   * index.json and the manifest: then index.json is read once more.
   */
  async images(): Promise<ImageRecord[]> {
    try {
      return await this.list();
    } catch (e) {
      if (!(e instanceof StoreError && e.code === 'BLOB_MISSING')) throw e;
      return this.list();
    }
  }

  private async list(entries?: Descriptor[]): Promise<ImageRecord[]> {
    const listed = entries ?? (await readIndex(this.root)).manifests;
    return groupImages(listed, (d) => this.blobs.readJson<Manifest>(d.digest));
  }

  async manifest(image: ImageRecord): Promise<Manifest> {
    return this.blobs.readJson<Manifest>(image.manifest.digest);
  }

  async config(image: ImageRecord): Promise<ImageConfig> {
    return this.blobs.readJson<ImageConfig>(image.id);
  }

  /**
   * Write an image's config and manifest and list it in index.json, untagged or
   * under `tags`. Layers must already be stored. Returns the stored record.
   */
  async addImage(img: NewImage): Promise<ImageRecord> {
    return (await this.addImages([img]))[0]!;
  }

  /** addImage for several images with one index.json write: all of them or none. */
  async addImages(imgs: NewImage[]): Promise<ImageRecord[]> {
    const prepared: Prepared[] = [];
    for (const img of imgs) prepared.push(await this.writeDocuments(img));
    // An image is listed only once what it holds is durable.
    await this.sync();
    const now = new Date().toISOString();
    return this.withLock(async () => {
      // Checked under the lock: an rmi or prune may have taken a blob we reused.
      for (const p of prepared) {
        for (const d of [p.manifest, p.config])
          if (!(await this.blobs.has(d.digest)))
            throw new StoreError('BLOB_MISSING', `blob ${d.digest} is not in the store`, {
              digest: d.digest,
            });
        for (const d of p.img.layers)
          if (!(await this.hasLayer(d.digest)))
            throw new StoreError('BLOB_MISSING', `layer ${d.digest} is not in the store`, {
              digest: d.digest,
            });
      }
      let entries = (await readIndex(this.root)).manifests;
      for (const { img, manifest, refs } of prepared) {
        const existing = entries.find((d) => d.digest === manifest.digest);
        const base: Record<string, string> = {
          ...baseAnnotations(existing),
          [ADDED_ANNOTATION]: existing?.annotations?.[ADDED_ANNOTATION] ?? now,
          ...(img.parent ? { [PARENT_ANNOTATION]: img.parent } : {}),
        };
        if (!existing && refs.length === 0)
          entries = [...entries, { ...manifest, annotations: base }];
        for (const ref of refs) entries = pointTag(entries, ref, manifest, base, now);
        entries = addRepoDigests(
          entries,
          manifest.digest,
          (img.repoDigests ?? []).map(canonicalDigestRef),
        );
      }
      await writeIndex(this.root, entries);
      const all = await this.list(entries);
      return prepared.map((p) => all.find((i) => i.manifest.digest === p.manifest.digest)!);
    });
  }

  /** The config and manifest blobs of a new image; index.json is not touched. */
  private async writeDocuments(img: NewImage): Promise<Prepared> {
    const configBytes =
      img.config instanceof Uint8Array ? img.config : Buffer.from(JSON.stringify(img.config));
    const refs = (img.tags ?? []).map(canonicalTag);
    for (const layer of img.layers)
      if (!(await this.hasLayer(layer.digest)))
        throw new StoreError('BLOB_MISSING', `layer ${layer.digest} is not in the store`, {
          digest: layer.digest,
        });
    const { digest, size } = await this.blobs.putBytes(configBytes, { what: 'image config' });
    const config: Descriptor = { mediaType: MediaType.ociConfig, digest, size };
    const doc: Manifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config,
      layers: img.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      ...(img.annotations ? { annotations: img.annotations } : {}),
    };
    const stored = await this.blobs.putBytes(Buffer.from(JSON.stringify(doc)), {
      what: 'image manifest',
    });
    const manifest: Descriptor = {
      mediaType: MediaType.ociManifest,
      digest: stored.digest,
      size: stored.size,
    };
    return { img, config, manifest, refs };
  }

  /**
   * Record that a registry serves `image` as `repoDigest` (`host/repo@sha256:…`):
   * a push's. An image no longer listed (an rmi raced the push) records nothing.
   */
  async addRepoDigest(image: ImageRecord, repoDigest: string): Promise<void> {
    const ref = canonicalDigestRef(repoDigest);
    await this.withLock(async () => {
      const before = (await readIndex(this.root)).manifests;
      if (!before.some((d) => d.digest === image.manifest.digest)) return;
      await writeIndex(this.root, addRepoDigests(before, image.manifest.digest, [ref]));
    });
  }

  /** `tsbuild tag SRC DST`: point DST at the image SRC names. */
  async tag(source: string, target: string): Promise<ImageRecord> {
    const ref = canonicalTag(target);
    return this.withLock(async () => {
      const before = (await readIndex(this.root)).manifests;
      const image = found(findImage(await this.list(before), source), source);
      const base = baseAnnotations(before.find((d) => d.digest === image.manifest.digest));
      const after = pointTag(before, ref, image.manifest, base, new Date().toISOString());
      await writeIndex(this.root, after);
      return found(findImage(await this.list(after), ref), ref);
    });
  }

  /**
   * Find an image the way `docker image inspect` does: a full or short image ID
   * (`sha256:` optional), else a reference (`app` means `docker.io/library/app:latest`),
   * else an ID prefix. An ambiguous prefix is an error, as in Docker.
   */
  async resolve(name: string): Promise<ImageRecord> {
    return found(findImage(await this.images(), name), name);
  }
}

/** `image`, or Docker's "No such image" for `name`. */
export function found(image: ImageRecord | undefined, name: string): ImageRecord {
  if (!image) throw new StoreError('NO_SUCH_IMAGE', `No such image: ${name}`, { name });
  return image;
}

/** The compressed blobs kept for a layer. */
function twins(info: LayerInfo | undefined): string[] {
  return [info?.gzip?.digest, info?.zstd?.digest].filter((d): d is string => d !== undefined);
}
