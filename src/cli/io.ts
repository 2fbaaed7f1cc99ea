/** What a command reads and writes: the process's streams and environment, passed in so tests can give their own. */
export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  /**
   * How to start this CLI again, as a detached container's supervisor
   * (`run -d`, `start`): a program and its first arguments. Default: node
   * with the package's bin/tsbuild.js (api/supervisor.ts).
   */
  supervisor?: string[];
}
