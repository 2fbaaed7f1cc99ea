/**
 * The per-step record format every exported cache shares (registry, local
 * directory, inline in an image), and the one lookup the build asks on a local
 * miss, whatever the cache came from.
 *
 * A record is a step's cache key, when it ran, and its layer (diff ID, and the
 * compressed blob that carries it where the cache has its own blobs). Nothing
 * else: no image config travels (a step's config holds its history, and a
 * RUN's history its build args' values), and the importing build makes the
 * step's config itself from the layer and the time, as the exporting machine
 * did — same bytes, same image ID, and a tampered cache can hand over a layer
 * that does not fit (its digests are checked) but never a USER or an ENTRYPOINT.
 */
import { TsbuildError } from '../errors.js';
import { MediaType, type Descriptor, type Manifest } from '../image/types.js';
import type { Store } from '../store/store.js';
import { DIGEST_RE, sha256 } from '../util/digest.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export const CACHE_CONFIG_TYPE = 'application/vnd.tsbuild.cache.v1+json';

export interface ExportedRecord {
  key: string;
  /** When the step ran: its config's `created` and its history entry's. */
  created: string;
  /** `blob` is absent inline: the layer is the image's own. */
  layer?: { diffID: string; blob?: Descriptor };
}

interface CacheConfig {
  tsbuildCache: 1;
  records: ExportedRecord[];
}

/** What a lookup hands the build: the step's layer (in the store by then) and time. */
export type CacheHit = { layer?: Descriptor; created: string };

/** One cache read: its records, and how a record's layer gets into the store. */
export interface CacheSource {
  records: Map<string, ExportedRecord>;
  /** The layer, put in the store; undefined when this source cannot give it. */
  layer: (r: ExportedRecord & { layer: object }) => Promise<Descriptor | undefined>;
  close?: () => Promise<void>;
}

/** Ask each source in turn; the first that has the key and can give its layer answers. */
export function lookupIn(sources: CacheSource[]): (key: string) => Promise<CacheHit | undefined> {
  return async (key) => {
    for (const source of sources) {
      const r = source.records.get(key);
      if (!r) continue;
      if (!r.layer) return { created: r.created };
      const layer = await source.layer(r as ExportedRecord & { layer: object });
      if (layer) return { layer, created: r.created };
    }
    return undefined;
  };
}

/**
 * The store's records of `keys` (each once, in order), with their layers as
 * gzip blobs when `blobs` (made once and kept: the same layer always goes out
 * as the same blob).
 */
export async function collectRecords(
  store: Store,
  keys: string[],
  blobs: boolean,
): Promise<{ records: ExportedRecord[]; blobs: Descriptor[] }> {
  const records: ExportedRecord[] = [];
  const layers = new Map<string, Descriptor>();
  for (const key of new Set(keys)) {
    const record = await store.cache.get(key);
    if (!record) continue;
    const out: ExportedRecord = { key, created: record.created };
    if (record.layer) {
      const diffID = record.layer.digest;
      if (blobs) {
        const blob = await store.compressedLayer(diffID, 'gzip');
        layers.set(blob.digest, blob);
        out.layer = { diffID, blob };
      } else out.layer = { diffID };
    }
    records.push(out);
  }
  return { records, blobs: [...layers.values()] };
}

/** The OCI artifact a registry or a directory holds: the records as config, the blobs as layers. */
export function cacheManifest(
  records: ExportedRecord[],
  blobs: Descriptor[],
): { config: Buffer; configDesc: Descriptor; manifest: Buffer; manifestDesc: Descriptor } {
  const config = Buffer.from(JSON.stringify({ tsbuildCache: 1, records } satisfies CacheConfig));
  const configDesc: Descriptor = {
    mediaType: CACHE_CONFIG_TYPE,
    digest: sha256(config),
    size: config.length,
  };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: configDesc,
      layers: blobs,
    } satisfies Manifest),
  );
  const manifestDesc: Descriptor = {
    mediaType: MediaType.ociManifest,
    digest: sha256(manifest),
    size: manifest.length,
  };
  return { config, configDesc, manifest, manifestDesc };
}

/**
 * The records of a cache config's bytes (already checked against their digest),
 * keeping only well-formed ones: a record is input, and a bad one must not
 * reach a path or the store. `where` names the cache in the error.
 */
export function parseRecords(
  bytes: Buffer | string,
  where: string,
  needBlob: boolean,
): Map<string, ExportedRecord> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new TsbuildError('CACHE_INVALID', `${where}: the cache records are not JSON`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as Partial<CacheConfig> | null)?.records;
  const out = new Map<string, ExportedRecord>();
  for (const r of Array.isArray(list) ? (list as unknown[]) : []) {
    const rec = r as Partial<ExportedRecord> | null;
    if (!rec || typeof rec.key !== 'string' || !DIGEST_RE.test(rec.key)) continue;
    // It becomes the step's config `created` and history time: a real RFC 3339
    // time or the record is dropped, never a string of the cache's choosing.
    if (typeof rec.created !== 'string' || !RFC3339.test(rec.created)) continue;
    if (!Number.isFinite(Date.parse(rec.created))) continue;
    const layer = rec.layer;
    if (layer !== undefined) {
      if (typeof layer?.diffID !== 'string' || !DIGEST_RE.test(layer.diffID)) continue;
      const blob = layer.blob;
      if (needBlob && (typeof blob?.digest !== 'string' || !DIGEST_RE.test(blob.digest))) continue;
    }
    out.set(rec.key, rec as ExportedRecord);
  }
  return out;
}
