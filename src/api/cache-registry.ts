/**
 * A build cache shared through a registry: `--cache-to type=registry,ref=R`
 * and `--cache-from type=registry,ref=R`.
 *
 * The export is an OCI artifact at R: a manifest whose config
 * (`application/vnd.tsbuild.cache.v1+json`) lists, per step, its cache key,
 * when it ran, and its layer (diff ID and the gzip blob that holds it), and
 * whose layers are those blobs, so the registry keeps them. `mode=min` exports
 * the steps of the image built (its stage and the stages it is FROM);
 * `mode=max` every step of every stage.
 *
 * No image config goes out: a step's config holds its history, and a RUN's
 * history holds its build args' values, so a builder stage's secrets would
 * travel with the cache. Nor is one taken in: the importing build makes the
 * step's config itself from the layer and the time, exactly as the exporting
 * machine did (same parent, same instruction), so the bytes and the image ID
 * come out the same, and a tampered cache can hand over a layer that does not
 * fit (its digests are checked) but never a USER or an ENTRYPOINT.
 *
 * The import reads the list before the build; a step whose key is in it and
 * not in the local cache gets the layer pulled (checked against both digests);
 * only the layers of steps that hit are pulled, and no RUN of theirs runs.
 */
import { TsbuildError } from '../errors.js';
import { MediaType, type Descriptor, type ImageConfig, type Manifest } from '../image/types.js';
import { formatReference, parseReference, type Reference } from '../image/reference.js';
import type { RegistryClient } from '../registry/client.js';
import type { Store } from '../store/store.js';
import { sha256 } from '../util/digest.js';
import { Readable } from 'node:stream';
import {
  CACHE_CONFIG_TYPE,
  cacheManifest,
  collectRecords,
  parseRecords,
  type CacheSource,
  type ExportedRecord,
} from './cache-records.js';
import type { CacheSpec } from './cache-spec.js';
import type { IngestSession } from './ingest.js';
import { clientFor, layerSource } from './pull.js';

type RegistrySpec = Extract<CacheSpec, { type: 'registry' }>;

export interface RegistryOptions {
  env?: NodeJS.ProcessEnv;
  insecureRegistries?: string[];
  signal?: AbortSignal;
}

/** Export the records of `keys` (in build order) to `spec.ref`. */
export async function exportCache(
  store: Store,
  keys: string[],
  spec: RegistrySpec,
  opts: RegistryOptions,
): Promise<{ digest: string; records: number }> {
  const ref = parseReference(spec.ref);
  const client = clientFor(ref, opts);
  try {
    const { records, blobs } = await collectRecords(store, keys, true);
    for (const blob of blobs)
      if ((await client.headBlob(ref.path, blob.digest)) === undefined)
        await client.uploadBlob(ref.path, blob.digest, blob.size, () =>
          store.blobs.open(blob.digest),
        );
    const { config, configDesc, manifest } = cacheManifest(records, blobs);
    if ((await client.headBlob(ref.path, configDesc.digest)) === undefined)
      await client.uploadBlob(ref.path, configDesc.digest, config.length, () =>
        Readable.from([config]),
      );
    await client.putManifest(ref.path, ref.tag ?? 'latest', manifest, MediaType.ociManifest);
    return { digest: sha256(manifest), records: records.length };
  } finally {
    await client.close();
  }
}

/**
 * The caches at `specs`, as sources the build asks on a local miss (a record's
 * layer is pulled into the store, checked against both digests, only when its
 * step hits). A cache ref that does not exist yet is an empty cache, as
 * BuildKit treats it; one that names an image is listed in `images`, for
 * classicMatch and its inline cache.
 */
export async function importCache(
  store: Store,
  session: IngestSession,
  specs: RegistrySpec[],
  opts: RegistryOptions,
): Promise<{
  sources: CacheSource[];
  /** The refs that named images, not caches: Docker classic's --cache-from IMAGE. */
  images: string[];
  /** Caches that could not be read; the build goes on without them. */
  warnings: string[];
}> {
  const sources: CacheSource[] = [];
  const images: string[] = [];
  const warnings: string[] = [];
  for (const spec of specs) {
    const ref = parseReference(spec.ref);
    const client = clientFor(ref, opts);
    // A cache is best effort, as in BuildKit: one that cannot be read is a warning.
    const records = await readRecords(client, ref).catch((e: unknown) => {
      if (!(e instanceof TsbuildError) || opts.signal?.aborted) throw e;
      warnings.push(`importing cache manifest from ${spec.ref}: ${e.message}`);
      return null;
    });
    if (records) sources.push(registrySource(store, session, client, ref, records));
    else {
      if (records === undefined) images.push(spec.ref);
      await client.close();
    }
  }
  return { sources, images, warnings };
}

function registrySource(
  store: Store,
  session: IngestSession,
  client: RegistryClient,
  ref: Reference,
  records: Map<string, ExportedRecord>,
): CacheSource {
  return {
    records,
    layer: async (r) => {
      const { diffID, blob } = r.layer!;
      const have = await store.layerDescriptor(diffID);
      if (have) return have;
      const layer = await session.putLayer(client.blobStream(ref.path, blob!.digest), 'gzip', {
        diffID,
        blobDigest: blob!.digest,
        source: `cache ${formatReference(ref)}: layer ${blob!.digest}`,
      });
      // Downloaded and checked against the diff ID: a pairing a push may trust.
      await store.addLayerSource(diffID, layerSource(ref, blob!));
      return layer;
    },
    close: () => client.close(),
  };
}

/** The records at `ref`; undefined when `ref` is an image rather than a cache. */
async function readRecords(
  client: RegistryClient,
  ref: Reference,
): Promise<Map<string, ExportedRecord> | undefined> {
  let manifest: Manifest;
  try {
    const m = await client.getManifest(ref.path, ref.digest ?? ref.tag ?? 'latest');
    manifest = JSON.parse(m.bytes.toString('utf8')) as Manifest;
  } catch (e) {
    if (e instanceof TsbuildError && e.code === 'REGISTRY_NOT_FOUND') return new Map();
    throw e;
  }
  if (manifest.config?.mediaType !== CACHE_CONFIG_TYPE) return undefined;
  const chunks: Buffer[] = [];
  for await (const c of client.blobStream(ref.path, manifest.config.digest))
    chunks.push(c as Buffer);
  const bytes = Buffer.concat(chunks);
  if (sha256(bytes) !== manifest.config.digest)
    throw new TsbuildError(
      'DIGEST_MISMATCH',
      `${formatReference(ref)}: the cache config does not match its digest`,
    );
  // Only a layer and a time are taken from a record; the step's config is made here.
  return parseRecords(bytes, formatReference(ref), true);
}

/**
 * Docker classic's `--cache-from IMAGE`: a step reuses the layer `image` has
 * where the build is, when the image's history and layers begin exactly as the
 * state's, and its next history entry is the step's. COPY and ADD never match:
 * BuildKit-style history (`COPY a /b # buildkit`) does not say what was copied,
 * so a changed file would pass for the cached one.
 */
export function classicMatch(
  image: { config: ImageConfig; layers: Descriptor[] },
  state: { config: ImageConfig; layers: Descriptor[] },
  history: string | undefined,
  kind: 'run' | 'copy' | 'mkdir' | undefined,
): { layer?: Descriptor } | undefined {
  if (history === undefined || kind === 'copy') return undefined;
  const theirs = image.config.history ?? [];
  const ours = state.config.history ?? [];
  const n = ours.length;
  if (theirs.length <= n || image.layers.length < state.layers.length) return undefined;
  for (let i = 0; i < n; i++)
    if (
      theirs[i]!.created_by !== ours[i]!.created_by ||
      !theirs[i]!.empty_layer !== !ours[i]!.empty_layer
    )
      return undefined;
  for (let i = 0; i < state.layers.length; i++)
    if (image.layers[i]!.digest !== state.layers[i]!.digest) return undefined;
  const next = theirs[n]!;
  if (next.created_by !== history) return undefined;
  if (next.empty_layer) return {};
  const layer = image.layers[state.layers.length];
  return layer ? { layer } : undefined;
}
