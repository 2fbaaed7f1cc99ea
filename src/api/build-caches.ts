/**
 * A build's `--cache-from` and `--cache-to`: the caches read before the build
 * (registry, local directory, images and their inline caches) and the ones
 * written after it. The registry side is loaded only when a cache names one.
 */
import type { StepOutcome } from '../build/stage.js';
import type { StageBase } from '../dockerfile/stage.js';
import type { StageGraph } from '../dockerfile/stages.js';
import type { BuildEvent } from '../build/events.js';
import { TsbuildError } from '../errors.js';
import type { Descriptor, ImageConfig } from '../image/types.js';
import type { Store } from '../store/store.js';
import type { BuildRequest } from './build-types.js';
import type { CacheSource } from './cache-records.js';
import { parseCacheSpec, type CacheSpec } from './cache-spec.js';
import type { IngestSession } from './ingest.js';

type Emit = (e: BuildEvent) => void;
interface RegistryOpts {
  env?: NodeJS.ProcessEnv;
  insecureRegistries?: string[];
  signal?: AbortSignal;
}

export interface OpenedCaches {
  /** Where this build's cache goes, after it. */
  to: CacheSpec[];
  /** Record-keyed caches, asked in this order on a local miss. */
  sources: CacheSource[];
  /** `--cache-from IMAGE`: matched by history, Docker classic's way (classicMatch). */
  images: { config: ImageConfig; layers: Descriptor[] }[];
}

/**
 * Parse both flags (a bad one fails the build before anything runs) and read
 * the caches. A cache that cannot be read is a warning, as in BuildKit.
 *
 * `--cache-from IMAGE`: an image the store has is used as it is (Docker's
 * classic builder looks nowhere else); any other is pulled (BuildKit's way).
 * Its inline cache, when it has one of ours, is a record source like the
 * others, so COPY and ADD hit too; its history serves the steps the records
 * do not cover (an image built without inline cache).
 */
export async function openCaches(
  store: Store,
  session: IngestSession,
  req: BuildRequest,
  registry: RegistryOpts,
  emit: Emit,
): Promise<OpenedCaches> {
  const cwd = req.cwd ?? process.cwd();
  const to = (typeof req.cacheTo === 'string' ? [req.cacheTo] : (req.cacheTo ?? [])).map((c) =>
    parseCacheSpec(c, '--cache-to', cwd),
  );
  if (truthy(req.buildArgs?.BUILDKIT_INLINE_CACHE) && !to.some((c) => c.type === 'inline'))
    to.push({ type: 'inline' });
  for (const c of to)
    if (c.type === 'inline' && c.mode === 'max')
      emit({
        type: 'warning',
        message:
          '--cache-to type=inline supports mode=min only (the image carries its own layers): use type=registry or type=local for mode=max',
      });
  const from = (req.cacheFrom ?? []).map((c) => parseCacheSpec(c, '--cache-from', cwd));
  const out: OpenedCaches = { to, sources: [], images: [] };
  if (req.noCache || from.length === 0) return out;

  const imageRecords: { ref: string; id: string }[] = [];
  const registrySpecs: Extract<CacheSpec, { type: 'registry' }>[] = [];
  for (const spec of from) {
    if (spec.type === 'local') {
      const { importLocalCache } = await import('./cache-local.js');
      const r = await importLocalCache(store, session, spec, (message) =>
        emit({ type: 'warning', message }),
      );
      if ('source' in r) out.sources.push(r.source);
      else emit({ type: 'warning', message: r.warning });
    } else if (spec.type === 'registry') {
      const local = await store.resolve(spec.ref).catch(() => undefined);
      if (local) imageRecords.push({ ref: spec.ref, id: local.id });
      else registrySpecs.push(spec);
    }
  }
  if (registrySpecs.length > 0) {
    const { importCache } = await import('./cache-registry.js');
    const shared = await importCache(store, session, registrySpecs, registry);
    out.sources.push(...shared.sources);
    for (const message of shared.warnings) emit({ type: 'warning', message });
    for (const ref of shared.images) {
      const { pullInto } = await import('./pull.js');
      const pulled = await pullInto(store, {
        reference: ref,
        ...registry,
        onEvent: (e) =>
          emit({ type: 'pull', ref, ...(e.id ? { id: e.id } : {}), status: e.status }),
      }).catch((e: unknown) => {
        if (!(e instanceof TsbuildError) || req.signal?.aborted) throw e;
        emit({ type: 'warning', message: `--cache-from ${ref}: ${e.message}` });
        return undefined;
      });
      if (pulled) imageRecords.push({ ref, id: pulled.id });
    }
  }
  const { inlineSource } = await import('./cache-inline.js');
  for (const { ref, id } of imageRecords) {
    const record = await store.resolve(id);
    const config = await store.config(record);
    out.images.push({ config, layers: (await store.manifest(record)).layers });
    const inline = inlineSource(store, config, ref);
    if (inline) out.sources.push(inline);
  }
  return out;
}

/** The keys each mode exports: min, the image's steps (its stage and those it is FROM); max, all. */
export function cacheExports(
  graph: StageGraph,
  steps: StepOutcome[],
  to: CacheSpec[],
): { min: string[]; max: string[] } {
  if (to.length === 0) return { min: [], max: [] };
  const lineage = new Set<number>();
  for (let i: number | undefined = graph.target; i !== undefined;) {
    lineage.add(i);
    const from: StageBase = graph.stages[i]!.base;
    i = from.kind === 'stage' ? from.index : undefined;
  }
  return {
    min: steps.filter((s) => lineage.has(s.stage)).map((s) => s.key),
    max: steps.map((s) => s.key),
  };
}

/** Write the registry and local caches (inline went into the image already). */
export async function exportCaches(
  store: Store,
  to: CacheSpec[],
  keys: { min: string[]; max: string[] },
  registry: RegistryOpts,
  emit: Emit,
): Promise<void> {
  for (const spec of to) {
    if (spec.type === 'inline') continue;
    const exported = spec.mode === 'max' ? keys.max : keys.min;
    const where = spec.type === 'registry' ? spec.ref : spec.dir;
    try {
      const r =
        spec.type === 'registry'
          ? await (await import('./cache-registry.js')).exportCache(store, exported, spec, registry)
          : await (await import('./cache-local.js')).exportLocalCache(store, exported, spec);
      emit({ type: 'push', ref: where, status: `cache: ${r.records} records exported` });
    } catch (e) {
      // ignore-error=true: BuildKit's, a failed export is a warning and the build stands.
      if (!spec.ignoreError || !(e instanceof TsbuildError)) throw e;
      const said = e.code === 'CACHE_EXPORT'; // the local exporter names DIR itself
      emit({
        type: 'warning',
        message: said ? e.message : `exporting cache to ${where}: ${e.message}`,
      });
    }
  }
}

/** A build arg meant as a switch, as BuildKit reads one (strconv.ParseBool). */
export function truthy(v: string | undefined): boolean {
  return v !== undefined && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v);
}
