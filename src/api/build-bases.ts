/**
 * What a build starts from: the images its stages are FROM, the images COPY
 * --from and RUN --mount from= read, and the named build contexts standing in
 * for either. An image comes from the store, or is pulled when the store has
 * none of that name (always, with --pull, as `docker build --pull`).
 *
 * The stage graph is lowered until it stops changing: a base image's ONBUILD
 * triggers are known only once the image is, and a trigger may name another
 * stage (`ONBUILD COPY --from=build …`, a stage of the child's Dockerfile) or
 * image (`ONBUILD COPY --from=busybox …`) that the build then needs as well.
 */
import type { BuildEvent } from '../build/events.js';
import { treeState } from '../build/from-source.js';
import { findContext, type NamedContexts, type NamedContext } from '../build/named-context.js';
import type { BuildDeps } from '../build/deps.js';
import {
  baseState,
  configBytes,
  imageState as storedImage,
  scratchState,
  type PlatformSpec,
  type StageState,
} from '../build/state.js';
import type { Finding } from '../dockerfile/lint/finding.js';
import type { ParsedDockerfile } from '../dockerfile/parse.js';
import { formatPlatform } from '../dockerfile/scope.js';
import { buildStageGraph, type StageGraph } from '../dockerfile/stages.js';
import type { Stage } from '../dockerfile/stage.js';
import { DockerfileError, TsbuildError, type Span } from '../errors.js';
import type { ImageConfig } from '../image/types.js';
import type { Store } from '../store/store.js';
import { sha256 } from '../util/digest.js';
import type { BaseCounts } from './build-output.js';
import type { BuildRequest } from './build-types.js';

/**
 * Which image each reference a build names resolved to, and, for `--verify`'s
 * rebuild, which one it must resolve to: the rebuild starts from the very
 * images the build did (copied into its scratch store), never a newer pull.
 */
export interface BaseImages {
  /** Reference → image ID in the build's store, taken as is. */
  pinned?: ReadonlyMap<string, string>;
  /** Reference → image ID, filled in as the build resolves them. */
  used: Map<string, string>;
}

/**
 * An image by reference: the store's (unless `req.pull`), else pulled.
 * @example
 *   const state = await imageFor(store, 'busybox', req, emit, { used: new Map() });
 */
export async function imageFor(
  store: Store,
  ref: string,
  req: BuildRequest,
  emit: (e: BuildEvent) => void,
  images: BaseImages,
): Promise<StageState> {
  const pinned = images.pinned?.get(ref);
  const state = pinned
    ? await storedImage(store, pinned)
    : await resolveImage(store, ref, req, emit);
  images.used.set(ref, state.id);
  return state;
}

async function resolveImage(
  store: Store,
  ref: string,
  req: BuildRequest,
  emit: (e: BuildEvent) => void,
): Promise<StageState> {
  const stored = req.pull ? undefined : await storedImage(store, ref).catch(missing);
  if (stored !== undefined) return stored;
  // Loaded on use: the registry client (undici) is most of the CLI's code, and a base
  // image already in the store needs none of it.
  const { pullInto } = await import('./pull.js');
  const { id } = await pullInto(store, {
    reference: ref,
    ...(req.env ? { env: req.env } : {}),
    ...(req.insecureRegistries ? { insecureRegistries: req.insecureRegistries } : {}),
    ...(req.signal ? { signal: req.signal } : {}),
    onEvent: (e) => emit({ type: 'pull', ref, ...(e.id ? { id: e.id } : {}), status: e.status }),
  });
  // By ID: an image pulled by digest has no name in the store to find it by.
  return storedImage(store, id);
}

/** undefined for an image the store does not have; other errors go on. */
function missing(e: unknown): undefined {
  if (e instanceof TsbuildError && e.code === 'NO_SUCH_IMAGE') return undefined;
  throw e;
}

/** The stage graph and everything its stages start from or read. */
export class Bases {
  private readonly trees = new Map<string, Promise<StageState>>();

  constructor(
    readonly graph: StageGraph,
    private readonly images: ReadonlyMap<string, StageState>,
    private readonly contexts: NamedContexts,
    private readonly platform: PlatformSpec,
  ) {}

  /** The context `ref` names, if any: it wins over an image of that name. */
  namedContext(ref: string): NamedContext | undefined {
    return findContext(this.contexts, ref);
  }

  /** An image COPY --from or RUN --mount from= names (resolved before the build). */
  imageState(ref: string): StageState {
    const s = this.images.get(ref);
    if (!s) throw new TsbuildError('NO_SUCH_IMAGE', `--from=${ref}: no such image in the store`);
    return s;
  }

  /** The state stage `index` starts from, when its base is not another stage. */
  async startState(index: number, deps: BuildDeps): Promise<StageState> {
    const stage = this.graph.stages[index]!;
    if (stage.base.kind !== 'image') {
      const s = scratchState(this.platform);
      return { ...s, id: sha256(configBytes(s.config)) };
    }
    const named = this.namedContext(stage.base.ref);
    if (named?.kind === 'tree') {
      let made = this.trees.get(named.name);
      if (!made) this.trees.set(named.name, (made = treeState(deps, named, this.platform)));
      return made;
    }
    const img = named?.kind === 'image' ? named.state : this.images.get(stage.base.ref)!;
    return { ...baseState(img.config, img.layers), id: img.id };
  }

  /**
   * The images the build read (FROM, COPY --from, RUN --mount from=, and named
   * `docker-image://` contexts), by reference, with their IDs: provenance's materials.
   */
  readImages(): { ref: string; id: string }[] {
    const out = [...this.images].map(([ref, s]) => ({ ref, id: s.id }));
    for (const c of this.contexts.values())
      if (c.kind === 'image' && c.source.startsWith('docker-image://'))
        out.push({ ref: c.source.slice('docker-image://'.length), id: c.state.id });
    return out;
  }

  /**
   * InvalidBaseImagePlatform, as BuildKit's resolveBaseImage finds it: a stage
   * FROM an image (not a named context, not an image without layers) whose
   * OS or architecture is not the platform the stage is built for.
   */
  platformFindings(stages: Iterable<number>): Finding[] {
    const out: Finding[] = [];
    for (const i of stages) {
      const stage = this.graph.stages[i]!;
      if (stage.base.kind !== 'image' || this.namedContext(stage.base.ref)) continue;
      const img = this.images.get(stage.base.ref);
      if (!img || isEmptyImage(img.config)) continue;
      const expected = normalizePlatform(
        stage.platform === undefined ? this.platform : parsePlatform(stage.platform),
      );
      const actual = normalizePlatform(img.config);
      if (expected.os === actual.os && expected.architecture === actual.architecture) continue;
      out.push({
        rule: 'InvalidBaseImagePlatform',
        message: `Base image ${stage.base.ref} was pulled with platform "${formatPlatform(actual)}", expected "${formatPlatform(expected)}" for current build`,
        span: stage.from.span,
        stage: i,
      });
    }
    return out;
  }

  /** The layers and history entries of what the target's chain of stages starts FROM. */
  async counts(deps: BuildDeps): Promise<BaseCounts> {
    let stage = this.graph.stages[this.graph.target]!;
    while (stage.base.kind === 'stage') stage = this.graph.stages[stage.base.index]!;
    if (stage.base.kind !== 'image') return { layers: 0, history: 0 };
    const img = await this.startState(stage.index, deps);
    return { layers: img.layers.length, history: img.config.history?.length ?? 0 };
  }
}

/**
 * Lower the Dockerfile and resolve what it needs, until a lowering needs
 * nothing new. A base that cannot be had is an error at the line that named it.
 */
export async function resolveBases(o: {
  store: Store;
  df: ParsedDockerfile;
  /** The Dockerfile's name in spans. */
  file: string;
  req: BuildRequest;
  emit: (e: BuildEvent) => void;
  contexts: NamedContexts;
  platform: PlatformSpec;
  /** Resolve the bases of every stage, not only of those the target needs (`--check`). */
  allStages?: boolean;
  images: BaseImages;
}): Promise<Bases> {
  const { store, df, req, emit, contexts, platform } = o;
  const images = new Map<string, StageState>();
  const known = (ref: string) => findContext(contexts, ref) ?? images.get(ref);
  const configOf = (ref: string) => {
    const k = known(ref);
    if (k === undefined) return undefined;
    if ('kind' in k) return k.kind === 'image' ? k.state : scratchState(platform);
    return k;
  };
  for (;;) {
    const graph = buildStageGraph(df, {
      buildArgs: req.buildArgs,
      target: req.target,
      // As the stage will start: with the PATH BuildKit gives an image that has none.
      imageEnv: (ref) => {
        const img = configOf(ref);
        return img && (baseState(img.config, img.layers).config.config?.Env ?? undefined);
      },
      imageOnBuild: (ref) => configOf(ref)?.config.config?.OnBuild ?? undefined,
      namedContext: (name) => findContext(contexts, name) !== undefined,
    });
    const stages = o.allStages ? graph.stages.map((st) => st.index) : graph.order;
    const wanted = neededImages(graph, stages).filter((w) => known(w.ref) === undefined);
    if (wanted.length === 0) return new Bases(graph, images, contexts, platform);
    for (const { ref, span } of wanted) {
      if (images.has(ref)) continue;
      try {
        images.set(ref, await imageFor(store, ref, req, emit, o.images));
      } catch (e) {
        if (!(e instanceof TsbuildError) || e instanceof DockerfileError) throw e;
        // A registry's error names the image already; others get the reference, as BuildKit.
        const message = e.message.includes(ref) ? e.message : `${ref}: ${e.message}`;
        throw new DockerfileError(e.code, message, span, {
          data: { ...e.data },
          ...(span.file === o.file ? { sourceLine: df.lines[span.line - 1] } : {}),
        });
      }
    }
  }
}

/**
 * An image without layers (a scratch-like base): BuildKit starts such a stage
 * from scratch, and its platform is not checked.
 */
function isEmptyImage(config: ImageConfig): boolean {
  return config.rootfs.diff_ids.length === 0 && (config.history ?? []).every((h) => h.empty_layer);
}

/** containerd's platforms.Parse of an expanded `FROM --platform` (validated already). */
function parsePlatform(text: string): PlatformSpec {
  const [os = '', architecture = '', variant] = text.toLowerCase().split('/');
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** containerd's platforms.Normalize, for the architectures images name. */
function normalizePlatform(p: {
  os: string;
  architecture: string;
  variant?: string | undefined;
}): PlatformSpec {
  let arch = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  if (arch === 'i386') arch = '386';
  else if (arch === 'x86_64' || arch === 'x86-64' || arch === 'amd64') {
    arch = 'amd64';
    if (variant === 'v1') variant = undefined;
  } else if (arch === 'aarch64' || arch === 'arm64') {
    arch = 'arm64';
    if (variant === '8' || variant === 'v8') variant = undefined;
  } else if (arch === 'armhf') {
    arch = 'arm';
    variant = 'v7';
  } else if (arch === 'armel') {
    arch = 'arm';
    variant = 'v6';
  } else if (arch === 'arm') {
    if (!variant || variant === '7') variant = 'v7';
    else if (variant === '5' || variant === '6' || variant === '8') variant = `v${variant}`;
  }
  return { os: p.os.toLowerCase(), architecture: arch, ...(variant ? { variant } : {}) };
}

/** Every image the stages to build name, with the span of the line that names it. */
function neededImages(
  graph: StageGraph,
  stages: readonly number[] = graph.order,
): { ref: string; span: Span }[] {
  const out: { ref: string; span: Span }[] = [];
  for (const i of stages) {
    const stage = graph.stages[i]!;
    if (stage.base.kind === 'image') out.push({ ref: stage.base.ref, span: stage.from.imageSpan });
    for (const ref of stage.images) out.push({ ref, span: spanOf(stage, ref) });
  }
  return out;
}

/** The COPY --from or RUN --mount that names `ref` (a trigger's own line, for ONBUILD). */
function spanOf(stage: Stage, ref: string): Span {
  const step = stage.steps.find(({ instruction: ins }) =>
    ins.kind === 'COPY'
      ? ins.from === ref
      : ins.kind === 'RUN' && ins.mounts.some((m) => m.includes(`from=${ref}`)),
  );
  return step?.instruction.span ?? stage.from.span;
}
