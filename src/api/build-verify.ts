/**
 * `build --verify`: the target built a second time, without the cache, and the
 * two images compared — the check a reproducible-builds rebuilder makes, done
 * on the spot. The rebuild runs in a scratch store of its own under the store's
 * tmp/ (a `build-*` dir with an owner, so a killed verify is swept like a killed
 * build), seeded with the very images the build started from, and is removed
 * after: the store gains no image, tag, layer or cache record from it.
 *
 *   RUN date +%s%N > /t, SOURCE_DATE_EPOCH=0  →  not reproducible:
 *     layer of step 3 (Dockerfile:3 RUN date +%s%N > /t): t: content differs
 */
import { join } from 'node:path';
import type { BuildEvent } from '../build/events.js';
import type { ConfigDifference, LayerDifference, VerifyReport } from '../build/verify-report.js';
import { TsbuildError } from '../errors.js';
import { diffConfig } from '../image/config-diff.js';
import { diffEntries, layerEntries, type EntryFacts } from '../layer/entry-diff.js';
import { removeSnapshotDir } from '../runtime/snapshot/stale.js';
import { Store } from '../store/store.js';
import type { BaseImages } from './build-bases.js';
import { makeWorkDir } from './build-sweep.js';
import { parseCacheSpec } from './cache-spec.js';
import type { BuildRequest, Built, StepResult } from './build-types.js';
import { IngestSession } from './ingest.js';
import { openStore } from './store.js';

type BuildOnce = (req: BuildRequest, images: BaseImages) => Promise<Built>;

/** Refuse, before anything is built, what cannot be built twice. */
export function checkVerifiable(req: BuildRequest): void {
  if (req.context === '-' || req.dockerfile === '-')
    throw new TsbuildError(
      'USAGE',
      '--verify cannot rebuild from standard input (it is read once): give a directory, a file or a URL',
    );
}

/**
 * Rebuild `req`'s target without the cache from the images `used` names (as
 * the build resolved them) and compare the result with `first`.
 */
export async function verifyBuild(
  req: BuildRequest,
  first: Built,
  used: ReadonlyMap<string, string>,
  buildOnce: BuildOnce,
): Promise<VerifyReport> {
  const emit = req.onEvent ?? (() => undefined);
  const store = await openStore(req);
  const tmp = join(store.root, 'tmp');
  const dir = await makeWorkDir(tmp, "--verify's scratch store");
  try {
    const scratch = await Store.open(join(dir, 'store'));
    emit({ type: 'verify', status: 'copying the base images into a scratch store' });
    const pinned = await copyImages(store, scratch, used);
    emit({ type: 'verify', status: 'building again without the cache' });
    const second = await buildOnce(rebuildRequest(req, scratch.root, emit), {
      pinned,
      used: new Map(),
    });
    emit({ type: 'verify', status: 'comparing the two images' });
    const report = await compare({ store, built: first }, { store: scratch, built: second });
    emit({ type: 'verify', status: verifySummary(report), report });
    return report;
  } finally {
    // The rebuild's own work dir is gone already; a mount left under it is unmounted first.
    await removeSnapshotDir(dir).catch(() => undefined);
  }
}

/**
 * The same build into the scratch store: no cache, nothing out of it (tags,
 * outputs, push, provenance, cache export but an inline one), no failed
 * container kept. Its steps show as
 * `verify` lines; its other events would repeat the build's.
 */
function rebuildRequest(
  req: BuildRequest,
  root: string,
  emit: (e: BuildEvent) => void,
): BuildRequest {
  const {
    tags: _tags,
    outputs: _outputs,
    push: _push,
    cacheFrom: _cacheFrom,
    cacheTo,
    pull: _pull,
    provenance: _provenance,
    explainCache: _explain,
    verify: _verify,
    stdin: _stdin,
    onEvent: _onEvent,
    ...same
  } = req;
  // An inline cache is part of the image (its config): the rebuild writes one too.
  const inline = (typeof cacheTo === 'string' ? [cacheTo] : (cacheTo ?? [])).filter(
    (c) => parseCacheSpec(c, '--cache-to', req.cwd ?? process.cwd()).type === 'inline',
  );
  return {
    ...same,
    ...(inline.length > 0 ? { cacheTo: inline } : {}),
    root,
    noCache: true,
    keepFailed: false,
    onEvent: (e) => {
      if (e.type === 'step' && !e.onbuild) emit({ type: 'verify', status: `rebuild: ${e.text}` });
    },
  };
}

/**
 * The images the build started from, into the scratch store under their IDs
 * (layers streamed across, configs byte for byte): reference → image ID.
 */
async function copyImages(
  from: Store,
  to: Store,
  used: ReadonlyMap<string, string>,
): Promise<Map<string, string>> {
  const session = new IngestSession(to);
  const copied = new Set<string>();
  for (const id of new Set(used.values())) {
    const record = await from.resolve(id);
    const { layers } = await from.manifest(record);
    for (const l of layers)
      if (!(await to.hasLayer(l.digest)))
        await session.putTar(await from.openLayer(l.digest), `base image ${id}`, {
          diffID: l.digest,
          what: `layer ${l.digest} of base image ${id}`,
        });
    await to.addImage({ config: await from.blobs.read(id), layers });
    copied.add(id);
  }
  return new Map([...used].filter(([, id]) => copied.has(id)));
}

interface Side {
  store: Store;
  built: Built;
}

async function compare(a: Side, b: Side): Promise<VerifyReport> {
  const ra = a.built.result;
  const rb = b.built.result;
  const [configA, configB] = await Promise.all([
    a.store.blobs.readJson<unknown>(ra.id),
    b.store.blobs.readJson<unknown>(rb.id),
  ]);
  const config: ConfigDifference[] = diffConfig(configA, configB);
  const layers: LayerDifference[] = [];
  const idsA = await diffIds(a.store, ra.id);
  const idsB = await diffIds(b.store, rb.id);
  for (const pair of pairLayers(a.built, idsA, b.built, idsB)) {
    if (pair.first === pair.rebuilt) continue;
    const files = diffEntries(
      await entries(a.store, pair.first),
      await entries(b.store, pair.rebuilt),
    );
    layers.push({ ...pair, files });
  }
  const da = a.built.storeDigest;
  const db = b.built.storeDigest;
  return {
    reproducible: ra.id === rb.id && da === db,
    id: ra.id,
    digest: da,
    rebuilt: { id: rb.id, digest: db },
    config,
    layers,
  };
}

async function diffIds(store: Store, id: string): Promise<string[]> {
  const config = await store.blobs.readJson<{ rootfs?: { diff_ids?: string[] } }>(id);
  return config.rootfs?.diff_ids ?? [];
}

type Pair = Omit<LayerDifference, 'files'>;

/**
 * The layers to compare: the base's by position; the build's own by the step
 * that made them (a step may make a layer in one build and none in the
 * other); under --squash, whose one layer no single step made, by position.
 */
function pairLayers(a: Built, idsA: string[], b: Built, idsB: string[]): Pair[] {
  const stepwise =
    sameList(
      idsA.slice(a.baseLayers),
      a.layerSteps.map((s) => s.layer!),
    ) &&
    sameList(
      idsB.slice(b.baseLayers),
      b.layerSteps.map((s) => s.layer!),
    ) &&
    a.baseLayers === b.baseLayers;
  const out: Pair[] = [];
  const upTo = stepwise ? a.baseLayers : Math.max(idsA.length, idsB.length);
  for (let i = 0; i < upTo; i++)
    out.push({
      index: i,
      made: i < Math.min(a.baseLayers, b.baseLayers) ? 'base' : 'squash',
      ...opt('first', idsA[i]),
      ...opt('rebuilt', idsB[i]),
    });
  if (!stepwise) return out;
  const byStep = new Map<number, { a?: StepResult; b?: StepResult }>();
  for (const s of a.layerSteps) byStep.set(s.step, { a: s });
  for (const s of b.layerSteps) byStep.set(s.step, { ...byStep.get(s.step), b: s });
  for (const [, { a: sa, b: sb }] of [...byStep].sort(([x], [y]) => x - y)) {
    const s = (sa ?? sb)!;
    const index = sa ? a.baseLayers + a.layerSteps.indexOf(sa) : undefined;
    out.push({
      step: { stage: s.stage, step: s.step, text: s.text, file: s.file, line: s.line },
      ...(index === undefined ? {} : { index }),
      ...opt('first', sa?.layer),
      ...opt('rebuilt', sb?.layer),
    });
  }
  return out;
}

function opt<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

function sameList(x: string[], y: string[]): boolean {
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** A layer's entries, or none for a layer one side does not have. */
async function entries(store: Store, diffID: string | undefined): Promise<Map<string, EntryFacts>> {
  if (diffID === undefined) return new Map();
  return layerEntries(await store.openLayer(diffID));
}

/** One line: `reproducible: sha256:…`, or what differs, counted. */
export function verifySummary(r: VerifyReport): string {
  if (r.reproducible) return `reproducible: ${r.id}`;
  const files = r.layers.reduce((n, l) => n + l.files.length, 0);
  return (
    `not reproducible: ${r.id} built again is ${r.rebuilt.id}: ` +
    `${r.layers.length} layer${r.layers.length === 1 ? '' : 's'} (${files} file${files === 1 ? '' : 's'}) ` +
    `and ${r.config.length} config field${r.config.length === 1 ? '' : 's'} differ`
  );
}
