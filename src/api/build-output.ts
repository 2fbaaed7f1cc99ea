/**
 * The end of a build: `--label`s, `--squash`, the image stored and tagged, and the
 * `--output`s other than the store (an archive like `save` writes, or the flattened
 * filesystem as a directory or a tar).
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BuildDeps } from '../build/deps.js';
import { configBytes, type StageState } from '../build/state.js';
import { changeInSnapshot } from '../build/effects/snapshot.js';
import { epochTime } from '../build/epoch.js';
import { TsbuildError, failingAs } from '../errors.js';
import type { Descriptor, ImageConfig } from '../image/types.js';
import { applyLayer } from '../layer/apply.js';
import { tarDirectory } from '../layer/writer.js';
import { canonicalTag } from '../store/names.js';
import type { ImageAnnotations } from './build-annotations.js';
import type { BuildRequest, BuildResult } from './build-types.js';
import { withInlineCache } from './cache-inline.js';
import type { ExportedRecord } from './cache-records.js';
import type { SaveRequest } from './save.js';

type Finished = Omit<BuildResult, 'steps' | 'warnings'>;

export interface BaseCounts {
  layers: number;
  history: number;
}

export async function finishImage(
  deps: BuildDeps,
  state: StageState,
  req: BuildRequest,
  /** How many layers and history entries are the base image's: --squash keeps those. */
  base: BaseCounts,
  {
    inlineCache,
    attest,
    annotations,
  }: {
    /** `--cache-to type=inline`: the records to put in the config (cache-inline.ts). */
    inlineCache?: ExportedRecord[] | undefined;
    /** The provenance statement for an image manifest, when `--provenance` asks for one. */
    attest?: SaveRequest['attest'];
    /** `--annotation`s, for the archive outputs (push applies its own). */
    annotations?: ImageAnnotations | undefined;
  } = {},
): Promise<Finished & { storeDigest: string }> {
  const { store } = deps;
  let config = state.config;
  let layers = state.layers;
  if (req.labels && Object.keys(req.labels).length > 0) {
    const inner = config.config ?? {};
    config = {
      ...config,
      config: { ...inner, Labels: { ...(inner.Labels ?? {}), ...req.labels } },
    };
  }
  if (req.squash) ({ config, layers } = await squash(deps, config, layers, base));
  config = clampCreated(config, deps.sourceDateEpoch);
  if (inlineCache) config = withInlineCache(config, inlineCache);
  const outputs = req.outputs ?? [{ type: 'image' as const }];
  // The image always lands in the store (its layers are the cache); tags too, so an
  // archive output names it as `save` would.
  const record = await store.addImage({
    config: configBytes(config),
    layers,
    tags: req.tags ?? [],
  });
  // The manifest the outputs hold: the store's, or with --annotation the one
  // an archive output wrote (BuildKit's containerimage.digest is the exporter's).
  let descriptor: Finished['descriptor'] = {
    mediaType: record.manifest.mediaType,
    digest: record.manifest.digest,
    size: record.manifest.size,
    ...(annotations && Object.keys(annotations.descriptor).length > 0
      ? { annotations: { ...annotations.descriptor } }
      : {}),
  };
  for (const o of outputs) {
    if (o.type === 'image') continue;
    if (o.type === 'local')
      await flattenTo(deps, layers, resolve(req.cwd ?? process.cwd(), o.dest));
    else if (o.type === 'tar') await flattenTar(deps, layers, o.dest, req);
    else
      descriptor = await saveArchive(req, record.id, o.dest, {
        attest: o.type === 'oci' ? attest : undefined,
        annotations,
      });
  }
  return {
    id: record.id,
    digest: descriptor.digest,
    descriptor,
    storeDigest: record.manifest.digest,
    // The names this build was asked for, as docker prints them; not every tag the image has.
    tags: (req.tags ?? []).map(canonicalTag),
  };
}

/**
 * With SOURCE_DATE_EPOCH, an image `created` after the epoch is the epoch, as
 * BuildKit's exporter clamps it (patchImageConfig): what a bare `FROM base`
 * gives, whose `created` is the base's, since no step of the build set it. An
 * older time is kept, and so is the base's history (its entries are the base's).
 * @example
 *   clampCreated({ created: '2026-12-06T19:55:16Z', … }, 1700000000).created; // '2023-11-14T22:13:20Z'
 */
export function clampCreated(config: ImageConfig, epoch: number | undefined): ImageConfig {
  if (epoch === undefined || config.created === undefined) return config;
  return Date.parse(config.created) > epoch * 1000
    ? { ...config, created: epochTime(epoch) }
    : config;
}

/**
 * `--squash`: the build's own layers as one, on top of the base image's layers.
 * History is kept; of the build's own entries, all but the last with a layer are
 * marked empty (the base image's entries are left as they are).
 */
async function squash(
  deps: BuildDeps,
  config: ImageConfig,
  layers: Descriptor[],
  base: BaseCounts,
): Promise<{ config: ImageConfig; layers: Descriptor[] }> {
  const kept = layers.slice(0, base.layers);
  const own = layers.slice(base.layers);
  if (own.length <= 1) return { config, layers };
  const one = await changeInSnapshot(deps, kept, 'squash', async (rootfs) => {
    for (const l of own)
      await applyLayer(rootfs, await deps.store.openLayer(l.digest), { whiteouts: 'apply' });
  });
  const newLayers = one ? [...kept, one] : kept;
  const history = (config.history ?? []).map((h) => ({ ...h }));
  const ours = history.slice(base.history);
  const last = one ? ours.findLastIndex((h) => !h.empty_layer) : -1;
  ours.forEach((h, i) => {
    if (i !== last) h.empty_layer = true;
  });
  return {
    config: {
      ...config,
      history,
      rootfs: { type: 'layers', diff_ids: newLayers.map((l) => l.digest) },
    },
    layers: newLayers,
  };
}

/** `--output type=local,dest=DIR`: the image's filesystem, every layer applied in order. */
async function flattenTo(deps: BuildDeps, layers: Descriptor[], dest: string): Promise<void> {
  await failingAs({ writing: "the image's filesystem", within: dest }, async () => {
    await mkdir(dest, { recursive: true });
    for (const l of layers)
      await applyLayer(dest, await deps.store.openLayer(l.digest), { whiteouts: 'apply' });
  });
}

/** `--output type=tar,dest=FILE|-`: the flattened filesystem as one tar. */
async function flattenTar(
  deps: BuildDeps,
  layers: Descriptor[],
  dest: string,
  req: BuildRequest,
): Promise<void> {
  const dir = await failingAs({ writing: "the image's filesystem", to: deps.workRoot }, () =>
    mkdtemp(join(deps.workRoot, 'flat-')),
  );
  try {
    await flattenTo(deps, layers, dir);
    // With SOURCE_DATE_EPOCH every entry has that time, as BuildKit's tar exporter writes.
    const epoch = deps.sourceDateEpoch;
    await failingAs({ writing: "the image's filesystem as a tar", to: shown(dest) }, () =>
      pipeline(
        tarDirectory(dir, epoch === undefined ? {} : { mtime: epoch }),
        outputStream(dest, req),
      ),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `--output type=oci|docker,dest=FILE|-`: the archive `tsbuild save` writes (OCI
 * layout + docker-archive); for `oci` with `--provenance`, index.json names an
 * index with the attestation, as BuildKit's oci exporter (its docker exporter,
 * like Docker's default store, carries none). With the build's annotations,
 * which BuildKit's docker exporter keeps too (the manifest blob and index.json
 * of its tarball). Resolves to the descriptor index.json names the image by.
 */
async function saveArchive(
  req: BuildRequest,
  id: string,
  dest: string,
  { attest, annotations }: Pick<SaveRequest, 'attest' | 'annotations'>,
): Promise<Finished['descriptor']> {
  // Canonical (`app` → `docker.io/library/app:latest`): the tags built, not every tag of the repository.
  const names = req.tags && req.tags.length > 0 ? req.tags.map(canonicalTag) : [id];
  // Loaded here: a build without such an output need not compile save and tar-stream.
  const { save } = await import('./save.js');
  const written = await save({
    root: req.root,
    env: req.env,
    images: names,
    output: outputStream(dest, req),
    outputName: shown(dest),
    ...(attest ? { attest } : {}),
    ...(annotations ? { annotations } : {}),
  });
  return written.find((w) => w.id === id)!.descriptor;
}

function shown(dest: string): string {
  return dest === '-' ? 'standard output' : dest;
}

function outputStream(dest: string, req: BuildRequest): NodeJS.WritableStream {
  if (dest === '-') return process.stdout;
  if (!dest)
    throw new TsbuildError('OUTPUT', '--output needs dest=FILE (or dest=- for standard output)');
  return createWriteStream(resolve(req.cwd ?? process.cwd(), dest));
}
