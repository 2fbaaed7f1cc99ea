/** tsbuild's public API: re-exports only. */
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
export type * from './dockerfile/ast.js';
export { DockerfileError, ExpansionError, TsbuildError, UsageError, type Span } from './errors.js';
