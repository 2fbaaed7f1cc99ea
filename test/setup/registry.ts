/**
 * Loopback container registries for tests of the registry client (issue 7):
 * Debian's CNCF distribution registry (`docker-registry` 2.8) on 127.0.0.1 with
 * a temp storage dir, anonymous, with htpasswd Basic auth, or with token auth
 * against a small Docker-token-spec server in this file.
 *
 * @example
 *   const reg = await startRegistry({ auth: 'token' });
 *   // push to `${reg.host}/test/x:1` as alice:alice-pw; reg.token.issued lists the grants
 *   expect(await reg.requests()).toContain('PUT /v2/test/x/manifests/1');
 *   await reg.stop();
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate, randomBytes, randomUUID, sign } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';

export type RegistryAuth = 'none' | 'htpasswd' | 'token';

export interface RegistryOptions {
  auth?: RegistryAuth;
  /** user → password, for htpasswd and token modes; default `{ alice: 'alice-pw' }`. */
  users?: Record<string, string>;
  /** Lets clients DELETE manifests and blobs (the registry answers 405 otherwise). */
  deleteEnabled?: boolean;
  /** Serve https with a self-signed certificate (no CA anyone trusts). */
  tls?: boolean;
}

/** One token the token server handed out; `user` is absent for anonymous requests. */
export interface IssuedToken {
  user?: string;
  /** The requested scopes, space-separated, e.g. `repository:test/x:pull,push`. */
  scope: string;
}

export interface Registry {
  /** `127.0.0.1:PORT`, as in image references. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** The registry's filesystem storage root. */
  storage: string;
  users: Record<string, string>;
  /** Token mode only: the token server's base URL (the realm is `${url}/token`). */
  token?: { url: string; issued: IssuedToken[] };
  /** The registry process, so tests can prove it is gone. */
  pid: number;
  /** The registry's access log so far, one `METHOD /path?query` per request, in order. */
  requests(): Promise<string[]>;
  /** SIGTERM, wait for exit, close the token server, remove temp dirs. Safe after kill(). */
  stop(): Promise<void>;
  /** SIGKILL now (a registry dying mid-push or mid-pull) and drop the token server. */
  kill(): void;
}

export const TOKEN_SERVICE = 'test-registry';
export const TOKEN_ISSUER = 'test-issuer';

const run = promisify(execFile);

/** Registries still running, killed if the test process exits without stopping them. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Starts a registry (and, for `auth: 'token'`, its token server) on loopback.
 * @example
 *   const reg = await startRegistry({ auth: 'htpasswd' }); // alice:alice-pw
 *   await fetch(`${reg.url}/v2/`); // 401, WWW-Authenticate: Basic realm="test-registry"
 */
export async function startRegistry(opts: RegistryOptions = {}): Promise<Registry> {
  const auth = opts.auth ?? 'none';
  const users = opts.users ?? { alice: 'alice-pw' };
  const dir = await mkdtemp(join(tmpdir(), 'tsbuild-registry-'));
  const storage = join(dir, 'storage');
  let tokens: TokenServer | undefined;
  try {
    let authConfig: object | undefined;
    if (auth === 'htpasswd') {
      const path = join(dir, 'htpasswd');
      // Cost 4, the least Go's bcrypt accepts: the registry checks it on every request.
      const lines = Object.entries(users).map(([u, p]) => `${u}:${bcrypt.hashSync(p, 4)}\n`);
      await writeFile(path, lines.join(''));
      authConfig = { htpasswd: { realm: TOKEN_SERVICE, path } };
    } else if (auth === 'token') {
      tokens = await startTokenServer(dir, users);
      authConfig = {
        token: {
          realm: `${tokens.url}/token`,
          service: TOKEN_SERVICE,
          issuer: TOKEN_ISSUER,
          rootcertbundle: tokens.certPath,
        },
      };
    }
    let tls: { certificate: string; key: string } | undefined;
    if (opts.tls) {
      tls = { certificate: join(dir, 'tls-cert.pem'), key: join(dir, 'tls-key.pem') };
      await run('openssl', [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
        ...['-keyout', tls.key, '-out', tls.certificate, '-days', '2', '-subj', '/CN=127.0.0.1'],
        ...['-addext', 'subjectAltName=IP:127.0.0.1'],
      ]);
    }
    const config = (port: number) => ({
      version: '0.1',
      log: { level: 'info', accesslog: { disabled: false } },
      storage: {
        filesystem: { rootdirectory: storage },
        cache: { blobdescriptor: 'inmemory' },
        ...(opts.deleteEnabled ? { delete: { enabled: true } } : {}),
      },
      // An explicit secret only silences the "generated random secret" warning.
      http: {
        addr: `127.0.0.1:${port}`,
        secret: randomBytes(16).toString('hex'),
        ...(tls ? { tls } : {}),
      },
      ...(authConfig ? { auth: authConfig } : {}),
    });
    const proc = await launch(dir, config, tls ? 'https' : 'http');
    return registry(proc, dir, storage, users, tokens, tls ? 'https' : 'http');
  } catch (err) {
    tokens?.closeNow();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

interface Launched {
  child: ChildProcess;
  port: number;
  exited: Promise<void>;
  access: { text: string; at: number };
}

/**
 * Starts `docker-registry serve` on a free port and waits for `GET /v2/`. The
 * config is written as JSON, which is YAML too. The port is found by binding
 * :0 and closing, so another process can take it first: then try a new one.
 */
async function launch(
  dir: string,
  config: (port: number) => object,
  scheme: 'http' | 'https' = 'http',
): Promise<Launched> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const path = join(dir, 'config.yml');
    await writeFile(path, JSON.stringify(config(port), null, 2));
    const child = spawn('docker-registry', ['serve', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    // Settles on exit, or on a failed spawn (which may emit no 'exit').
    let failed: Error | undefined;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (e) => resolve(void (failed = e)));
    }).finally(() => live.delete(child));
    // The access log (Apache combined format) goes to stdout; logrus to stderr.
    const access = { text: '', at: Date.now() };
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      access.text += s;
      access.at = Date.now();
    });
    let log = '';
    // distribution logs this once it holds the port: a server answering there
    // before it does is some other test's, which took the port first.
    let bound = false;
    const listening = `listening on 127.0.0.1:${port}`;
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      log = (log + s).slice(-8192);
      if (log.includes(listening)) bound = true;
    });
    try {
      await untilReady(
        `${scheme}://127.0.0.1:${port}/v2/`,
        exited,
        () => bound,
        () => failed?.message ?? log,
      );
      return { child, port, exited, access };
    } catch (err) {
      child.kill('SIGKILL');
      await exited;
      if (attempt >= 3 || !/address already in use/.test(log)) throw err;
    }
  }
}

async function untilReady(
  url: string,
  exited: Promise<void>,
  bound: () => boolean,
  log: () => string,
): Promise<void> {
  let gone: Error | undefined;
  void exited.then(() => (gone = new Error(`docker-registry exited:\n${log()}`)));
  const deadline = Date.now() + 15_000;
  while (!gone) {
    if (Date.now() > deadline) throw new Error(`docker-registry not ready at ${url}:\n${log()}`);
    if (!bound()) {
      await sleep(20);
      continue;
    }
    const res = await (
      url.startsWith('https:')
        ? httpsStatus(url)
        : fetch(url, { signal: AbortSignal.timeout(1000) })
    ).catch(() => undefined);
    // With auth on, the ping answers 401 with the challenge: that is ready too.
    if (res?.status === 200 || res?.status === 401) return;
    await sleep(50);
  }
  throw gone;
}

function registry(
  proc: Launched,
  dir: string,
  storage: string,
  users: Record<string, string>,
  tokens: TokenServer | undefined,
  scheme: 'http' | 'https' = 'http',
): Registry {
  const { child, port, exited, access } = proc;
  const running = () => child.exitCode === null && child.signalCode === null;
  const host = `127.0.0.1:${port}`;
  return {
    host,
    url: `${scheme}://${host}`,
    storage,
    users,
    ...(tokens ? { token: { url: tokens.url, issued: tokens.issued } } : {}),
    pid: child.pid ?? -1,
    async requests() {
      // The registry logs a request after answering it: wait for the log to go quiet.
      await sleep(50);
      const deadline = Date.now() + 2000;
      while (running() && Date.now() - access.at < 100 && Date.now() < deadline) await sleep(20);
      const lines = access.text.split('\n');
      return lines.flatMap((l) => {
        const m = /"([A-Z]+) (\S+) HTTP\/[\d.]+"/.exec(l);
        return m ? [`${m[1]} ${m[2]}`] : [];
      });
    },
    async stop() {
      if (running()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await tokens?.close();
      await rm(dir, { recursive: true, force: true });
    },
    kill() {
      child.kill('SIGKILL');
      tokens?.closeNow();
    },
  };
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

interface TokenServer {
  url: string;
  certPath: string;
  issued: IssuedToken[];
  close(): Promise<void>;
  closeNow(): void;
}

/**
 * Docker's token server spec (distribution docs/spec/auth/token.md), enough
 * for tests: `GET /token?service=…&scope=repository:NAME:pull,push` (scope may
 * repeat), optional Basic auth. Anonymous callers get pull on any repository;
 * a known user gets what it asks; a wrong password gets 401.
 */
async function startTokenServer(dir: string, users: Record<string, string>): Promise<TokenServer> {
  const keyPath = join(dir, 'token-key.pem');
  const certPath = join(dir, 'token-cert.pem');
  // Node makes keys but not certificates; the registry trusts the cert as rootcertbundle.
  await run('openssl', [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'],
    ...['-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=test-issuer'],
  ]);
  const key = await readFile(keyPath, 'utf8');
  // distribution 2.8 (token.go) checks an `x5c` chain against its roots; a
  // `kid` would have to be a libtrust fingerprint.
  const x5c = [new X509Certificate(await readFile(certPath)).raw.toString('base64')];
  const issued: IssuedToken[] = [];
  const server = createServer((req, res) => {
    try {
      serveToken(req, res, users, key, x5c, issued);
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    certPath,
    issued,
    close: () => closeServer(server),
    closeNow: () => void closeServer(server),
  };
}

function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  return closed;
}

function serveToken(
  req: IncomingMessage,
  res: ServerResponse,
  users: Record<string, string>,
  key: string,
  x5c: string[],
  issued: IssuedToken[],
): void {
  const url = new URL(req.url ?? '/', 'http://token');
  if (req.method !== 'GET' || url.pathname !== '/token') {
    res.writeHead(404).end();
    return;
  }
  const user = basicUser(req.headers.authorization, users);
  if (user === null) {
    res.writeHead(401, {
      'Content-Type': 'application/json',
      'WWW-Authenticate': `Basic realm="${TOKEN_SERVICE}"`,
    });
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
    return;
  }
  const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ').filter(Boolean));
  const access = scopes.flatMap((scope) => grant(scope, user !== undefined));
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: TOKEN_ISSUER,
    sub: user ?? '',
    // The registry rejects a token meant for another service, as it should.
    aud: url.searchParams.get('service') ?? '',
    exp: now + 300,
    nbf: now,
    iat: now,
    jti: randomUUID(),
    access,
  };
  const token = jwt({ typ: 'JWT', alg: 'ES256', x5c }, claims, key);
  issued.push({ ...(user !== undefined ? { user } : {}), scope: scopes.join(' ') });
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(
    JSON.stringify({
      token,
      access_token: token,
      expires_in: 300,
      issued_at: new Date(now * 1000).toISOString(),
    }),
  );
}

/** The Basic-auth user: undefined when none is given, null when it is wrong. */
function basicUser(header: string | undefined, users: Record<string, string>) {
  if (!header) return undefined;
  const m = /^Basic\s+(\S+)$/i.exec(header);
  if (!m?.[1]) return null;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  const [name, password] = [text.slice(0, colon), text.slice(colon + 1)];
  return colon > 0 && Object.hasOwn(users, name) && users[name] === password ? name : null;
}

/** `repository:test/x:pull,push` → the access entry granted (none if nothing is). */
function grant(scope: string, known: boolean) {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last <= first) return [];
  const type = scope.slice(0, first);
  const asked = scope.slice(last + 1).split(',');
  const actions = known ? asked : type === 'repository' ? asked.filter((a) => a === 'pull') : [];
  return actions.length ? [{ type, name: scope.slice(first + 1, last), actions }] : [];
}

/** A compact JWS; ES256 signatures are r‖s (JOSE), not DER, hence ieee-p1363. */
function jwt(header: object, claims: object, key: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${part(header)}.${part(claims)}`;
  const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

/** A GET of a self-signed https URL (fetch cannot skip verification): its status. */
function httpsStatus(url: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(url, { rejectUnauthorized: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

/**
 * A HOME whose ~/.docker/config.json logs `user` into `host` (Docker's `auths`
 * form): pass `{ HOME: home }` as a request's env.
 */
export function loggedInHome(host: string, user = 'alice', password = 'alice-pw'): string {
  const home = mkdtempSync(join(tmpdir(), 'tsbuild-home-'));
  mkdirSync(join(home, '.docker'));
  const auth = Buffer.from(`${user}:${password}`).toString('base64');
  writeFileSync(join(home, '.docker/config.json'), JSON.stringify({ auths: { [host]: { auth } } }));
  return home;
}
