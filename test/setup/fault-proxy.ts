/**
 * A fault-injecting HTTP proxy on 127.0.0.1, put between the registry client
 * and a loopback registry (test/setup/registry.ts) to make the faults of issue
 * 7 happen on cue: a response body cut after N bytes, 429/503 answers (with
 * Retry-After) for the first K requests matching a path, a connection dropped
 * mid-upload, a hook run part way through a response (to kill the registry
 * mid-pull or mid-push). The Host header is passed on unchanged, so the
 * registry's upload Locations point back at the proxy.
 *
 * @example
 *   const proxy = await startFaultProxy(reg.url);
 *   proxy.cutOnce(/\/blobs\/sha256:/, 1000); // the next blob body stops after 1000 bytes
 *   await pull({ reference: `${proxy.host}/x/y:1` });
 *   expect(proxy.log.some((r) => r.range)).toBe(true);
 *   await proxy.close();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  createServer,
  request,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** What the proxy saw: one line per request from the client. */
export interface Seen {
  method: string;
  path: string;
  range?: string;
  /** The fault the proxy applied to it, if any. */
  fault?: string;
}

type Match = RegExp | ((method: string, path: string) => boolean);

interface Rule {
  match: Match;
  /** How many more matching requests it applies to. */
  left: number;
  name: string;
  apply(req: IncomingMessage, res: ServerResponse): 'handled' | Partial<Fault>;
}

/** What happens to one forwarded request. */
interface Fault {
  /** Destroy the client connection after this many response body bytes. */
  cutAfter: number;
  /** Send only this many response body bytes, as if that were all. */
  truncateTo: number;
  /** Destroy the client connection after this many request body bytes. */
  dropUploadAfter: number;
  /** Run when the connection is cut (cutAfter). */
  hook: () => void;
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`, as in image references. */
  host: string;
  log: Seen[];
  /** The next matching response's body stops after `bytes` (the connection is cut). */
  cutOnce(match: Match, bytes: number): void;
  /** The next matching response is whole but short: its first `bytes`, Content-Length to match. */
  truncateOnce(match: Match, bytes: number): void;
  /** The first `times` matching requests get `status` (and `Retry-After: retryAfter`). */
  failFirst(
    match: Match,
    times: number,
    status: number,
    retryAfter?: number,
    headers?: Record<string, string>,
  ): void;
  /** The next matching request's connection is dropped after `bytes` of its body. */
  dropUploadOnce(match: Match, bytes: number): void;
  /** When the next matching response has sent `bytes` of its body: run `fn`, cut the connection. */
  killAfter(match: Match, bytes: number, fn: () => void): void;
  /** When the next matching request arrives: run `fn`, drop the connection unanswered. */
  killOnRequest(match: Match, fn: () => void): void;
  /** From now on, Range headers are not passed on: a registry that always sends it all. */
  noRanges(): void;
  /** Stop listening and drop every connection. */
  close(): Promise<void>;
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const rules: Rule[] = [];
  const log: Seen[] = [];
  const sockets = new Set<Socket>();
  const opts = { ranges: true };

  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    const seen: Seen = {
      method: req.method ?? 'GET',
      path,
      ...(req.headers.range ? { range: req.headers.range } : {}),
    };
    log.push(seen);
    let fault: Partial<Fault> = {};
    const rule = rules.find((r) => r.left > 0 && matches(r.match, seen.method, path));
    if (rule) {
      rule.left--;
      seen.fault = rule.name;
      const r = rule.apply(req, res);
      if (r === 'handled') return;
      fault = r;
    }
    if (!opts.ranges) delete req.headers.range;
    forward(req, res, target, fault);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  // The client tries https first on loopback: a TLS hello is not HTTP, so drop it.
  server.on('clientError', (_e, socket) => socket.destroy());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  const add = (match: Match, left: number, name: string, apply: Rule['apply']) =>
    rules.push({ match, left, name, apply });
  return {
    host,
    log,
    cutOnce: (match, bytes) => add(match, 1, `cut after ${bytes}`, () => ({ cutAfter: bytes })),
    truncateOnce: (match, bytes) =>
      add(match, 1, `truncate to ${bytes}`, () => ({ truncateTo: bytes })),
    failFirst: (match, times, status, retryAfter, headers = {}) =>
      add(match, times, `status ${status}`, (req, res) => {
        req.resume();
        res.writeHead(status, {
          ...headers,
          'content-type': 'application/json',
          ...(retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {}),
        });
        res.end(JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'fault proxy' }] }));
        return 'handled';
      }),
    dropUploadOnce: (match, bytes) =>
      add(match, 1, `drop upload after ${bytes}`, () => ({ dropUploadAfter: bytes })),
    killAfter: (match, bytes, fn) =>
      add(match, 1, `kill after ${bytes}`, () => ({ cutAfter: bytes, hook: fn })),
    killOnRequest: (match, fn) =>
      add(match, 1, 'kill on request', (req) => {
        fn();
        req.socket.destroy();
        return 'handled';
      }),
    noRanges: () => void (opts.ranges = false),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

function matches(m: Match, method: string, path: string): boolean {
  return typeof m === 'function' ? m(method, path) : m.test(`${method} ${path}`);
}

function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: URL,
  fault: Partial<Fault>,
): void {
  const up = request({
    host: target.hostname,
    port: target.port,
    method: req.method,
    path: req.url,
    headers: req.headers as OutgoingHttpHeaders,
  });
  // Upstream gone (killed, refused): the client sees its connection dropped.
  // Once a cut is under way, upstream's failures wait for it.
  let cutting = false;
  const cut = () => {
    req.socket.destroy();
    up.destroy();
  };
  const drop = () => {
    if (!cutting) cut();
  };
  up.on('error', drop);
  let sent = 0;
  req.on('data', (chunk: Buffer) => {
    if (fault.dropUploadAfter !== undefined && sent + chunk.length >= fault.dropUploadAfter) {
      up.write(chunk.subarray(0, Math.max(0, fault.dropUploadAfter - sent)));
      return drop();
    }
    sent += chunk.length;
    up.write(chunk);
  });
  req.on('end', () => up.end());
  req.on('error', drop);
  up.on('response', (answer) => {
    const headers = { ...answer.headers };
    if (fault.truncateTo !== undefined) headers['content-length'] = String(fault.truncateTo);
    res.writeHead(answer.statusCode ?? 502, headers);
    let out = 0;
    if (fault.cutAfter !== undefined) {
      // Headers first, body later: the client has its response before the cut.
      res.flushHeaders();
      answer.pause();
      setTimeout(() => answer.resume(), 50);
    }
    answer.on('data', (chunk: Buffer) => {
      if (fault.truncateTo !== undefined) {
        const room = Math.max(0, fault.truncateTo - out);
        out += chunk.length;
        if (room > 0) res.write(chunk.subarray(0, room));
        return;
      }
      if (fault.cutAfter !== undefined && out + chunk.length >= fault.cutAfter) {
        cutting = true;
        fault.hook?.();
        // A pause before the cut, so the client has read what was sent (undici drops
        // what it still holds when the socket fails).
        res.write(chunk.subarray(0, fault.cutAfter - out), () => setTimeout(cut, 100));
        answer.destroy();
        return;
      }
      out += chunk.length;
      res.write(chunk);
    });
    answer.on('end', () => res.end());
    answer.on('error', drop);
    answer.on('aborted', drop);
  });
}

/**
 * Start the registry a test killed again, on its old port and storage: the
 * config `startRegistry` wrote sits beside the storage directory.
 */
export async function restartRegistry(
  storage: string,
  url: string,
): Promise<{ stop(): Promise<void> }> {
  const child: ChildProcess = spawn(
    'docker-registry',
    ['serve', join(dirname(storage), 'config.yml')],
    {
      stdio: 'ignore',
    },
  );
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await fetch(`${url}/v2/`).catch(() => undefined);
    if (res?.status === 200 || res?.status === 401) return { stop };
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry did not come back at ${url}`);
    }
    await sleep(50);
  }
}
