/**
 * What `--from=NAME` reads (COPY --from, RUN --mount from=), resolved in one
 * place as BuildKit resolves it: a stage of the Dockerfile (by name or index),
 * else a named build context (`--build-context NAME=…`), else an image. A
 * stage's, image's or image context's filesystem is mounted read-only for as
 * long as the caller holds it; a context's tree is its own directory.
 *
 * Also here: the state a stage starts from when its FROM names a context that
 * is a tree of files — BuildKit's empty image config over the files, which
 * tsbuild stores as one layer (copied as COPY copies a context: 0:0, modes and
 * mtimes kept, the directory's .dockerignore applied).
 */
import type { SourceTree } from '../context/sources.js';
import { resolveSources } from '../context/sources.js';
import type { Descriptor, ImageConfig } from '../image/types.js';
import { sha256 } from '../util/digest.js';
import { copyInto, type CopyPlan } from './copy/index.js';
import type { BuildDeps } from './deps.js';
import { changeInSnapshot, lowerDirs } from './effects/snapshot.js';
import type { NamedContext } from './named-context.js';
import type { StageRun } from './stage-run.js';
import { configBytes, scratchState, type PlatformSpec, type StageState } from './state.js';

export interface FromTree {
  tree: SourceTree;
  /** Stable name of what the tree holds: a hash of the layers, or the context's identity. */
  identity: string;
  /** Unmount what was mounted; call once the step is over. */
  release(): Promise<void>;
}

/**
 * The tree `--from=<from>` names, for the step `run` is at.
 *
 * @example
 * const src = await openFromTree(deps, 'build', run); // a stage, a context or an image
 * try { resolveSources(src.tree, ['/out/app']); } finally { await src.release(); }
 */
export async function openFromTree(
  deps: BuildDeps,
  from: string,
  run: StageRun,
): Promise<FromTree> {
  const index = run.stage.dependsOn.find(
    (d) => d !== run.stage.index && stageMatches(run, d, from),
  );
  if (index !== undefined)
    return mountedTree(deps, (await run.stageState(index)).layers, `stage ${from}`);
  const named = run.namedContext(from);
  if (named?.kind === 'tree')
    return { tree: named.tree, identity: named.identity, release: async () => undefined };
  if (named?.kind === 'image') return mountedTree(deps, named.state.layers, `context ${from}`);
  return mountedTree(deps, (await run.imageState(from)).layers, `image ${from}`);
}

/** `--from=build` or `--from=1` (also `01`, as stage-refs.ts reads an index). */
function stageMatches(run: StageRun, index: number, from: string): boolean {
  const s = run.stages[index]!;
  return s.name === from.toLowerCase() || (/^[0-9]+$/.test(from) && Number(from) === index);
}

async function mountedTree(
  deps: BuildDeps,
  layers: Descriptor[],
  label: string,
): Promise<FromTree> {
  const { rootfs, release } = await mountLayers(deps, layers);
  return {
    tree: { root: rootfs, label, keepOwners: true },
    identity: sha256(layers.map((l) => l.digest).join(',')),
    release,
  };
}

/** A read-only view of `layers` (a fresh snapshot); release it when done. */
export async function mountLayers(
  deps: BuildDeps,
  layers: Descriptor[],
): Promise<{ rootfs: string; release: () => Promise<void> }> {
  const snapshotter = await deps.snapshotter();
  const snap = await snapshotter.prepare(await lowerDirs(deps, layers), {
    workRoot: deps.workRoot,
  });
  return { rootfs: snap.rootfs, release: () => snap.release() };
}

/** When the layer of a tree context was made: fixed, so the same files give the same image ID. */
const TREE_CREATED = '1970-01-01T00:00:00Z';

/**
 * `FROM NAME` where NAME is a directory, git or tarball context: an empty
 * config (scratch's) over one layer holding the tree.
 */
export async function treeState(
  deps: BuildDeps,
  named: Extract<NamedContext, { kind: 'tree' }>,
  platform: PlatformSpec,
): Promise<StageState> {
  const what = `build context ${named.name}`;
  const plan: CopyPlan = {
    kind: 'COPY',
    tree: named.tree,
    sources: resolveSources(named.tree, ['.']),
    downloads: [],
    gits: [],
    inline: [],
    dest: '/',
    destIsDir: true,
    owner: { uid: 0, gid: 0 },
    chmod: undefined,
    parents: false,
    exclude: undefined,
    unpack: false,
  };
  const layer = await changeInSnapshot(deps, [], what, async (rootfs) => {
    await copyInto(rootfs, plan, { signal: deps.signal });
  });
  const empty = scratchState(platform);
  const config: ImageConfig = {
    ...empty.config,
    rootfs: { type: 'layers', diff_ids: layer ? [layer.digest] : [] },
    history: layer ? [{ created: TREE_CREATED, created_by: what }] : [],
  };
  return {
    config,
    layers: layer ? [layer] : [],
    id: sha256(configBytes(config)),
    cmdSet: false,
  };
}
