/**
 * Loopback git servers for tests of git build contexts (issue 6): git's own
 * smart-HTTP CGI (`git http-backend`) behind a Node http server, with optional
 * basic auth per repo and a /files/ route for remote tarball and Dockerfile
 * URLs; and `git daemon` for git:// URLs. Repos come from test/setup/git-repos.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface GitHttpOptions {
  /** Directory holding the bare repos, served as `${url}/<name>.git`. */
  root: string;
  /** Repo name (without `.git`) → the basic-auth credentials it requires. */
  private?: Record<string, { user: string; password: string }>;
  /** Directory served under `${url}/files/<name>`. */
  files?: string;
}

export interface RecordedRequest {
  method: string;
  /** The request target as sent: path and query string. */
  path: string;
  auth?: string;
}

export interface GitHttpServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

const BACKEND = '/usr/lib/git-core/git-http-backend';

/**
 * Fetching a bare commit id (`#<sha>` contexts) needs these; upload-pack refuses
 * a want that is not a ref tip otherwise. Passed as GIT_CONFIG_* so no repo's
 * config is touched; the user's own config is kept out so results are the same
 * on every machine.
 */
export function gitServerEnv(): NodeJS.ProcessEnv {
  const config = [
    ['uploadpack.allowReachableSHA1InWant', 'true'],
    ['uploadpack.allowAnySHA1InWant', 'true'],
    ['uploadpack.allowFilter', 'true'],
  ];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_COUNT: String(config.length),
  };
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/**
 * Serves every bare repo under `root` over git smart HTTP on 127.0.0.1.
 * @example
 *   const srv = await startGitHttp({ root, private: { secret: { user: 'u', password: 'p' } } });
 *   // git clone `${srv.url}/repo.git`; srv.requests lists what was fetched
 *   await srv.stop();
 */
export async function startGitHttp(opts: GitHttpOptions): Promise<GitHttpServer> {
  const requests: RecordedRequest[] = [];
  const children = new Set<ChildProcess>();
  const server = createServer((req, res) => {
    const auth = req.headers.authorization;
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', ...(auth ? { auth } : {}) });
    handle(opts, req, res, children).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(String(err));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    async stop() {
      const closed = new Promise<void>((done) => server.close(() => done()));
      server.closeAllConnections();
      await Promise.all([...children].map((c) => killGroup(c)));
      await closed;
    },
  };
}

async function handle(
  opts: GitHttpOptions,
  req: IncomingMessage,
  res: ServerResponse,
  children: Set<ChildProcess>,
): Promise<void> {
  const target = new URL(req.url ?? '/', 'http://127.0.0.1');
  const path = decodeURIComponent(target.pathname);
  if (path.startsWith('/files/')) return serveFile(opts.files, path.slice('/files/'.length), res);
  const name = /^\/(.+?)\.git(\/|$)/.exec(path)?.[1];
  const cred =
    name === undefined ? undefined : (opts.private?.[name] ?? opts.private?.[`${name}.git`]);
  if (cred) {
    const expected = 'Basic ' + Buffer.from(`${cred.user}:${cred.password}`).toString('base64');
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain' });
      res.end('authentication required\n');
      return;
    }
  }
  const header = (h: string) => {
    const v = req.headers[h];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  const env: NodeJS.ProcessEnv = {
    ...gitServerEnv(),
    GIT_PROJECT_ROOT: opts.root,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    PATH_INFO: path,
    REQUEST_METHOD: req.method ?? 'GET',
    QUERY_STRING: target.search.replace(/^\?/, ''),
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    ...(cred ? { REMOTE_USER: cred.user, AUTH_TYPE: 'Basic' } : {}),
  };
  const cgiHeaders: [string, string | undefined][] = [
    ['CONTENT_TYPE', header('content-type')],
    // Absent for chunked bodies; http-backend then reads to EOF.
    ['CONTENT_LENGTH', header('content-length')],
    // http-backend inflates gzip bodies itself when told the encoding.
    ['HTTP_CONTENT_ENCODING', header('content-encoding')],
    // Protocol v2 is negotiated through this header; http-backend reads it
    // from HTTP_GIT_PROTOCOL, upload-pack from GIT_PROTOCOL.
    ['HTTP_GIT_PROTOCOL', header('git-protocol')],
    ['GIT_PROTOCOL', header('git-protocol')],
  ];
  for (const [k, v] of cgiHeaders) if (v !== undefined) env[k] = v;
  const [cmd, args] = existsSync(BACKEND) ? [BACKEND, []] : ['git', ['http-backend']];
  // Its own process group, so stop() can take upload-pack down with it.
  const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  children.add(child);
  child.on('close', () => children.delete(child));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.on('error', () => {}); // a CGI that answers early (404) stops reading
  req.pipe(child.stdin);
  await relayCgi(child, res, () => stderr);
}

/** Turns CGI output (header block, blank line, body) into the HTTP response. */
async function relayCgi(child: ChildProcess, res: ServerResponse, stderr: () => string) {
  let head: Buffer | undefined = Buffer.alloc(0);
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    if (head === undefined) {
      if (!res.write(chunk)) await once(res, 'drain');
      continue;
    }
    head = Buffer.concat([head, chunk]);
    const crlf = head.indexOf('\r\n\r\n');
    const lf = head.indexOf('\n\n');
    const end = crlf >= 0 && (lf < 0 || crlf < lf) ? [crlf, 4] : lf >= 0 ? [lf, 2] : undefined;
    if (!end) continue;
    const [at, len] = end as [number, number];
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, at).toString('latin1').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const key = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (key.toLowerCase() === 'status') status = parseInt(value, 10);
      else headers[key] = value;
    }
    res.writeHead(status, headers);
    const rest = head.subarray(at + len);
    head = undefined;
    if (rest.length > 0 && !res.write(rest)) await once(res, 'drain');
  }
  if (head !== undefined) {
    const [code] = child.exitCode === null ? await once(child, 'close') : [child.exitCode];
    res.writeHead(500, { 'Content-Type': 'text/plain' });
    res.end(`http-backend exited ${String(code)} without headers: ${stderr()}`);
    return;
  }
  res.end();
}

function serveFile(dir: string | undefined, name: string, res: ServerResponse): void {
  const base = dir === undefined ? undefined : resolve(dir);
  const file = base === undefined ? undefined : resolve(base, name);
  if (!file || !file.startsWith(base + sep) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
    return;
  }
  res.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(statSync(file).size),
  });
  createReadStream(file).pipe(res);
}

export interface GitDaemon {
  url: string;
  stop(): Promise<void>;
}

/**
 * `git daemon` serving every repo under `root` as `git://127.0.0.1:PORT/<name>.git`.
 * @example
 *   const d = await startGitDaemon(root); // git clone `${d.url}/repo.git`
 *   await d.stop();
 */
export async function startGitDaemon(root: string): Promise<GitDaemon> {
  // The port is free when picked, not necessarily when the daemon binds it (a
  // connection's local port, another test's server): then pick another.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const args = ['daemon', '--reuseaddr', '--export-all', '--informative-errors'];
    args.push(`--base-path=${root}`, '--listen=127.0.0.1', `--port=${port}`, root);
    // Its own process group: the daemon forks a child per connection.
    const child = spawn('git', args, {
      env: gitServerEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Listening, however long that takes here (the caller's hook timeout bounds it).
    while (child.exitCode === null && !(await accepts(port))) await sleep(25);
    if (child.exitCode === null)
      return { url: `git://127.0.0.1:${port}`, stop: () => killGroup(child) };
    await killGroup(child);
    if (attempt < 5 && /in use|unable to allocate/i.test(stderr)) continue;
    throw new Error(`git daemon did not start on port ${port}: ${stderr}`);
  }
}

/** A port nobody listened on a moment ago; the daemon binds it right after. */
async function freePort(): Promise<number> {
  const probe = createNetServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/**
 * Ends a detached child and everything in its process group, and waits until
 * the group is empty, so a test can check that nothing was left running.
 */
async function killGroup(child: ChildProcess): Promise<void> {
  const pgid = child.pid;
  if (pgid === undefined) return;
  const signal = (sig: NodeJS.Signals | 0) => {
    try {
      process.kill(-pgid, sig);
      return true;
    } catch {
      return false; // ESRCH: the group is gone
    }
  };
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    signal('SIGTERM');
    await Promise.race([exited, sleep(2_000)]);
  }
  for (let i = 0; signal(0); i++) {
    if (i === 40) signal('SIGKILL');
    await sleep(25);
  }
}
