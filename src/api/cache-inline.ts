/**
 * Inline cache: `--cache-to type=inline` (or `--build-arg BUILDKIT_INLINE_CACHE=1`,
 * as BuildKit) puts the cache records of the image's own steps in its config,
 * under the key BuildKit uses, `moby.buildkit.cache.v0`, as BuildKit writes it:
 * a JSON array, base64-encoded (Go's []byte). `--cache-from IMAGE` (pulled, or
 * in the store) then turns a miss into a hit for any step that has a record
 * there, RUN, COPY and ADD alike; the layer is the image's own.
 *
 * The records are tsbuild's (cache-records.ts: key, time, diff ID), not
 * BuildKit's: BuildKit reads this array as records that carry nothing it can
 * use, and tsbuild finds no key of its own among BuildKit's, so each ignores
 * the other's inline cache. Inline is min mode only, as in BuildKit: a step
 * whose layer is not in the image has nothing to give.
 */
import type { ImageConfig } from '../image/types.js';
import type { Store } from '../store/store.js';
import { parseRecords, type CacheSource, type ExportedRecord } from './cache-records.js';

export const INLINE_CACHE_KEY = 'moby.buildkit.cache.v0';

/**
 * `config` with `records` inline: those whose layer the image has (after --squash,
 * few do) and those without a layer. The order is the build's, so the same build
 * gives the same bytes and image ID.
 */
export function withInlineCache(config: ImageConfig, records: ExportedRecord[]): ImageConfig {
  const layers = new Set(config.rootfs.diff_ids);
  const kept = records.filter((r) => !r.layer || layers.has(r.layer.diffID));
  const data = Buffer.from(JSON.stringify(kept)).toString('base64');
  return { ...config, [INLINE_CACHE_KEY]: data };
}

/** The inline records of an image's config, as a source; undefined when it has none of ours. */
export function inlineSource(
  store: Store,
  config: ImageConfig,
  where: string,
): CacheSource | undefined {
  const data = config[INLINE_CACHE_KEY];
  if (typeof data !== 'string') return undefined;
  let records: Map<string, ExportedRecord>;
  try {
    records = parseRecords(Buffer.from(data, 'base64'), where, false);
  } catch {
    return undefined; // BuildKit's own records, or damaged: nothing of ours
  }
  // Only layers of this image count: a record naming another is not trusted.
  const own = new Set(config.rootfs.diff_ids);
  for (const [key, r] of records) if (r.layer && !own.has(r.layer.diffID)) records.delete(key);
  if (records.size === 0) return undefined;
  return { records, layer: (r) => store.layerDescriptor(r.layer.diffID) };
}
