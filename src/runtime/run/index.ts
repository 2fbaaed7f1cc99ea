/** The process runner: OCI runtimes (runc, crun), the built-in sandbox, and what they share. */
export { findRuntime, findTool, searchPath, type RuntimeKind } from './find.js';
export { OciRunner } from './oci.js';
export { BuiltinRunner } from './builtin.js';
export { pickRunner, type RunnerKind } from './pick.js';
export type {
  Runner,
  RunIo,
  RunMount,
  RunOptions,
  RunSpec,
  SizeSource,
  TerminalSize,
} from './runner.js';
export { terminalSizeOf } from './terminal.js';
export { resolveUser, type ExecUser } from './users.js';
export { runtimeSpec, DEFAULT_PATH, type OciSpec } from './spec.js';
