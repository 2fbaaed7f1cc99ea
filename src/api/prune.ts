/** `prune` and `cache du`: what the store can give back, and giving it back. */
import { join } from 'node:path';
import { prune as pruneStore, type PruneResult } from '../store/prune.js';
import { sweepStaleBuilds } from './build-sweep.js';
import { familiarEvents } from './tag.js';
import { UsageError } from '../errors.js';
import { openStore, type StoreOptions } from './store.js';

export interface PruneRequest extends StoreOptions {
  /** Remove every build cache record, not only those whose layer no image holds. */
  all?: boolean;
  /**
   * `until=<timestamp|duration>`: only what is older than that; `type=exec.cachemount`:
   * only RUN --mount=type=cache directories, `type=regular`: only cache records (docker
   * builder prune's names).
   */
  filters?: string[];
}

/**
 * Remove dangling images, unused cache records and unreferenced blobs.
 * @example
 *   const { reclaimed } = await prune({ filters: ['until=24h'] });
 */
export async function prune(req: PruneRequest = {}): Promise<PruneResult> {
  const store = await openStore(req);
  let until: number | undefined;
  let only: 'regular' | 'exec.cachemount' | undefined;
  for (const f of req.filters ?? []) {
    const [key, value] = [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)];
    if (key === 'type' && (value === 'regular' || value === 'exec.cachemount')) only = value;
    else if (key === 'until' && f.indexOf('=') >= 0) until = parseUntil(value);
    else
      throw new UsageError(
        `invalid filter '${f}' (prune takes until=, type=regular, type=exec.cachemount)`,
      );
  }
  // Dead builds' work dirs first: they may hold mounts, which the store cannot undo.
  await sweepStaleBuilds(join(store.root, 'tmp'));
  const result = await pruneStore(store, { all: req.all, until, ...(only ? { only } : {}) });
  return { ...result, images: familiarEvents(result.images) };
}

/** Docker's `until`: a Go duration (`24h`, `1h30m`, `10m`) back from now, or a timestamp. */
export function parseUntil(value: string, now = Date.now()): number {
  const units: Record<string, number> = {
    h: 3_600_000,
    m: 60_000,
    s: 1000,
    ms: 1,
    us: 1e-3,
    µs: 1e-3,
    ns: 1e-6,
  };
  if (/^(\d+(\.\d+)?(h|ms|m|s|us|µs|ns))+$/.test(value)) {
    let ms = 0;
    for (const [, n, unit] of value.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g))
      ms += Number(n) * units[unit!]!;
    return now - ms;
  }
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new UsageError(
      `invalid until value ${JSON.stringify(value)}: not a duration or timestamp`,
    );
  return t;
}

export interface CacheUsage {
  /** A cache record's key, or a cache mount's directory name. */
  key: string;
  /** `regular`: a step's record; `exec.cachemount`: a RUN --mount=type=cache directory. */
  type: 'regular' | 'exec.cachemount';
  /** A cache mount's id. */
  description?: string;
  /** A cache mount a step holds right now. */
  inUse?: boolean;
  reclaimable: boolean;
  /** Layer bytes (when only this record holds the layer) plus the record's own file. */
  size: number;
  lastUsed: string;
  /** The layer the record points at. */
  layer: string | undefined;
}

/**
 * The build cache, record by record, as `docker builder du` shows it.
 * @example
 *   const usage = await cacheUsage(); usage.filter((u) => u.reclaimable);
 */
export async function cacheUsage(req: StoreOptions = {}): Promise<CacheUsage[]> {
  const store = await openStore(req);
  const held = await store.held();
  const out: CacheUsage[] = [];
  for (const { record, metaSize } of await store.cache.list()) {
    const layer = record.layer?.digest;
    const inImage = layer !== undefined && held.has(layer);
    const kept = layer && !inImage ? await store.layerBytes(layer) : undefined;
    const layerSize = kept?.size ?? 0;
    out.push({
      key: record.key,
      type: 'regular',
      // A record of the old format (it names a config) is a miss for every build: prune takes it.
      reclaimable: !inImage || record.config !== undefined,
      size: layerSize + metaSize,
      lastUsed: record.lastUsed,
      layer,
    });
  }
  for (const m of await store.cacheMounts.list())
    out.push({
      key: m.key,
      type: 'exec.cachemount',
      description: m.id,
      inUse: m.inUse,
      reclaimable: !m.inUse,
      size: m.size,
      lastUsed: m.lastUsed,
      layer: undefined,
    });
  return out.sort((a, b) => (a.lastUsed < b.lastUsed ? 1 : -1));
}
