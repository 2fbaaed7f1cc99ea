/**
 * What a RUN's bind mounts (and a cache mount's `from=` seed) read: a path of
 * the context (the default), of another stage, or of an image — resolved with
 * symlinks followed inside that tree, a stage's or image's filesystem mounted
 * read-only for as long as the step needs it. Planned before the cache key,
 * like COPY's sources, because the key carries a checksum of what is bound
 * (BuildKit content-hashes a read-only mount's selected path): change a bound
 * file and the step runs again; touch it and it does not.
 */
import { FileHasher } from '../../context/statcache.js';
import { checksumSources } from '../../context/checksum.js';
import { resolveSources, type SourceTree } from '../../context/sources.js';
import type { BuildDeps } from '../deps.js';
import { openFromTree } from '../from-source.js';
import { sha256 } from '../../util/digest.js';
import type { StageRun } from '../stage-run.js';
import type { StepMount } from './spec.js';

export interface MountSource {
  /** Host path of the bound file or directory. */
  abs: string;
  dir: boolean;
  tree: SourceTree;
  /** The source lies in the context (whose .dockerignore applies). */
  context: boolean;
  /** Stable name of the tree: a hash of a stage's or image's layers, a named context's identity, or 'context'. */
  identity: string;
}

export interface MountSources {
  /** Per mount (same order as the step's mounts): its source, if it reads one. */
  sources: (MountSource | undefined)[];
  /** Checksum over every bind's contents, for the key; undefined when the step binds nothing. */
  digest: string | undefined;
  release(): Promise<void>;
}

export async function mountSources(
  deps: BuildDeps,
  mounts: readonly StepMount[],
  run: StageRun,
): Promise<MountSources> {
  const held: (() => Promise<void>)[] = [];
  const release = async () => {
    for (const r of held.splice(0).reverse()) await r();
  };
  const trees = new Map<string, { tree: SourceTree; identity: string }>();
  const treeOf = async (from: string | undefined) => {
    const name = from ?? '';
    let t = trees.get(name);
    if (!t) {
      if (from === undefined) {
        t = {
          tree: { root: deps.context.dir, ignore: deps.context.ignore, label: 'context' },
          identity: 'context',
        };
      } else {
        // A stage, a named build context or an image, as COPY --from resolves it.
        const source = await openFromTree(deps, from, run);
        held.push(source.release);
        t = { tree: source.tree, identity: source.identity };
      }
      trees.set(name, t);
    }
    return t;
  };
  try {
    const sources: (MountSource | undefined)[] = [];
    const sums: string[] = [];
    for (const m of mounts) {
      const seeded = m.type === 'cache' && m.from !== undefined;
      if (m.type !== 'bind' && !seeded) {
        sources.push(undefined);
        continue;
      }
      const { tree, identity } = await treeOf(m.from);
      const [resolved] = resolveSources(tree, [m.source]);
      const source: MountSource = {
        abs: resolved!.abs,
        dir: resolved!.dir,
        tree,
        context: m.from === undefined,
        identity,
      };
      sources.push(source);
      if (m.type !== 'bind') continue;
      // A stage's or image's files sit under a mount path that changes every time: a
      // fresh hasher, as COPY --from uses; the context's go through the build's stat cache.
      const hasher = source.context ? deps.hasher : await FileHasher.open();
      const sum = await checksumSources(tree, [resolved!], {
        uid: undefined,
        gid: undefined,
        hasher,
        signal: deps.signal,
      });
      sums.push(`${m.target}=${sum.digest}`);
    }
    const digest = sums.length > 0 ? sha256(sums.join('\n')) : undefined;
    return { sources, digest, release };
  } catch (e) {
    await release();
    throw e;
  }
}
