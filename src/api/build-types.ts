/**
 * The shapes of `build()`: what a caller asks for and what it gets back. The CLI's
 * `tsbuild build` flags map one to one onto BuildRequest.
 */
import type { CheckWarning } from '../dockerfile/lint/index.js';
import type { Readable } from 'node:stream';
import type { BuildEvent, CacheExplanation } from '../build/events.js';
import type { StepOutcome } from '../build/stage.js';
import type {
  ConfigDifference,
  EntryDifference,
  LayerDifference,
  VerifyReport,
} from '../build/verify-report.js';
import type { StoreOptions } from './store.js';
import type { SecretSource } from './build-secrets.js';
import type { ExtraHost, Rlimit } from '../runtime/run/runner.js';
import type { AnnotationType, BuildAnnotation } from './build-annotations.js';

export type {
  SecretSource,
  VerifyReport,
  ConfigDifference,
  EntryDifference,
  LayerDifference,
  AnnotationType,
  BuildAnnotation,
};

export type { BuildEvent, CacheExplanation };

/** `--provenance` (api/build-provenance.ts says what the predicate holds). */
export interface ProvenanceOptions {
  mode: 'min' | 'max';
  /** `builder-id=`: SLSA's builder.id. */
  builderId?: string;
  /** `reproducible=true`: the builder's claim, as BuildKit takes it. */
  reproducible?: boolean;
}

/** Where the result goes besides (or instead of) the store. */
export type BuildOutput =
  /** The default: the image goes into the store (and is tagged). */
  | { type: 'image' }
  /** An OCI layout archive (`dest` a file, `-` for stdout) or, for `local`, the flattened rootfs in a directory. */
  | { type: 'oci' | 'docker' | 'tar'; dest: string }
  | { type: 'local'; dest: string };

export interface BuildRequest extends StoreOptions {
  /**
   * A directory, a tar file, `-` for a tar context (or a bare Dockerfile) read from `stdin`,
   * a git URL (`https://host/repo.git#ref:folder`, `git://…`, `git@host:repo.git`,
   * `github.com/org/repo`), or the http(s) URL of a tarball or Dockerfile. A git
   * context's credentials come from `env` (GIT_AUTH_TOKEN, GIT_AUTH_HEADER, HOME's
   * .git-credentials) or the URL.
   */
  context: string;
  /** The Dockerfile: a path (relative to the process cwd, as docker's -f), or `-` for `stdin`. Default `<context>/Dockerfile`. */
  dockerfile?: string;
  /** Read when `context` or `dockerfile` is `-`. */
  stdin?: Readable;
  tags?: string[];
  buildArgs?: Record<string, string>;
  target?: string;
  /**
   * Named build contexts (`--build-context NAME=VALUE`), reached with `FROM NAME`,
   * `COPY --from=NAME` and `RUN --mount=from=NAME`; a stage called NAME is replaced.
   * VALUE: a directory, a git URL, an http(s) tarball, `docker-image://REF` or
   * `oci-layout://DIR[:TAG|@DIGEST]`.
   * @example
   *   build({ context: '.', buildContexts: { lib: '../lib', alpine: 'docker-image://alpine:3.19' } })
   */
  buildContexts?: Record<string, string>;
  noCache?: boolean;
  /**
   * `--no-cache-filter`: the stages (by name, any case) whose steps all run
   * again instead of coming from the cache; the other stages still hit. A name
   * no stage has changes nothing (BuildKit's answer too), with a warning event.
   * Not together with `noCache`.
   */
  noCacheFilter?: string[];
  /**
   * `--annotation`: OCI annotations on the image's manifest (`type` `manifest`,
   * the default) or on its descriptor (`manifest-descriptor`), written into what
   * leaves the machine — the pushed manifest, the `oci`/`docker` archive — not
   * into the store, which like Docker's image store keeps none. A manifest with
   * annotations uses OCI media types. `index`/`index-descriptor` are refused:
   * a single-platform image has no index (BuildKit's error).
   * @example
   *   build({ context: '.', tags: ['h:5000/app'], push: true,
   *           annotations: [{ key: 'org.opencontainers.image.source', value: 'https://git.example/app' }] })
   */
  annotations?: BuildAnnotation[];
  /**
   * Keep a RUN step that fails as a stopped container (default true): its
   * partial writes over the layers below, its environment, working directory
   * and user, to open a shell in with `tsbuild debug <id>`, commit or remove.
   */
  keepFailed?: boolean;
  /** Pull every base image again, even one the store has (a newer one in the registry wins). */
  pull?: boolean;
  /** Registries (`host:port`) that may be reached over plain http; loopback always may. */
  insecureRegistries?: string[];
  /**
   * Shared caches to read: `type=registry,ref=host/repo:tag` (or just the ref: a
   * cache, or an image whose inline cache and history are used),
   * `type=local,src=DIR[,tag=T|digest=D]`.
   */
  cacheFrom?: string[];
  /**
   * Where to export this build's cache: `type=registry,ref=host/repo:tag[,mode=min|max]`,
   * `type=local,dest=DIR[,tag=T][,mode=min|max]`, `type=inline` (in the image's config).
   */
  cacheTo?: string | string[];
  /** Push every tag once the image is built (`build --push`). */
  push?: boolean;
  /**
   * Attach a SLSA v0.2 provenance attestation (`--provenance`), as BuildKit does:
   * the pushed tags and an `oci` output become an OCI index of the image and
   * its attestation manifest. The store and `docker`, `local` and `tar` outputs
   * leave it out. mode=max records build-arg and label values, never a secret's.
   * @example
   *   build({ context: '.', tags: ['reg:5000/app:1'], push: true, provenance: { mode: 'max' } })
   */
  provenance?: ProvenanceOptions;
  labels?: Record<string, string>;
  /**
   * The network of RUN steps that do not say (`RUN --network=…`). `default`, as
   * under docker build: a network namespace of the build's own with outbound
   * access through pasta or slirp4netns (the host's namespace when neither is
   * installed); `none`: loopback only; `host`: the host's.
   */
  network?: 'default' | 'host' | 'none';
  runtime?: 'auto' | 'runc' | 'crun' | 'builtin';
  /** `--add-host`: lines `IP<tab>HOST` added to every RUN step's /etc/hosts. Part of a RUN's cache key, as are the two below. */
  addHosts?: ExtraHost[];
  /** `--shm-size`: the size of every RUN step's /dev/shm, in bytes (default 64 MiB). */
  shmSize?: number;
  /**
   * `--ulimit`: every RUN step's resource limits; -1 is unlimited.
   * @example
   *   build({ context: '.', ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }] })
   */
  ulimits?: Rlimit[];
  /**
   * Secrets for `RUN --mount=type=secret,id=ID`, by id: `{ value }` as given,
   * `{ path }` a file read when a step mounts it, `{ env }` a variable of `env`.
   * A value reaches the step's memory-backed mount (or environment, with `env=`)
   * and nothing else: not the store, a cache key, the history, an event or an
   * error; a step's output shows `****` in its place.
   * @example
   *   build({ context: '.', secrets: { npmrc: { path: `${os.homedir()}/.npmrc` }, token: { env: 'GH_TOKEN' } } })
   */
  secrets?: Record<string, SecretSource>;
  /**
   * ssh agents for `RUN --mount=type=ssh[,id=ID]`, by id: `[]` forwards the agent
   * at `env.SSH_AUTH_SOCK`; one path to an agent socket forwards that one; key
   * files are loaded into an ssh-agent of the build's own (needs openssh-client),
   * stopped when the build ends.
   * @example
   *   build({ context: '.', ssh: { default: [] } })          // docker build --ssh default
   *   build({ context: '.', ssh: { github: ['/keys/id_ed25519'] } })
   */
  ssh?: Record<string, string[]>;
  /** Only the host's platform can be built; anything else is a clear error. */
  platform?: string;
  /** One layer on top of the base image's layers. */
  squash?: boolean;
  /** How many stages may build at once (default 2). */
  jobs?: number;
  outputs?: BuildOutput[];
  /**
   * After the build, build the same target again without the cache, in a
   * scratch store that is removed after, and compare (`result.verify`): the
   * image ID, and where they differ the config fields and, per layer, the files
   * and the step that made it. The build's image is stored and tagged either way.
   * A context or Dockerfile read from `stdin` cannot be read twice, so is refused.
   * @example
   *   const r = await build({ context: '.', verify: true, env: { SOURCE_DATE_EPOCH: '0' } });
   *   r.verify!.reproducible; // true
   */
  verify?: boolean;
  /**
   * Say, for each miss, what changed since this Dockerfile (same context, same file)
   * last built that step (same stage, same position); `first-build` when it never did.
   */
  explainCache?: boolean;
  signal?: AbortSignal;
  /** Called for every event as it happens. */
  onEvent?: (event: BuildEvent) => void;
  /** Resolves relative paths; default process.cwd(). */
  cwd?: string;
  /** A git or remote context may use plain http to a host that is not loopback. */
  allowInsecureHttp?: boolean;
}

/** What one step did: `{ stage, step, text, cached, ms, key }`. */
export type StepResult = StepOutcome;

export interface BuildResult {
  /** The image ID: the config digest. */
  id: string;
  /**
   * The manifest digest (`containerimage.digest`): with `push`, the one the
   * registry serves for the first tag (its layers compressed); else the store's.
   */
  digest: string;
  /** The manifest's descriptor (`containerimage.descriptor`), with any `manifest-descriptor` annotations. */
  descriptor: {
    mediaType: string;
    digest: string;
    size: number;
    annotations?: Record<string, string>;
  };
  tags: string[];
  steps: StepResult[];
  /** BuildKit's check findings for the stages built (rule, message, description, url, span). */
  warnings: CheckWarning[];
  /** With `verify`: how a rebuild without the cache compares. */
  verify?: VerifyReport;
}

/** A build's result, and what `--verify` compares it by (internal to build()). */
export interface Built {
  result: BuildResult;
  /** The steps that made the image's own layers, in rootfs order (before --squash). */
  layerSteps: StepResult[];
  /** How many of the image's layers are its base image's. */
  baseLayers: number;
  /** The manifest digest in the store (`result.digest` is the registry's after a push). */
  storeDigest: string;
}
