/**
 * Where a build's secrets and ssh agents come from (`--secret`, `--ssh`, or
 * BuildRequest.secrets / .ssh), checked before anything runs and read only
 * when a step mounts them. Nothing here writes a secret anywhere: a file is
 * read when its step starts, a key file is handed to an ssh-agent of the
 * build's own (in memory), and that agent is stopped when the build ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { TsbuildError } from '../errors.js';
import { privateDir } from '../build/mounts/private-dir.js';

/** A secret's value: given as is, read from a file, or read from an environment variable. */
export type SecretSource = { value: string | Uint8Array } | { path: string } | { env: string };

/** BuildKit's limit on one secret (its secrets provider refuses more). */
const MAX_SECRET = 500 * 1024;

export interface BuildSecrets {
  secret(id: string): Promise<Buffer | undefined>;
  sshAgent(id: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/**
 * @param ssh id → [] for the agent at `$SSH_AUTH_SOCK`, or one agent socket, or private key files.
 */
export function buildSecrets(
  secrets: Record<string, SecretSource> = {},
  ssh: Record<string, string[]> = {},
  env: NodeJS.ProcessEnv,
  cwd: string,
): BuildSecrets {
  const files = new Map<string, SecretSource>();
  for (const [id, src] of Object.entries(secrets)) {
    if ('path' in src) {
      const path = resolve(cwd, src.path);
      const st = statSync(path, { throwIfNoEntry: false });
      if (!st?.isFile())
        throw new TsbuildError(
          'SECRET_SOURCE',
          `secret "${id}": ${path} is ${st ? 'not a regular file' : 'not there'}`,
          { id, path },
        );
      files.set(id, { path });
    } else if ('env' in src) {
      if (env[src.env] === undefined)
        throw new TsbuildError(
          'SECRET_SOURCE',
          `secret "${id}": the environment variable ${src.env} is not set`,
          { id, variable: src.env },
        );
      files.set(id, { value: env[src.env]! });
    } else files.set(id, src);
  }
  const agents = new Map<string, { socket?: string; keys?: string[] }>();
  for (const [id, paths] of Object.entries(ssh)) {
    if (paths.length === 0) {
      const sock = env.SSH_AUTH_SOCK;
      if (!sock)
        throw new TsbuildError(
          'SSH_SOURCE',
          `--ssh ${id}: SSH_AUTH_SOCK is not set, so there is no agent to forward; give a socket or key file (--ssh ${id}=PATH)`,
          { id },
        );
      agents.set(id, { socket: sock });
      continue;
    }
    const abs = paths.map((p) => resolve(cwd, p));
    for (const p of abs)
      if (!existsSync(p))
        throw new TsbuildError('SSH_SOURCE', `--ssh ${id}: ${p} is not there`, { id, path: p });
    if (abs.length === 1 && statSync(abs[0]!).isSocket()) agents.set(id, { socket: abs[0]! });
    else agents.set(id, { keys: abs });
  }
  const started = new Map<string, Promise<RunningAgent>>();
  return {
    async secret(id) {
      const src = files.get(id);
      if (!src) return undefined;
      const bytes =
        'path' in src ? await readFile(src.path) : Buffer.from('value' in src ? src.value : '');
      if (bytes.length > MAX_SECRET)
        throw new TsbuildError('SECRET_TOO_BIG', `secret "${id}" is too big: the limit is 500KB`, {
          id,
        });
      return bytes;
    },
    async sshAgent(id) {
      const a = agents.get(id);
      if (!a) return undefined;
      if (a.socket) return a.socket;
      let agent = started.get(id);
      if (!agent) started.set(id, (agent = startAgent(id, a.keys!)));
      return (await agent).socket;
    },
    async close() {
      for (const a of started.values()) await (await a.catch(() => undefined))?.stop();
    },
  };
}

interface RunningAgent {
  socket: string;
  stop(): Promise<void>;
}

/** `ssh-agent -D` on a socket of our own, the key files added to it with `ssh-add`. */
async function startAgent(id: string, keys: string[]): Promise<RunningAgent> {
  const dir = await privateDir('agent');
  const socket = join(dir.path, 'agent.sock');
  const child = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await dir.remove();
  };
  try {
    await waitForSocket(child, socket, id);
    const add = await run('ssh-add', keys, { ...cleanEnv(), SSH_AUTH_SOCK: socket });
    if (add.code !== 0)
      throw new TsbuildError(
        'SSH_SOURCE',
        `--ssh ${id}: ssh-add could not load ${keys.join(', ')}: ${add.stderr.trim().split('\n').pop() ?? ''}`,
        { id },
      );
    return { socket, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** ssh-add must not ask for a passphrase: no terminal, no askpass program. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  return env;
}

async function waitForSocket(child: ChildProcess, socket: string, id: string): Promise<void> {
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new TsbuildError(
          'SSH_SOURCE',
          e.code === 'ENOENT'
            ? `--ssh ${id}: key files need ssh-agent (openssh-client), which is not installed`
            : `--ssh ${id}: ssh-agent did not start: ${e.message}`,
          { id },
        ),
      ),
    );
    child.once('exit', (code) =>
      reject(new TsbuildError('SSH_SOURCE', `--ssh ${id}: ssh-agent exited (${code})`, { id })),
    );
  });
  failed.catch(() => undefined);
  // Listening, not just bound: ssh-agent binds the socket (the file appears) and
  // listens a moment later; an ssh-add in between is refused ("Error connecting
  // to agent: Connection refused") and failed the build.
  for (let i = 0; i < 500; i++) {
    if (existsSync(socket) && (await Promise.race([accepts(socket), failed]))) return;
    await Promise.race([new Promise((r) => setTimeout(r, 10)), failed]);
  }
  throw new TsbuildError('SSH_SOURCE', `--ssh ${id}: ssh-agent made no socket`, { id });
}

/** Whether something listens on the unix socket `path`: a connection is made, then closed. */
function accepts(path: string): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolvePromise(true);
    });
    s.once('error', () => resolvePromise(false));
  });
}

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? 1, stderr }));
  });
}
