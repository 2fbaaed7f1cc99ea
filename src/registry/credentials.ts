/**
 * Registry credentials where Docker keeps them: `$DOCKER_CONFIG/config.json`
 * (default `~/.docker/config.json`), read and written the way the docker CLI
 * does, so `docker login` and `tsbuild login` share one file:
 *
 * - `credHelpers[host]`, else `credsStore`: the `docker-credential-<name>`
 *   program (`get`, `store`, `erase`, the host on stdin, JSON out);
 * - else `auths[host].auth`: base64 of `user:password` (an `identitytoken`
 *   there is an OAuth refresh token, sent as the password of user
 *   `<token>` — as containerd does with one);
 * - Docker Hub's key is `https://index.docker.io/v1/`; other hosts are keyed by
 *   `host[:port]`, and a key written with a scheme or a path matches too.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { TsbuildError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';

export interface Credentials {
  username: string;
  password: string;
  /** Where they came from, for error messages (never the secret itself). */
  source: string;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

const HUB_KEY = 'https://index.docker.io/v1/';
const HUB_DOMAINS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export function configPath(env: NodeJS.ProcessEnv): string {
  const dir = env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker');
  return join(dir, 'config.json');
}

/** The key a domain's credentials are stored under. */
export function configKey(domain: string): string {
  return HUB_DOMAINS.has(domain) ? HUB_KEY : domain;
}

async function readConfig(env: NodeJS.ProcessEnv): Promise<DockerConfig> {
  const path = configPath(env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
  try {
    return JSON.parse(text) as DockerConfig;
  } catch (e) {
    throw new TsbuildError('BAD_DOCKER_CONFIG', `${path}: ${(e as Error).message}`, { path });
  }
}

/** The stored credentials for `domain` (a reference's domain), if any. */
export async function credentialsFor(
  domain: string,
  env: NodeJS.ProcessEnv,
): Promise<Credentials | undefined> {
  const config = await readConfig(env);
  const key = configKey(domain);
  const helper = config.credHelpers?.[key] ?? config.credsStore;
  if (helper) {
    const got = await runHelper(helper, 'get', key, env).catch((e: unknown) => {
      // The helper knows nothing of this host: as anonymous, as docker does.
      if (e instanceof TsbuildError && e.code === 'CREDENTIALS_NOT_FOUND') return undefined;
      throw e;
    });
    if (got) {
      const { Username, Secret } = helperAnswer(got, helper);
      if (Secret)
        return {
          username: Username ?? '',
          password: Secret,
          source: `docker-credential-${helper}`,
        };
    }
  }
  const entry = findAuth(config, key);
  if (!entry) return undefined;
  const source = configPath(env);
  if (entry.identitytoken) return { username: '<token>', password: entry.identitytoken, source };
  if (!entry.auth) return undefined;
  const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = plain.indexOf(':');
  if (colon < 0)
    throw new TsbuildError(
      'BAD_DOCKER_CONFIG',
      `${source}: the auth for ${key} is not user:password`,
      {
        path: source,
      },
    );
  return { username: plain.slice(0, colon), password: plain.slice(colon + 1), source };
}

/** `{"ServerURL":…,"Username":…,"Secret":…}`; a parse error would quote the secret, so it is not passed on. */
function helperAnswer(text: string, helper: string): { Username?: string; Secret?: string } {
  try {
    return JSON.parse(text) as { Username?: string; Secret?: string };
  } catch {
    throw new TsbuildError(
      'CREDENTIAL_HELPER_FAILED',
      `docker-credential-${helper} get: its answer is not JSON`,
      { helper: `docker-credential-${helper}` },
    );
  }
}

function findAuth(config: DockerConfig, key: string) {
  const auths = config.auths ?? {};
  if (auths[key]) return auths[key];
  // Keys written as https://host/ or http://host/v2/ by older clients.
  for (const [k, v] of Object.entries(auths)) if (hostOfKey(k) === key) return v;
  return undefined;
}

/** `https://host:5000/v2/` → `host:5000`; Docker Hub's own key stays whole. */
function hostOfKey(k: string): string {
  return k === HUB_KEY ? k : k.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
}

/** `tsbuild login`: remember credentials for `domain`, in the helper when one is configured. */
export async function storeCredentials(
  domain: string,
  creds: { username: string; password: string },
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const config = await readConfig(env);
  const key = configKey(domain);
  const helper = config.credHelpers?.[key] ?? config.credsStore;
  if (helper) {
    await runHelper(
      helper,
      'store',
      JSON.stringify({ ServerURL: key, Username: creds.username, Secret: creds.password }),
      env,
    );
    // As docker: the entry stays in auths, empty, so the host is listed as logged in.
    config.auths = { ...config.auths, [key]: {} };
  } else {
    const auth = Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
    config.auths = { ...config.auths, [key]: { auth } };
  }
  await writeConfig(config, env);
  return helper ? `docker-credential-${helper}` : configPath(env);
}

/** `tsbuild logout`: forget them; false when there was nothing to forget. */
export async function eraseCredentials(domain: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const config = await readConfig(env);
  const key = configKey(domain);
  const helper = config.credHelpers?.[key] ?? config.credsStore;
  let found = false;
  if (helper)
    found = await runHelper(helper, 'erase', key, env).then(
      () => true,
      () => false,
    );
  // As docker logout: the key as written by older clients (https://host/, http://host/v2/) too.
  const keys = Object.keys(config.auths ?? {}).filter((k) => k === key || hostOfKey(k) === key);
  if (keys.length > 0) {
    for (const k of keys) delete config.auths![k];
    found = true;
    await writeConfig(config, env);
  }
  return found;
}

async function writeConfig(config: DockerConfig, env: NodeJS.ProcessEnv): Promise<void> {
  const path = configPath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // 0600: it holds passwords.
  await writeFileAtomic(path, `${JSON.stringify(config, null, '\t')}\n`, 0o600);
}

function runHelper(
  name: string,
  action: 'get' | 'store' | 'erase',
  input: string,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const program = `docker-credential-${name}`;
  return new Promise((resolve, reject) => {
    const child = execFile(program, [action], { env, maxBuffer: 1 << 20 }, (err, stdout) => {
      if (!err) return resolve(stdout);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT')
        return reject(
          new TsbuildError(
            'CREDENTIAL_HELPER_MISSING',
            `${configPath(env)} names the credential helper ${program}, which is not installed`,
            { helper: program },
          ),
        );
      const said = String(stdout).trim();
      if (/credentials not found/i.test(said))
        return reject(new TsbuildError('CREDENTIALS_NOT_FOUND', `${program}: ${said}`));
      reject(
        new TsbuildError(
          'CREDENTIAL_HELPER_FAILED',
          `${program} ${action}: ${said || err.message}`,
          {
            helper: program,
          },
        ),
      );
    });
    child.stdin?.end(input);
  });
}
