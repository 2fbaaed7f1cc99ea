/**
 * What the engine is handed (STYLE.md #11): the store, the sandbox, how to store a
 * layer, where to report — no module-level state, so tests build real ones in a temp root.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../image/types.js';
import type { TarSummary } from '../layer/writer.js';
import type { Runner, RunNetwork, RunSettings } from '../runtime/run/runner.js';
import type { Snapshotter } from '../runtime/snapshot/types.js';
import type { Store } from '../store/store.js';
import type { BuildContext } from '../context/open.js';
import type { FileHasher } from '../context/statcache.js';
import type { BuildEvent } from './events.js';
import type { Plan } from './instructions/types.js';
import type { PlatformSpec, StageState } from './state.js';

export interface BuildDeps {
  store: Store;
  /** Made on first use: an all-cached build runs nothing and mounts nothing. */
  runner(): Runner;
  snapshotter(): Promise<Snapshotter>;
  /** A private directory for this build's snapshots, bundles and downloads. */
  workRoot: string;
  /** Where failed steps' full logs are kept. */
  logDir: string;
  /**
   * Store an uncompressed layer tar; resolves to its descriptor (digest = diff ID).
   * `summary`: the tar is our own (tarDirectory filled it in), so it is not parsed again.
   */
  putLayer(tar: Readable, source: string, summary?: TarSummary): Promise<Descriptor>;
  emit(event: BuildEvent): void;
  /**
   * Asked on a local cache miss (`--cache-from type=registry`): what a shared
   * cache says the step made — its layer (now in the store) or none, and when —
   * or undefined. Only that: the step's config is made here, as for a step run,
   * so a cache can hand over a layer but never an image config.
   */
  remoteCache?: (key: string) => Promise<{ layer?: Descriptor; created: string } | undefined>;
  /**
   * `--cache-from IMAGE`, Docker classic's way: a layer of that image that this
   * step would make, found by matching history and layers; `{}` for a step that
   * makes none; undefined when no image has it.
   */
  imageCache?: (state: StageState, plan: Plan) => Promise<{ layer?: Descriptor } | undefined>;
  signal: AbortSignal;
  noCache: boolean;
  /** `--no-cache-filter`: stages (by index) whose steps all run again rather than hit. */
  noCacheStages?: ReadonlySet<number>;
  /** Keep a failed RUN as a stopped container to debug (effects/keep-failed.ts). */
  keepFailed: boolean;
  explain: boolean;
  /** The Dockerfile and context this build is of (build/explain.ts stepPlace). */
  lineage: string;
  /** RUN's network when the step does not say (`RUN --network=…`). */
  network: 'default' | 'host' | 'none';
  /**
   * The network namespace of `default` steps, made on first use (runtime/network)
   * and closed when the build ends.
   */
  sandboxNetwork(): Promise<RunNetwork>;
  /** `--add-host`, `--shm-size`, `--ulimit`: every RUN step's, and part of its key (run-settings.ts). */
  runSettings?: RunSettings;
  context: BuildContext;
  /**
   * RUN --mount=type=secret: the secret `id`'s bytes, or undefined when the
   * build was given none. They go to the step's memory-backed mount or
   * environment only: never the store, a key, the history or an event.
   */
  secret(id: string): Promise<Buffer | undefined>;
  /** RUN --mount=type=ssh: the agent socket for `id`, or undefined when none was given. */
  sshAgent(id: string): Promise<string | undefined>;
  /**
   * ADD of a git URL: the tree at the fragment's `ref:folder`, fetched as a git
   * context is (its credential rules, the store's cache by commit), and the commit.
   */
  gitTree(url: string, keepGitDir: boolean): Promise<{ dir: string; commit: string }>;
  hasher: FileHasher;
  platform: PlatformSpec;
  /**
   * SOURCE_DATE_EPOCH (epoch.ts), seconds: the time of every step this build
   * runs, the clamp of its layers' mtimes, and part of every step's cache key.
   */
  sourceDateEpoch?: number;
}
