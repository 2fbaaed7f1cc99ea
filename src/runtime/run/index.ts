/** The process runner: OCI runtimes (runc, crun) and what they share. */
export { findRuntime, searchPath, type RuntimeKind } from './find.js';
export { OciRunner, type RunIo, type RunOptions, type RunSpec } from './oci.js';
export { resolveUser, type ExecUser } from './users.js';
export { runtimeSpec, DEFAULT_PATH, type OciSpec } from './spec.js';
