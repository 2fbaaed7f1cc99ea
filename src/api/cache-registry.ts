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
import type { IngestSession } from './ingest.js';
import { clientFor, layerSource } from './pull.js';

export const CACHE_CONFIG_TYPE = 'application/vnd.tsbuild.cache.v1+json';

export interface CacheSpec {
  type: 'registry';
  ref: string;
  mode?: 'min' | 'max';
}

interface ExportedRecord {
  key: string;
  /** When the step ran: its config's `created` and its history entry's. */
  created: string;
  layer?: { diffID: string; blob: Descriptor };
}

interface CacheConfig {
  tsbuildCache: 1;
  records: ExportedRecord[];
}

export interface RegistryOptions {
  env?: NodeJS.ProcessEnv;
  insecureRegistries?: string[];
  signal?: AbortSignal;
}

/** `type=registry,ref=host/repo:tag,mode=max` → a CacheSpec; a bare reference means type=registry. */
export function parseCacheSpec(text: string, flag: string): CacheSpec {
  const fields = new Map<string, string>();
  if (!text.includes('=')) fields.set('ref', text);
  else
    for (const part of text.split(',')) {
      const eq = part.indexOf('=');
      if (eq < 0)
        throw new TsbuildError(
          'USAGE',
          `${flag} ${text}: ${JSON.stringify(part)} is not key=value`,
        );
      fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
  const type = fields.get('type') ?? 'registry';
  if (type !== 'registry')
    throw new TsbuildError('USAGE', `${flag} ${text}: only type=registry is supported`);
  const ref = fields.get('ref');
  if (!ref) throw new TsbuildError('USAGE', `${flag} ${text}: ref= is required`);
  parseReference(ref);
  const mode = fields.get('mode');
  if (mode !== undefined && mode !== 'min' && mode !== 'max')
    throw new TsbuildError('USAGE', `${flag} ${text}: mode is min or max`);
  return { type: 'registry', ref, ...(mode ? { mode } : {}) };
}

/** Export the records of `keys` (in build order) to `spec.ref`. */
export async function exportCache(
  store: Store,
  keys: string[],
  spec: CacheSpec,
  opts: RegistryOptions,
): Promise<{ digest: string; records: number }> {
  const ref = parseReference(spec.ref);
  const client = clientFor(ref, opts);
  try {
    const records: ExportedRecord[] = [];
    const blobs = new Map<string, Descriptor>();
    for (const key of new Set(keys)) {
      const record = await store.cache.get(key);
      if (!record) continue;
      const out: ExportedRecord = { key, created: record.created };
      if (record.layer) {
        const blob = await store.compressedLayer(record.layer.digest, 'gzip');
        if (!blobs.has(blob.digest)) {
          if ((await client.headBlob(ref.path, blob.digest)) === undefined)
            await client.uploadBlob(ref.path, blob.digest, blob.size, () =>
              store.blobs.open(blob.digest),
            );
          blobs.set(blob.digest, blob);
        }
        out.layer = { diffID: record.layer.digest, blob };
      }
      records.push(out);
    }
    const configBytes = Buffer.from(
      JSON.stringify({ tsbuildCache: 1, records } satisfies CacheConfig),
    );
    const configDesc: Descriptor = {
      mediaType: CACHE_CONFIG_TYPE,
      digest: sha256(configBytes),
      size: configBytes.length,
    };
    if ((await client.headBlob(ref.path, configDesc.digest)) === undefined)
      await client.uploadBlob(ref.path, configDesc.digest, configBytes.length, () =>
        Readable.from([configBytes]),
      );
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: configDesc,
      layers: [...blobs.values()],
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    await client.putManifest(ref.path, ref.tag ?? 'latest', bytes, MediaType.ociManifest);
    return { digest: sha256(bytes), records: records.length };
  } finally {
    await client.close();
  }
}

/**
 * The records at `spec.ref`, as a function the build asks on a local miss: the
 * step's layer (pulled into the store) and time, from which the build makes the
 * step's config and its local record, or undefined. A cache ref that does not
 * exist yet is an empty cache, as BuildKit treats it; one that names an image is
 * listed in `images`, for classicMatch.
 */
export async function importCache(
  store: Store,
  session: IngestSession,
  specs: CacheSpec[],
  opts: RegistryOptions,
): Promise<{
  lookup: (key: string) => Promise<{ layer?: Descriptor; created: string } | undefined>;
  /** The refs that named images, not caches: Docker classic's --cache-from IMAGE. */
  images: string[];
  /** Caches that could not be read; the build goes on without them. */
  warnings: string[];
  close: () => Promise<void>;
}> {
  const sources: {
    ref: Reference;
    client: RegistryClient;
    records: Map<string, ExportedRecord>;
  }[] = [];
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
    if (records) sources.push({ ref, client, records });
    else {
      if (records === undefined) images.push(spec.ref);
      await client.close();
    }
  }
  const lookup = async (
    key: string,
  ): Promise<{ layer?: Descriptor; created: string } | undefined> => {
    for (const { ref, client, records } of sources) {
      const r = records.get(key);
      if (!r || typeof r.created !== 'string') continue;
      if (!r.layer) return { created: r.created };
      const { diffID, blob } = r.layer;
      const have = await store.layerDescriptor(diffID);
      if (have) return { layer: have, created: r.created };
      const layer = await session.putLayer(client.blobStream(ref.path, blob.digest), 'gzip', {
        diffID,
        blobDigest: blob.digest,
        source: `cache ${formatReference(ref)}: layer ${blob.digest}`,
      });
      // Downloaded and checked against the diff ID: a pairing a push may trust.
      await store.addLayerSource(diffID, layerSource(ref, blob));
      return { layer, created: r.created };
    }
    return undefined;
  };
  return {
    lookup,
    images,
    warnings,
    close: async () => {
      for (const s of sources) await s.client.close();
    },
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
  const config = JSON.parse(bytes.toString('utf8')) as CacheConfig;
  const out = new Map<string, ExportedRecord>();
  // Only a layer and a time are taken from a record; the step's config is made here.
  for (const r of config.records ?? []) out.set(r.key, r);
  return out;
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
