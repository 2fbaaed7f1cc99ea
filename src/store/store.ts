/**
 * The local image store: an OCI image layout (see layout.ts) plus a lock. Every
 * mutation re-reads index.json under the lock, writes the blobs it needs first
 * and index.json last, so a crash or a failed command leaves the store as it was
 * (at worst with unreferenced blobs, which `prune` removes).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { gzipStream, zstdStream } from '../layer/compress.js';
import { join } from 'node:path';
import {
  IMAGE_NAME_ANNOTATION,
  MediaType,
  REF_NAME_ANNOTATION,
  type Descriptor,
  type ImageConfig,
  type Manifest,
} from '../image/types.js';
import { formatReference, parseReference } from '../image/reference.js';
import { BlobStore } from './blobs.js';
import { CacheStore } from './cache.js';
import { LayerInfoStore, type LayerInfo } from './layers.js';
import { SnapshotStore } from './snapshots.js';
import { StoreError } from './errors.js';
import { withLock } from './lock.js';
import {
  ADDED_ANNOTATION,
  OCI_LAYOUT,
  PARENT_ANNOTATION,
  TAGGED_ANNOTATION,
  readIndex,
  refName,
  writeIndex,
} from './layout.js';
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
}

interface Prepared {
  img: NewImage;
  manifest: Descriptor;
  refs: string[];
}

export class Store {
  readonly blobs: BlobStore;
  readonly cache: CacheStore;
  readonly layers: LayerInfoStore;
  readonly snapshots: SnapshotStore;

  private constructor(readonly root: string) {
    this.blobs = new BlobStore(join(root, 'blobs', 'sha256'), join(root, 'tmp'));
    this.cache = new CacheStore(join(root, 'cache'));
    this.layers = new LayerInfoStore(join(root, 'layers'));
    this.snapshots = new SnapshotStore(join(root, 'snapshots'), join(root, 'tmp'), this.blobs);
  }

  /** Open (creating on first use) the store at `root`. */
  static async open(root: string): Promise<Store> {
    await mkdir(join(root, 'blobs', 'sha256'), { recursive: true });
    await mkdir(join(root, 'tmp'), { recursive: true });
    for (const dir of ['cache', 'layers']) await mkdir(join(root, dir), { recursive: true });
    if (!existsSync(join(root, 'oci-layout')))
      await writeFile(join(root, 'oci-layout'), OCI_LAYOUT);
    // An empty store is already a valid image layout for other tools.
    if (!existsSync(join(root, 'index.json'))) await writeIndex(root, []);
    return new Store(root);
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

  /** Every blob some listed image holds. */
  async held(): Promise<Set<string>> {
    const out = new Set<string>();
    for (const image of await this.images()) for (const d of await this.heldBy(image)) out.add(d);
    return out;
  }

  /**
   * A layer compressed, made the first time it is asked for and kept: the same
   * layer then always goes out as the same blob with the same digest.
   */
  async compressedLayer(diffID: string, kind: 'gzip' | 'zstd'): Promise<Descriptor> {
    const known = (await this.layers.get(diffID))?.[kind];
    if (known && (await this.blobs.has(known.digest))) return known;
    const codec = kind === 'gzip' ? gzipStream() : zstdStream();
    const compressing = pipeline(this.blobs.open(diffID), codec);
    const [info] = await Promise.all([this.blobs.put(codec), compressing]);
    const mediaType = kind === 'gzip' ? MediaType.ociLayerGzip : MediaType.ociLayerZstd;
    const desc = { mediaType, digest: info.digest, size: info.size };
    await this.layers.put({ diffID, [kind]: desc });
    return desc;
  }

  withLock<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(this.root, fn);
  }

  /** Every image, tagged or not, in the order they entered the store. */
  async images(): Promise<ImageRecord[]> {
    const index = await readIndex(this.root);
    return groupImages(index.manifests, (d) => this.manifestOf(d));
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
    const now = new Date().toISOString();
    await this.withLock(async () => {
      const index = await readIndex(this.root);
      let entries = index.manifests;
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
      }
      await writeIndex(this.root, entries);
    });
    const all = await this.images();
    return prepared.map((p) => all.find((i) => i.manifest.digest === p.manifest.digest)!);
  }

  /** The config and manifest blobs of a new image; index.json is not touched. */
  private async writeDocuments(img: NewImage): Promise<Prepared> {
    const configBytes =
      img.config instanceof Uint8Array ? img.config : Buffer.from(JSON.stringify(img.config));
    const refs = (img.tags ?? []).map(canonicalTag);
    for (const layer of img.layers)
      if (!(await this.blobs.has(layer.digest)))
        throw new StoreError('BLOB_MISSING', `layer ${layer.digest} is not in the store`);
    const config = await this.blobs.putBytes(configBytes);
    const doc: Manifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, ...config },
      layers: img.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      ...(img.annotations ? { annotations: img.annotations } : {}),
    };
    const bytes = Buffer.from(JSON.stringify(doc));
    const manifest: Descriptor = {
      mediaType: MediaType.ociManifest,
      ...(await this.blobs.putBytes(bytes)),
    };
    return { img, manifest, refs };
  }

  /** `tsbuild tag SRC DST`: point DST at the image SRC names. */
  async tag(source: string, target: string): Promise<ImageRecord> {
    const ref = canonicalTag(target);
    await this.withLock(async () => {
      const image = await this.resolve(source);
      const index = await readIndex(this.root);
      const first = index.manifests.find((d) => d.digest === image.manifest.digest);
      const base = baseAnnotations(first);
      await writeIndex(
        this.root,
        pointTag(index.manifests, ref, image.manifest, base, new Date().toISOString()),
      );
    });
    return this.resolve(ref);
  }

  /**
   * Find an image the way `docker image inspect` does: a full or short image ID
   * (`sha256:` optional), else a reference (`app` means `docker.io/library/app:latest`),
   * else an ID prefix. An ambiguous prefix is an error, as in Docker.
   */
  async resolve(name: string): Promise<ImageRecord> {
    const images = await this.images();
    const found = findImage(images, name);
    if (!found) throw new StoreError('NO_SUCH_IMAGE', `No such image: ${name}`, { name });
    return found;
  }

  private async manifestOf(d: Descriptor): Promise<Manifest> {
    return this.blobs.readJson<Manifest>(d.digest);
  }
}

/** Docker's normalisation, as a tag reference (`app` → `docker.io/library/app:latest`). */
export function canonicalTag(name: string): string {
  const ref = parseReference(name);
  if (ref.digest !== undefined && ref.tag === undefined)
    throw new StoreError('BAD_TAG', `refusing to create a tag with a digest reference: ${name}`);
  return formatReference({ ...ref, digest: undefined });
}

/** index.json entries with `ref` moved onto `manifest` (and an untagged twin dropped). */
function pointTag(
  entries: Descriptor[],
  ref: string,
  manifest: Descriptor,
  base: Record<string, string>,
  now: string,
): Descriptor[] {
  const kept = entries.filter(
    (d) => refName(d) !== ref && !(d.digest === manifest.digest && refName(d) === undefined),
  );
  const annotations = {
    ...base,
    [REF_NAME_ANNOTATION]: ref,
    [IMAGE_NAME_ANNOTATION]: ref,
    [TAGGED_ANNOTATION]: now,
  };
  const out = [
    ...kept,
    { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size, annotations },
  ];
  // The image that lost `ref` must stay listed, untagged, if it has no other entry.
  const lost = entries.find((d) => refName(d) === ref && d.digest !== manifest.digest);
  if (lost && !out.some((d) => d.digest === lost.digest))
    out.push({
      mediaType: lost.mediaType,
      digest: lost.digest,
      size: lost.size,
      annotations: baseAnnotations(lost),
    });
  return out;
}

export function baseAnnotations(d: Descriptor | undefined): Record<string, string> {
  const a = d?.annotations ?? {};
  const out: Record<string, string> = {};
  if (a[ADDED_ANNOTATION]) out[ADDED_ANNOTATION] = a[ADDED_ANNOTATION];
  if (a[PARENT_ANNOTATION]) out[PARENT_ANNOTATION] = a[PARENT_ANNOTATION];
  return out;
}

function findImage(images: ImageRecord[], name: string): ImageRecord | undefined {
  const hex = name.startsWith('sha256:') ? name.slice(7) : name;
  if (/^[a-f0-9]{64}$/.test(hex)) {
    const byId = images.find((i) => i.id === `sha256:${hex}`);
    if (byId) return byId;
  }
  if (!name.startsWith('sha256:')) {
    let canonical: string | undefined;
    let digest: string | undefined;
    try {
      const ref = parseReference(name);
      canonical =
        ref.tag !== undefined ? formatReference({ ...ref, digest: undefined }) : undefined;
      digest = ref.digest;
    } catch {
      canonical = undefined;
    }
    const byRef = images.find(
      (i) =>
        (digest === undefined && canonical !== undefined && i.tags.includes(canonical)) ||
        (digest !== undefined &&
          (i.manifest.digest === digest || i.repoDigests.some((r) => r.endsWith(`@${digest}`)))),
    );
    if (byRef) return byRef;
  }
  if (/^[a-f0-9]+$/.test(hex)) {
    const matches = images.filter((i) => i.id.startsWith(`sha256:${hex}`));
    if (matches.length > 1)
      throw new StoreError(
        'AMBIGUOUS_ID',
        `ambiguous image ID ${name}: it matches ${matches.length} images`,
        {
          name,
        },
      );
    return matches[0];
  }
  return undefined;
}

/** The compressed blobs kept for a layer. */
function twins(info: LayerInfo | undefined): string[] {
  return [info?.gzip?.digest, info?.zstd?.digest].filter((d): d is string => d !== undefined);
}
