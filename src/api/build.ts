/**
 * `build`: a Dockerfile and its context in, an image in the store out — what
 * `docker build` does, as a function. Events stream through `onEvent` (or
 * `buildEvents()` as an async iterable); the result says what each step did.
 *
 * A failed build leaves the store consistent: every step that finished before the
 * failure stays cached (its layer stored, its record written), nothing is
 * tagged, and the build's temporary directories are removed.
 */
import { join, resolve } from 'node:path';
import { buildStages, stepNumbers } from '../build/scheduler.js';
import { lineageOf } from '../build/explain.js';
import type { BuildDeps } from '../build/deps.js';
import type { BuildEvent } from '../build/events.js';
import type { BuildContext } from '../context/open.js';
import { FileHasher } from '../context/statcache.js';
import { lintDockerfile, type CheckWarning } from '../dockerfile/lint/index.js';
import { parseDockerfile } from '../dockerfile/parse.js';
import { formatPlatform, hostPlatform } from '../dockerfile/scope.js';
import type { StageGraph } from '../dockerfile/stages.js';
import type { StageBase } from '../dockerfile/stage.js';
import { DockerfileError, TsbuildError } from '../errors.js';
import { openNetwork, type SandboxNetwork } from '../runtime/network/index.js';
import { pickRunner } from '../runtime/run/pick.js';
import type { RunNetwork } from '../runtime/run/runner.js';
import { pickSnapshotter } from '../runtime/snapshot/index.js';
import { removeSnapshotDir } from '../runtime/snapshot/stale.js';
import { abortable } from '../util/abort.js';
import { digestHex, sha256 } from '../util/digest.js';
import type { BuildRequest, BuildResult, Built } from './build-types.js';
import { resolveBases, type BaseImages } from './build-bases.js';
import {
  openGit,
  openNamedContexts,
  openRequestContext,
  type OpenedContexts,
} from './build-contexts.js';
import { finishImage } from './build-output.js';
import { makeWorkDir, sweepStaleBuilds } from './build-sweep.js';
import { IngestSession } from './ingest.js';
import { openStore } from './store.js';
import { buildSecrets } from './build-secrets.js';
import { buildEpoch, sameEpoch, withEpochArg } from './build-epoch.js';
import { runSettings } from './build-run-settings.js';
import { cacheExports, exportCaches, openCaches } from './build-caches.js';
import { collectRecords, lookupIn } from './cache-records.js';
import { provenanceAttester } from './build-provenance.js';
import { resolveAnnotations } from './build-annotations.js';
import { noCacheStages } from './build-no-cache.js';

export type { BuildRequest, BuildResult, BuildEvent };

/**
 * The registry side (undici and the OCI client: most of the CLI's code) is loaded
 * only by a build that pulls, pushes or shares a cache: a warm local rebuild
 * spends a tenth of a second compiling it otherwise.
 */
const cacheRegistry = () => import('./cache-registry.js');

/**
 * Build an image.
 * @example
 *   const r = await build({ context: 'examples/hello', tags: ['hello'], onEvent: (e) => console.log(e) });
 *   r.id;    // 'sha256:…' (the image ID)
 *   r.steps; // [{ step: 2, text: 'COPY hello.txt /', cached: true, … }, …]
 *
 * Aborting `signal` stops the build (a running RUN is killed, finished steps stay
 * cached, the work dir is removed) and then rejects with `signal.reason`.
 */
export function build(request: BuildRequest): Promise<BuildResult> {
  return abortable(request.signal, () => buildImage(request));
}

async function buildImage(request: BuildRequest): Promise<BuildResult> {
  if (!request.verify) return (await buildOnce(request, { used: new Map() })).result;
  const { checkVerifiable, verifyBuild } = await import('./build-verify.js');
  checkVerifiable(request);
  const images: BaseImages = { used: new Map() };
  const first = await buildOnce(request, images);
  const verify = await verifyBuild(request, first, images.used, buildOnce);
  return { ...first.result, verify };
}

/** One build; `images` pins or records the images it starts from (build-bases.ts). */
async function buildOnce(request: BuildRequest, images: BaseImages): Promise<Built> {
  const startedOn = new Date();
  const req = withEpochArg(request);
  const platform = checkPlatform(req.platform);
  const settings = runSettings(req);
  // Refused before anything is built, where BuildKit refuses at export.
  // An index exists only to carry an attestation (--provenance).
  const annotations = resolveAnnotations(req.annotations, platform, {
    index: req.provenance !== undefined,
  });
  if (req.noCache && req.noCacheFilter && req.noCacheFilter.length > 0)
    throw new TsbuildError(
      'USAGE',
      '--no-cache and --no-cache-filter cannot currently be used together',
    );
  if (req.push && (req.tags ?? []).length === 0)
    throw new TsbuildError('USAGE', '--push needs a name to push to: give one with -t');
  const secrets = buildSecrets(
    req.secrets,
    req.ssh,
    req.env ?? process.env,
    req.cwd ?? process.cwd(),
  );
  const store = await openStore(req);
  const emit = req.onEvent ?? (() => undefined);
  await sweepStaleBuilds(join(store.root, 'tmp'));
  const work = await makeWorkDir(join(store.root, 'tmp'));
  let context: BuildContext | undefined;
  let named: OpenedContexts | undefined;
  try {
    context = await openRequestContext(req, store, work);
    const { name: file, text } = context.dockerfile;
    emit({ type: 'definition', file, bytes: Buffer.byteLength(text) });
    named = await openNamedContexts(store, req, work, emit, images);
    const df = parseDockerfile(context.dockerfile.text, { file: context.dockerfile.name });
    const bases = await resolveBases({
      store,
      df,
      file: context.dockerfile.name,
      req,
      emit,
      contexts: named.contexts,
      platform,
      images,
    });
    const { graph } = bases;
    const sourceDateEpoch = buildEpoch(req, graph);
    // BuildKit's checks, over the stages this build needs; with error=true they
    // fail the build once all are reported, before any step runs.
    const checks = lintDockerfile(df, graph, {
      ...(req.buildArgs ? { buildArgs: req.buildArgs } : {}),
      platform,
      ignored: (src) => context!.ignore.excludesSource(src),
      extra: bases.platformFindings(graph.order),
    });
    emitPlan(graph, checks.warnings, emit);
    if (checks.error) throw checks.error.attachSource(df.lines);
    // A tar or stdin context is extracted afresh each time: nothing to remember.
    // (`<id>.json` files are the stat cache's first format, no longer read.)
    const local = !context.dir.startsWith(work);
    const hasher = await FileHasher.open(
      local ? join(store.root, 'context-cache', `${contextId(context, req)}.bin`) : undefined,
    );
    const session = new IngestSession(store);
    const registry = {
      ...(req.env ? { env: req.env } : {}),
      ...(req.insecureRegistries ? { insecureRegistries: req.insecureRegistries } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
    };
    const caches = await openCaches(store, session, req, registry, emit);
    // The default network's namespace, once a step needs it; closed when the build ends.
    let network: SandboxNetwork | undefined;
    const deps: BuildDeps = {
      store,
      runner: once(() => pickRunner(req.runtime ?? 'auto')),
      snapshotter: once(async () => {
        const picked = await pickSnapshotter('auto', { workRoot: work });
        // Correct but slow (a full copy of the parent per step): say so once.
        if (picked.kind === 'copy')
          emit({
            type: 'warning',
            message: `overlayfs is not available for ${store.root}: every RUN and COPY copies its parent filesystem (slow)`,
          });
        return picked;
      }),
      workRoot: work,
      logDir: join(store.root, 'logs'),
      putLayer: (tar, source, summary) =>
        session.putTar(tar, source, { summary, what: `layer of ${source}` }),
      emit,
      ...(caches.sources.length > 0 ? { remoteCache: lookupIn(caches.sources) } : {}),
      ...(caches.images.length > 0
        ? {
            imageCache: async (state, plan) => {
              const { classicMatch } = await cacheRegistry();
              for (const image of caches.images) {
                const hit = classicMatch(image, state, plan.history, plan.effect?.kind);
                if (hit && sameEpoch(image, state, sourceDateEpoch)) return hit;
              }
              return undefined;
            },
          }
        : {}),
      signal: req.signal ?? new AbortController().signal,
      noCache: req.noCache ?? false,
      ...(req.noCacheFilter && req.noCacheFilter.length > 0
        ? { noCacheStages: noCacheStages(graph, req.noCacheFilter, emit) }
        : {}),
      keepFailed: req.keepFailed ?? true,
      explain: req.explainCache ?? false,
      // Which Dockerfile this is, for --explain-cache: the context (a directory by its
      // absolute path, a URL or tar as given) and the file's name in it.
      lineage: lineageOf(
        local ? resolve(req.cwd ?? process.cwd(), context.dir) : req.context,
        context.dockerfile.path ?? context.dockerfile.name,
      ),
      network: req.network ?? 'default',
      ...(settings ? { runSettings: settings } : {}),
      sandboxNetwork: once(async (): Promise<RunNetwork> => {
        const net = await openNetwork(join(work, 'net'));
        network = net;
        emit({ type: 'network', mode: net.kind, message: `RUN network: ${net.description}` });
        if (net.netns === undefined) return 'host';
        return { netns: net.netns, ...(net.nameservers ? { nameservers: net.nameservers } : {}) };
      }),
      context,
      hasher,
      platform,
      gitTree: (url, keepGitDir) => openGit(store, req, url, keepGitDir),
      secret: (id) => secrets.secret(id),
      sshAgent: (id) => secrets.sshAgent(id),
      ...(sourceDateEpoch === undefined ? {} : { sourceDateEpoch }),
    };
    try {
      const { state, steps } = await buildStages(graph, deps, {
        jobs: req.jobs ?? 2,
        baseState: (i) => bases.startState(i, deps),
        imageState: async (ref) => bases.imageState(ref),
        namedContext: (ref) => bases.namedContext(ref),
      }).catch((e: unknown) => {
        // A step's error points at its line: show that line under it.
        if (e instanceof DockerfileError && e.span.file === context!.dockerfile.name)
          e.attachSource(df.lines);
        throw e;
      });
      const attest = req.provenance
        ? provenanceAttester({
            req,
            options: req.provenance,
            startedOn,
            context,
            extracted: !local,
            graph,
            images: bases.readImages(),
            platform,
            store,
          })
        : undefined;
      if (req.provenance && !req.push && !req.outputs?.some((o) => o.type === 'oci'))
        emit({
          type: 'warning',
          message:
            'provenance is attached to pushed images and --output type=oci only: this build has neither, so none is written',
        });
      const exports = cacheExports(graph, steps, caches.to);
      const inline = caches.to.some((c) => c.type === 'inline')
        ? (await collectRecords(store, exports.min, false)).records
        : undefined;
      const counts = await bases.counts(deps);
      // The store's manifest: a push, or an annotated archive, replaces `out.digest`.
      const finished = await finishImage(deps, state, req, counts, {
        inlineCache: inline,
        attest,
        annotations,
      });
      const { storeDigest, ...finishedOut } = finished;
      let out = finishedOut;
      await exportCaches(store, caches.to, exports, registry, emit);
      const chain = lineage(graph);
      if (req.push) {
        const { pushFrom } = await import('./push.js');
        for (const tag of out.tags) {
          const pushed = await pushFrom(store, {
            reference: tag,
            ...registry,
            ...(attest ? { attest } : {}),
            ...(annotations ? { annotations } : {}),
            onEvent: (e) =>
              emit({ type: 'push', ref: tag, ...(e.id ? { id: e.id } : {}), status: e.status }),
          });
          // What the registry serves (layers compressed), not the store's own manifest:
          // a pipeline deploys by this digest. buildx records one digest for all names.
          if (tag === out.tags[0]) {
            const { mediaType, digest, size } = pushed;
            // BuildKit's descriptor of an index carries the index-descriptor annotations.
            const described = attest
              ? nonEmpty(annotations?.indexDescriptor)
              : out.descriptor.annotations;
            out = {
              ...out,
              digest,
              descriptor: {
                mediaType,
                digest,
                size,
                ...(described ? { annotations: described } : {}),
              },
            };
          }
        }
      }
      emit({ type: 'result', id: out.id, digest: out.digest, tags: out.tags });
      return {
        result: { ...out, steps, warnings: checks.warnings },
        layerSteps: chain.flatMap((i) =>
          steps.filter((s) => s.stage === i && s.layer !== undefined),
        ),
        baseLayers: counts.layers,
        storeDigest,
      };
    } finally {
      await hasher.save().catch(() => undefined);
      for (const source of caches.sources) await source.close?.();
      await network?.close();
      await secrets.close();
    }
  } finally {
    await named?.close();
    await context?.close();
    // Never rm -rf through a mount: a snapshot still mounted (it should not be) is
    // unmounted first; one that will not go leaves the dir to the next build's sweep.
    await removeSnapshotDir(work).catch(() => undefined);
  }
}

/**
 * `build()` as an async iterable of its events; `result` settles when the build ends.
 * @example
 *   const b = buildEvents({ context: '.' });
 *   for await (const e of b) if (e.type === 'output') process.stdout.write(e.data);
 *   const { id } = await b.result;
 */
export function buildEvents(
  req: Omit<BuildRequest, 'onEvent'>,
): AsyncIterable<BuildEvent> & { result: Promise<BuildResult> } {
  const queue: BuildEvent[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  const result = build({
    ...req,
    onEvent: (e) => {
      queue.push(e);
      wake?.();
    },
  }).finally(() => {
    done = true;
    wake?.();
  });
  result.catch(() => undefined);
  return {
    result,
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (done) break;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
      await result;
    },
  };
}

function nonEmpty(a: Record<string, string> | undefined): Record<string, string> | undefined {
  return a && Object.keys(a).length > 0 ? a : undefined;
}

function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

export function checkPlatform(requested: string | undefined) {
  const host = hostPlatform();
  const hostText = formatPlatform(host);
  if (requested !== undefined) {
    const want = requested.toLowerCase().replace(/\/$/, '');
    if (
      want !== hostText &&
      !(host.variant === undefined && want === `${host.os}/${host.architecture}`)
    )
      throw new TsbuildError(
        'PLATFORM',
        `cannot build for platform ${requested}: tsbuild builds for the host's platform (${hostText}) only`,
        { platform: requested },
      );
  }
  return host;
}

function emitPlan(
  graph: StageGraph,
  warnings: readonly CheckWarning[],
  emit: (e: BuildEvent) => void,
): void {
  const { total } = stepNumbers(graph);
  emit({
    type: 'plan',
    total,
    stages: graph.order.map((i) => {
      const s = graph.stages[i]!;
      const triggers = s.steps.filter((step) => step.onbuild).length;
      return {
        index: i,
        ...(s.name ? { name: s.name } : {}),
        steps: s.steps.length + 1,
        ...(triggers > 0 ? { triggers } : {}),
      };
    }),
    skipped: graph.skipped.map((s) => ({
      index: s.index,
      ...(s.name ? { name: s.name } : {}),
      reason: s.reason,
    })),
    warnings: warnings.map((w) => ({
      rule: w.rule,
      message: w.message,
      description: w.description,
      ...(w.url ? { url: w.url } : {}),
      file: w.span.file,
      line: w.span.line,
      col: w.span.col,
    })),
  });
  if (graph.unusedBuildArgs.length > 0)
    emit({
      type: 'warning',
      message: `[Warning] One or more build-args [${graph.unusedBuildArgs.join(' ')}] were not consumed`,
    });
}

/** The target's stage and the stages it is FROM, the first built first. */
function lineage(graph: StageGraph): number[] {
  const out: number[] = [];
  for (let i: number | undefined = graph.target; i !== undefined;) {
    out.unshift(i);
    const from: StageBase = graph.stages[i]!.base;
    i = from.kind === 'stage' ? from.index : undefined;
  }
  return out;
}

/** The stat cache is per context directory: its absolute path never reaches a key. */
function contextId(context: BuildContext, req: BuildRequest): string {
  return digestHex(sha256(resolve(req.cwd ?? process.cwd(), context.dir))).slice(0, 32);
}
