/**
 * tsbuild's public API: re-exports only.
 *
 * Field names follow one rule. A result that is a Docker JSON document — what
 * `docker inspect` prints: `inspect()`'s ImageInspect (with InspectConfig) and
 * `inspectContainers()`'s ContainerInspect — keeps Docker's PascalCase names and
 * shape exactly (`img.Config.Env`), so it reads and compares as Docker's does; the
 * image documents (ImageConfig, Manifest, ImageIndex) likewise keep the OCI and
 * Docker spellings (`config.rootfs.diff_ids`). Everything else is tsbuild's own and
 * camelCase: requests, events, and the results of listing and doing
 * (`images()`'s `repoTags`, `history()`, `ps()`, `build()`, `pull()`, `push()`,
 * `login()`'s `storedIn`).
 *
 * A call given a `signal` rejects with `signal.reason` once it is aborted.
 */
export { build, buildEvents } from './api/build.js';
export type {
  AnnotationType,
  BuildAnnotation,
  BuildEvent,
  BuildOutput,
  BuildRequest,
  BuildResult,
  CacheExplanation,
  ProvenanceOptions,
  StepResult,
  VerifyReport,
  ConfigDifference,
  EntryDifference,
  LayerDifference,
} from './api/build-types.js';

export {
  check,
  outline,
  targets,
  type CheckResult,
  type Outline,
  type TargetList,
} from './api/call.js';
export { parse, type ParseRequest, type ParseResult } from './api/parse.js';
export {
  parseDockerfile,
  parseNodes,
  type ParseOptions,
  type ParsedDockerfile,
  type ParsedNodes,
} from './dockerfile/parse.js';
export {
  buildStageGraph,
  type Stage,
  type StageBase,
  type StageGraph,
  type StageGraphOptions,
  type Step,
} from './dockerfile/stages.js';
export {
  processWord,
  processWords,
  type EnvLookup,
  type ShellLexOptions,
} from './dockerfile/expand.js';
export { hostPlatform, type Platform } from './dockerfile/scope.js';
export { images, type ImageSummary, type ImagesRequest } from './api/images.js';
export {
  inspect,
  type ImageInspect,
  type InspectConfig,
  type InspectRequest,
} from './api/inspect.js';
export { history, type HistoryItem, type HistoryRequest } from './api/history.js';
export { rmi, tag, type RemoveRequest, type TagRequest } from './api/tag.js';
export { save, type SaveRequest } from './api/save.js';
export { load, type LoadEvent, type LoadRequest } from './api/load.js';
export { importImage, type ImportRequest } from './api/import.js';
export { pull, type PullEvent, type PullRequest, type PullResult } from './api/pull.js';
export { push, type PushEvent, type PushRequest, type PushResult } from './api/push.js';
export {
  login,
  logout,
  type LoginRequest,
  type LoginResult,
  type LogoutRequest,
  type LogoutResult,
} from './api/login.js';
export { cacheUsage, prune, type CacheUsage, type PruneRequest } from './api/prune.js';
export type { StoreOptions } from './api/store.js';
export {
  run,
  type ContainerMount,
  type ContainerRecord,
  type RunConfig,
  type RunNetworkMode,
  type RunRequest,
  type RunResult,
  type RunningContainer,
} from './api/run.js';
export { debug, type DebugRequest } from './api/debug.js';
export {
  inspectContainers,
  ps,
  rmContainer,
  type ContainerInspect,
  type ContainerSummary,
  type InspectContainersRequest,
  type PsRequest,
  type RemoveContainerRequest,
} from './api/containers.js';
export {
  runDetached,
  startAttached,
  startDetached,
  type AttachedStartRequest,
  type DetachedRunRequest,
  type StartRequest,
} from './api/container-start.js';
export {
  killContainer,
  parseSignal,
  stopContainer,
  type KillRequest,
  type StopRequest,
} from './api/container-stop.js';
export { containerLogs, type LogEntry, type LogsRequest } from './api/container-logs.js';
export { commit, type CommitRequest } from './api/commit.js';
export { diff, type Change, type DiffRequest } from './api/diff.js';
export { exportContainer, type ExportRequest } from './api/export.js';
export {
  pruneContainers,
  type ContainerPruneRequest,
  type ContainerPruneResult,
} from './api/container-prune.js';
export {
  familiarName,
  familiarReference,
  formatReference,
  parseReference,
  ReferenceError,
  type Reference,
} from './image/reference.js';
export {
  MediaType,
  type ContainerConfig,
  type Descriptor,
  type HealthConfig,
  type HistoryEntry,
  type ImageConfig,
  type ImageIndex,
  type Manifest,
} from './image/types.js';
export type * from './dockerfile/ast.js';
export { DockerfileError, ExpansionError, TsbuildError, UsageError, type Span } from './errors.js';
