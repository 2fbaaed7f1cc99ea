/**
 * The docker CLI, aimed at the one private dockerd that test/setup/docker.ts
 * starts for the whole run.
 */
import { spawn } from 'node:child_process';
import { inject } from 'vitest';
import { DOCKER_CLI } from './docker-cli.js';

export { DOCKER_CLI };

declare module 'vitest' {
  export interface ProvidedContext {
    /** unix:// address of the run's private dockerd. */
    dockerHost: string;
    /** An empty DOCKER_CONFIG dir: a developer's ~/.docker (contexts, credential helpers) is never read. */
    dockerConfig: string;
  }
}

export interface DockerOptions {
  input?: Buffer | string;
  cwd?: string;
  /** Extra environment, e.g. DOCKER_BUILDKIT=0 for the classic builder. */
  env?: NodeJS.ProcessEnv;
}

export interface DockerResult {
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * Runs the docker CLI against the run's dockerd; never rejects on a non-zero
 * exit. Output is decoded as UTF-8: write binary output to a file (`save -o`).
 */
export function docker(args: string[], opts: DockerOptions = {}): Promise<DockerResult> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DOCKER_HOST: inject('dockerHost'),
    DOCKER_CONFIG: inject('dockerConfig'),
    ...opts.env,
  };
  // Any of these would point the CLI elsewhere or at TLS it cannot use.
  for (const k of ['DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH']) delete env[k];
  return new Promise((resolve, reject) => {
    const child = spawn(DOCKER_CLI, args, { cwd: opts.cwd, env, stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (signal ? `\n(killed by ${signal})` : ''),
        code: code ?? 128,
      }),
    );
    // A command that does not read stdin closes it early: ignore EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input);
  });
}

/** Like docker(), but throws with the command and its stderr on a non-zero exit. */
export async function dockerOk(args: string[], opts: DockerOptions = {}): Promise<DockerResult> {
  const r = await docker(args, opts);
  if (r.code !== 0) {
    throw new Error(`docker ${args.join(' ')} exited ${r.code}:\n${r.stderr.trim()}`);
  }
  return r;
}
