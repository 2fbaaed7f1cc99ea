/**
 * `login` and `logout`: credentials checked against the registry, then kept
 * where `docker login` keeps them (credentials.ts), so either tool's login
 * serves both.
 */
import { parseReference, registryHost } from '../image/reference.js';
import { RegistryClient } from '../registry/client.js';
import { eraseCredentials, storeCredentials } from '../registry/credentials.js';
import { abortable } from '../util/abort.js';

export interface LoginRequest {
  /** A registry host (`127.0.0.1:5000`, `ghcr.io`), or a URL of one; default Docker Hub. */
  server?: string;
  username: string;
  password: string;
  /** Where credentials are kept (`DOCKER_CONFIG`, `HOME`) and helpers found (`PATH`); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Hosts that may be reached over plain http (`--insecure-registry`). */
  insecureRegistries?: string[];
  /** Aborting rejects with `signal.reason`; nothing is stored. */
  signal?: AbortSignal;
}

export interface LoginResult {
  /** The registry logged in to, as image references name it (`docker.io`, `127.0.0.1:5000`). */
  server: string;
  /** Where the credentials went: the config.json path, or `docker-credential-NAME`. */
  storedIn: string;
}

export interface LogoutRequest {
  /** As in LoginRequest; default Docker Hub. */
  server?: string;
  env?: NodeJS.ProcessEnv;
  /** Aborting rejects with `signal.reason`. */
  signal?: AbortSignal;
}

export interface LogoutResult {
  server: string;
  /** False when there were no credentials to remove. */
  removed: boolean;
}

/**
 * `docker login`: check the credentials with the registry (`GET /v2/`, through
 * its Basic or token challenge), then store them as docker does, so a later
 * `pull`, `push` or `build` — and the docker CLI — uses them. Credentials the
 * registry refuses are not stored: the call rejects with a REGISTRY_UNAUTHORIZED
 * TsbuildError whose one-line message carries the registry's answer.
 * @example
 *   await login({ server: 'registry.example.com', username: 'ci', password: token });
 *   await push({ reference: 'registry.example.com/team/app:1' }); // as ci
 */
export function login(req: LoginRequest): Promise<LoginResult> {
  return abortable(req.signal, () => checkAndStore(req));
}

async function checkAndStore(req: LoginRequest): Promise<LoginResult> {
  const domain = serverDomain(req.server);
  const client = new RegistryClient(registryHost(domain), domain, {
    credentials: { username: req.username, password: req.password, source: 'the login request' },
    ...(req.env ? { env: req.env } : {}),
    ...(req.insecureRegistries ? { insecure: req.insecureRegistries } : {}),
    ...(req.signal ? { signal: req.signal } : {}),
  });
  try {
    await client.checkLogin();
  } finally {
    await client.close();
  }
  req.signal?.throwIfAborted();
  const storedIn = await storeCredentials(domain, req, req.env ?? process.env);
  return { server: domain, storedIn };
}

/**
 * `docker logout`: forget the server's credentials, in config.json or its
 * credential helper (entries written by older clients as `https://host/` too).
 * @example
 *   const { removed } = await logout({ server: 'registry.example.com' });
 */
export function logout(req: LogoutRequest = {}): Promise<LogoutResult> {
  return abortable(req.signal, async () => {
    const server = serverDomain(req.server);
    return { server, removed: await eraseCredentials(server, req.env ?? process.env) };
  });
}

/** `docker login` takes a host, or a URL of one: the reference domain it stands for. */
export function serverDomain(server: string | undefined): string {
  if (!server) return 'docker.io';
  const host = server.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  return parseReference(`${host}/x`).domain;
}
