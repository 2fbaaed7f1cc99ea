/**
 * `push`: an image from the store to a registry, as `docker push` does it.
 * Each layer, in parallel: when the store knows the registry has it (pulled
 * from or pushed to that repository) and a HEAD confirms it, `Layer already
 * exists`; when another repository of the same registry has it, a
 * cross-repository mount (`Mounted from …`); else it is gzip-compressed
 * (deterministically, once, and kept) and uploaded, in one PUT or, for a large
 * layer, in chunks. Then the config, then the manifest: Docker's schema 2
 * (OCI's when a layer is zstd, or when it carries annotations), whose digest is
 * what `digest:` prints. With an attestation (`attest`), the tag names an OCI
 * index of the image and its attestation manifest instead, and `digest:` is the
 * index's.
 */
import { Readable } from 'node:stream';
import { TsbuildError } from '../errors.js';
import { attestedIndex } from '../image/attestation.js';
import { MediaType, type Descriptor, type ImageConfig, type Manifest } from '../image/types.js';
import {
  formatReference,
  parseReference,
  usesDefaultTag,
  type Reference,
} from '../image/reference.js';
import type { RegistryClient } from '../registry/client.js';
import type { LayerSource } from '../store/layers.js';
import type { Store } from '../store/store.js';
import { abortable } from '../util/abort.js';
import { sha256, shortDigest } from '../util/digest.js';
import { clientFor, layerSource } from './pull.js';
import type { ImageAnnotations } from './build-annotations.js';
import { openStore, type StoreOptions } from './store.js';
import { eachConcurrently } from '../util/concurrent.js';

export interface PushRequest extends StoreOptions {
  /** The image's name in the store, which says where it goes: `127.0.0.1:5000/app:1`. */
  reference: string;
  insecureRegistries?: string[];
  /** Aborting stops the push and rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Layers bigger than this go up in PATCHes of this size; default 32 MiB. */
  chunkSize?: number;
  onEvent?: (e: PushEvent) => void;
  /**
   * An in-toto statement to attach (`build --push --provenance`): the image goes
   * up as an OCI manifest by digest, then its attestation manifest, and the tag
   * names an OCI index of the two, as BuildKit pushes it (image/attestation.ts).
   */
  attest?: (manifest: Descriptor) => Promise<{ statement: Buffer; predicateType: string }>;
  /**
   * `build --push --annotation`: the manifest's own (Docker's schema 2 has no
   * such field, and some registries, GCR, refuse one that carries it, so the
   * manifest is then OCI's, as BuildKit writes it); with `attest`, also those
   * of the manifest's entry in the index and of the index. A single manifest
   * has no descriptor to carry `descriptor`'s.
   */
  annotations?: Pick<ImageAnnotations, 'manifest' | 'descriptor' | 'index'>;
}

export interface PushEvent {
  id?: string;
  status: string;
}

export interface PushResult {
  /** The digest the registry serves the manifest under (checked against its Docker-Content-Digest). */
  digest: string;
  /** The manifest's size in bytes. */
  size: number;
  /** The manifest's media type (Docker schema 2, or OCI when a layer is zstd); an OCI index with an attestation. */
  mediaType: string;
  reference: string;
}

/** Uploads at once, as dockerd's default max-concurrent-uploads (5). */
const PARALLEL = 5;
const CHUNK = 32 << 20;

/**
 * @example
 *   const r = await push({ reference: '127.0.0.1:5000/app:1' });
 *   r.digest; // 'sha256:…' (the manifest's)
 */
export function push(req: PushRequest): Promise<PushResult> {
  return abortable(req.signal, async () => {
    const store = await openStore(req);
    // docker's CLI says so before anything else (a bad name is refused first).
    parseReference(req.reference);
    if (usesDefaultTag(req.reference)) req.onEvent?.({ status: 'Using default tag: latest' });
    return pushFrom(store, req);
  });
}

export async function pushFrom(store: Store, req: PushRequest): Promise<PushResult> {
  const ref = parseReference(req.reference);
  const emit = req.onEvent ?? (() => undefined);
  const image = await store.resolve(req.reference);
  const local = await store.manifest(image);
  const configBytes = await store.blobs.read(local.config.digest);
  const client = clientFor(ref, req);
  try {
    emit({
      status: `The push refers to repository [${formatReference({ ...ref, tag: undefined, digest: undefined })}]`,
    });
    const layers: Descriptor[] = new Array(local.layers.length);
    // Docker lists the layers top first.
    for (const l of [...local.layers].reverse())
      emit({ id: shortDigest(l.digest), status: 'Preparing' });
    await eachConcurrently(layers.length, PARALLEL, async (i) => {
      layers[i] = await pushLayer(store, client, ref, local.layers[i]!.digest, req, emit);
    });
    const config: Descriptor = {
      mediaType: MediaType.dockerConfig,
      digest: local.config.digest,
      size: configBytes.length,
    };
    if ((await client.headBlob(ref.path, config.digest)) === undefined)
      await client.uploadBlob(ref.path, config.digest, configBytes.length, () =>
        bufferStream(configBytes),
      );
    const annotated = Object.keys(req.annotations?.manifest ?? {}).length > 0;
    // An attestation needs an index, and BuildKit's index is OCI, so is the image's manifest then.
    const oci =
      annotated ||
      req.attest !== undefined ||
      layers.some((l) => l.mediaType === MediaType.ociLayerZstd);
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: oci ? MediaType.ociManifest : MediaType.dockerManifest,
      config: oci ? ociOrder({ ...config, mediaType: MediaType.ociConfig }) : dockerOrder(config),
      layers: layers.map((l) =>
        oci
          ? ociOrder({ ...l, mediaType: ociType(l.mediaType) })
          : dockerOrder({ ...l, mediaType: dockerType(l.mediaType) }),
      ),
      ...(annotated ? { annotations: { ...req.annotations!.manifest } } : {}),
    };
    // docker push's indent for its own manifests; BuildKit's (MarshalIndent "  ") with an index.
    let bytes: Buffer = Buffer.from(JSON.stringify(manifest, null, req.attest ? 2 : 3));
    let mediaType = manifest.mediaType!;
    const tag = ref.tag ?? 'latest';
    const put = async (where: string, b: Buffer, type: string) => {
      const digest = await client.putManifest(ref.path, where, b, type);
      const ours = sha256(b);
      if (digest && digest !== ours)
        throw new TsbuildError(
          'DIGEST_MISMATCH',
          `${formatReference(ref)}: the registry stored the manifest as ${digest}, not ${ours}`,
        );
    };
    if (req.attest) {
      const image = { mediaType, digest: sha256(bytes), size: bytes.length };
      await put(image.digest, bytes, mediaType);
      const c = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
      const platform = {
        architecture: c.architecture,
        os: c.os,
        ...(c.variant ? { variant: c.variant } : {}),
      };
      const { statement, predicateType } = await req.attest(image);
      const described = req.annotations?.descriptor ?? {};
      const attested = attestedIndex(
        {
          ...image,
          ...(Object.keys(described).length > 0 ? { annotations: described } : {}),
          platform,
        },
        statement,
        predicateType,
        req.annotations?.index,
      );
      for (const b of attested.blobs.slice(1))
        if ((await client.headBlob(ref.path, b.descriptor.digest)) === undefined)
          await client.uploadBlob(ref.path, b.descriptor.digest, b.bytes.length, () =>
            bufferStream(b.bytes),
          );
      const a = attested.attestation;
      await put(a.descriptor.digest, a.bytes, a.descriptor.mediaType);
      bytes = attested.index.bytes;
      mediaType = attested.index.descriptor.mediaType;
    }
    await put(tag, bytes, mediaType);
    const ours = sha256(bytes);
    await store.addRepoDigest(image, formatReference({ ...ref, tag: undefined, digest: ours }));
    // Where each layer now is (addLayerSource) is durable before push reports
    // success, not left for the next command to sync.
    await store.sync();
    emit({ status: `${tag}: digest: ${ours} size: ${bytes.length}` });
    return {
      digest: ours,
      size: bytes.length,
      mediaType,
      reference: formatReference(ref),
    };
  } finally {
    await client.close();
  }
}

/** One layer to the registry; returns the descriptor the manifest lists. */
async function pushLayer(
  store: Store,
  client: RegistryClient,
  ref: Reference,
  diffID: string,
  req: PushRequest,
  emit: (e: PushEvent) => void,
): Promise<Descriptor> {
  const id = shortDigest(diffID);
  const known = ((await store.layers.get(diffID))?.sources ?? []).filter(
    (s) => s.registry === ref.domain,
  );
  const remember = (d: Descriptor) => store.addLayerSource(diffID, layerSource(ref, d));
  const asDescriptor = (s: LayerSource): Descriptor => ({
    mediaType: s.mediaType,
    digest: s.digest,
    size: s.size,
  });
  for (const s of known.filter((k) => k.repository === ref.path)) {
    if ((await client.headBlob(ref.path, s.digest)) !== undefined) {
      emit({ id, status: 'Layer already exists' });
      return asDescriptor(s);
    }
  }
  for (const s of known.filter((k) => k.repository !== ref.path)) {
    if (await client.mountBlob(ref.path, s.digest, s.repository)) {
      emit({ id, status: `Mounted from ${s.repository}` });
      await remember(asDescriptor(s));
      return asDescriptor(s);
    }
  }
  const gz = await store.compressedLayer(diffID, 'gzip');
  if ((await client.headBlob(ref.path, gz.digest)) !== undefined) {
    emit({ id, status: 'Layer already exists' });
  } else {
    emit({ id, status: 'Pushing' });
    const chunk = req.chunkSize ?? CHUNK;
    await client.uploadBlob(ref.path, gz.digest, gz.size, () => store.blobs.open(gz.digest), {
      ...(gz.size > chunk ? { chunk } : {}),
    });
    emit({ id, status: 'Pushed' });
  }
  await remember(gz);
  return gz;
}

/**
 * A descriptor with its fields in the order dockerd writes them (distribution's
 * Descriptor: mediaType, size, digest), so the manifest's bytes, and with them
 * its digest, are those `docker push` gives the same image.
 */
function dockerOrder(d: Descriptor): Descriptor {
  return { mediaType: d.mediaType, size: d.size, digest: d.digest };
}

/** ocispecs.Descriptor's field order: mediaType, digest, size (BuildKit's manifests). */
function ociOrder(d: Descriptor): Descriptor {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

/** A layer's OCI media type, for a layer received under Docker's. */
function ociType(mediaType: string): string {
  if (mediaType === MediaType.dockerLayerGzip) return MediaType.ociLayerGzip;
  if (mediaType === MediaType.dockerLayerForeignGzip) return MediaType.ociLayerNondistributableGzip;
  return mediaType;
}

function dockerType(mediaType: string): string {
  return mediaType === MediaType.ociLayerGzip ? MediaType.dockerLayerGzip : mediaType;
}

/** A fresh stream per attempt: uploadBlob may start over. */
function bufferStream(b: Buffer): Readable {
  return Readable.from([b]);
}
