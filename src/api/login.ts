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
  /** A registry host (`127.0.0.1:5000`, `ghcr.io`); default Docker Hub. */
  server?: string;
  username: string;
  password: string;
  env?: NodeJS.ProcessEnv;
  insecureRegistries?: string[];
  /** Aborting rejects with `signal.reason` (nothing is stored). */
  signal?: AbortSignal;
}

/** Check the credentials with the registry, then store them; returns where they went. */
export function login(req: LoginRequest): Promise<string> {
  return abortable(req.signal, () => checkAndStore(req));
}

async function checkAndStore(req: LoginRequest): Promise<string> {
  const domain = serverDomain(req.server);
  const client = new RegistryClient(registryHost(domain), domain, {
    credentials: { username: req.username, password: req.password, source: 'the command line' },
    ...(req.env ? { env: req.env } : {}),
    ...(req.insecureRegistries ? { insecure: req.insecureRegistries } : {}),
    ...(req.signal ? { signal: req.signal } : {}),
  });
  try {
    await client.checkLogin();
  } finally {
    await client.close();
  }
  return storeCredentials(domain, req, req.env ?? process.env);
}

/** Forget the credentials; false when there were none. */
export async function logout(req: { server?: string; env?: NodeJS.ProcessEnv }): Promise<boolean> {
  return eraseCredentials(serverDomain(req.server), req.env ?? process.env);
}

/** `docker login` takes a host, or a URL of one: the reference domain it stands for. */
export function serverDomain(server: string | undefined): string {
  if (!server) return 'docker.io';
  const host = server.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  return parseReference(`${host}/x`).domain;
}
