import { createReadStream, existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sniffContext } from '../../src/context/context-tar.js';
import { downloadContext, redactUrl } from '../../src/context/remote-url.js';
import { TsbuildError } from '../../src/errors.js';
import { rejected } from '../helpers/caught.js';
import { tempRoot } from '../helpers/tmp.js';

const DOCKERFILE = 'FROM scratch\nCOPY a.txt /\n';
const BASIC = `Basic ${Buffer.from('user:s3cret').toString('base64')}`;

async function tarGz(): Promise<Buffer> {
  const p = pack();
  p.entry({ name: 'Dockerfile', mode: 0o644 }, DOCKERFILE);
  p.entry({ name: 'a.txt', mode: 0o644 }, 'hello\n');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function listen(handler: Handler): Promise<{ server: Server; base: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A port nothing listens on: taken from the kernel, then let go. */
async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

let tgz: Buffer;
let base: string;
let other: string;
const servers: Server[] = [];
const seenAuth: Record<string, string | undefined> = {};

beforeAll(async () => {
  tgz = await tarGz();
  const elsewhere = await listen((req, res) => {
    seenAuth.elsewhere = req.headers.authorization;
    res.end(tgz);
  });
  other = elsewhere.base;
  const main = await listen((req, res) => {
    const path = req.url ?? '/';
    if (path === '/ctx.tar.gz') {
      res.writeHead(200, { 'content-type': 'application/gzip' }).end(tgz);
    } else if (path === '/Dockerfile') {
      // What many static servers send for a file without an extension.
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(DOCKERFILE);
    } else if (path === '/moved') {
      res.writeHead(302, { location: '/ctx.tar.gz' }).end('see /ctx.tar.gz');
    } else if (path === '/loop') {
      res.writeHead(307, { location: '/loop' }).end();
    } else if (path === '/away') {
      res.writeHead(301, { location: `${other}/ctx.tar.gz` }).end();
    } else if (path === '/private.tar.gz') {
      seenAuth.private = req.headers.authorization;
      if (req.headers.authorization === BASIC) res.end(tgz);
      else res.writeHead(401, { 'www-authenticate': 'Basic' }).end('who are you?');
    } else if (path === '/big') {
      // Chunked, no Content-Length: the limit has to be found by counting.
      for (let i = 0; i < 64; i++) res.write(Buffer.alloc(1024, 'x'));
      res.end();
    } else if (path === '/big-declared') {
      res.writeHead(200, { 'content-length': String(64 * 1024) }).end(Buffer.alloc(64 * 1024));
    } else if (path === '/slow') {
      res.write(Buffer.alloc(1024, 'x')); // and never ends
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such context\n');
    }
  });
  base = main.base;
  servers.push(elsewhere.server, main.server);
});

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

function withAuth(url: string): string {
  return url.replace('http://', 'http://user:s3cret@');
}

describe('redactUrl', () => {
  it.each([
    ['https://user:pw@h/x', 'https://***@h/x'],
    ['https://token@h:8443/x?y=1', 'https://***@h:8443/x?y=1'],
    ['https://h/x@y', 'https://h/x@y'],
    ['https://a@b:c@h/x', 'https://***@h/x'],
    ['https://h', 'https://h'],
    ['fetch failed for http://u:p@h/ ok', 'fetch failed for http://***@h/ ok'],
  ])('%s → %s', (url, want) => {
    expect(redactUrl(url)).toBe(want);
  });
});

describe('downloadContext', () => {
  it('downloads a tar.gz byte for byte, and sniffContext takes it for an archive', async () => {
    const tmpDir = tempRoot();
    const d = await downloadContext(`${base}/ctx.tar.gz`, { tmpDir });
    expect(d.path.startsWith(tmpDir)).toBe(true);
    expect(readFileSync(d.path).equals(tgz)).toBe(true);
    expect((await sniffContext(createReadStream(d.path), d.path)).kind).toBe('archive');
    await d.close();
  });

  it('downloads a plain Dockerfile whatever its Content-Type', async () => {
    const d = await downloadContext(`${base}/Dockerfile`, { tmpDir: tempRoot() });
    expect(readFileSync(d.path, 'utf8')).toBe(DOCKERFILE);
    const s = await sniffContext(createReadStream(d.path), d.path);
    expect(s.kind === 'text' && (await s.text())).toBe(DOCKERFILE);
    await d.close();
  });

  it('follows a redirect', async () => {
    const d = await downloadContext(`${base}/moved`, { tmpDir: tempRoot() });
    expect(readFileSync(d.path).equals(tgz)).toBe(true);
    await d.close();
  });

  it('gives up after 20 redirects', async () => {
    const tmpDir = tempRoot();
    const e = await rejected(downloadContext(`${base}/loop`, { tmpDir }));
    expect(e).toBeInstanceOf(TsbuildError);
    expect(e.code).toBe('CONTEXT_DOWNLOAD_FAILED');
    expect(e.message).toMatch(/stopped after 20 redirects$/);
    expect(readdirSync(tmpDir)).toEqual([]);
  });

  it('reports a 404 as Docker does, naming the redacted URL', async () => {
    const tmpDir = tempRoot();
    const url = withAuth(`${base}/x.tgz`);
    const e = (await rejected(downloadContext(url, { tmpDir }))) as TsbuildError;
    expect(e).toBeInstanceOf(TsbuildError);
    expect(e.code).toBe('CONTEXT_DOWNLOAD_FAILED');
    const shown = `http://***@${base.slice('http://'.length)}/x.tgz`;
    expect(e.message).toBe(
      `unable to prepare context: unable to download remote context ${shown}: 404 Not Found`,
    );
    expect(e.data).toEqual({ url: shown, status: 404, body: 'no such context' });
    expect(readdirSync(tmpDir)).toEqual([]);
  });

  it('reports a refused connection as CONTEXT_UNREACHABLE with the system reason', async () => {
    const port = await closedPort();
    const url = `http://user:s3cret@127.0.0.1:${port}/ctx.tar.gz`;
    const e = (await rejected(downloadContext(url, { tmpDir: tempRoot() }))) as TsbuildError;
    expect(e.code).toBe('CONTEXT_UNREACHABLE');
    expect(e.message).toContain(`http://***@127.0.0.1:${port}/ctx.tar.gz`);
    expect(e.message).toContain('ECONNREFUSED');
    expect(e.data.reason).toBe('ECONNREFUSED');
    expect(JSON.stringify([e.message, e.data])).not.toContain('s3cret');
  });

  it('sends user:pw from the URL as basic auth, to that origin only', async () => {
    const d = await downloadContext(withAuth(`${base}/private.tar.gz`), { tmpDir: tempRoot() });
    expect(seenAuth.private).toBe(BASIC);
    expect(readFileSync(d.path).equals(tgz)).toBe(true);
    await d.close();

    const away = await downloadContext(withAuth(`${base}/away`), { tmpDir: tempRoot() });
    expect(seenAuth.elsewhere).toBeUndefined();
    await away.close();
  });

  it('keeps credentials out of every error', async () => {
    const wrong = `${base.replace('http://', 'http://user:wrong@')}/private.tar.gz`;
    const errors = await Promise.all([
      rejected(downloadContext(wrong, { tmpDir: tempRoot() })),
      rejected(downloadContext(withAuth(`${base}/nope`), { tmpDir: tempRoot() })),
      rejected(downloadContext(withAuth(`${base}/big`), { tmpDir: tempRoot(), maxBytes: 10 })),
      rejected(downloadContext(withAuth(`${base}/loop`), { tmpDir: tempRoot() })),
      rejected(downloadContext('ftp://user:s3cret@h/x', { tmpDir: tempRoot() })),
    ]);
    expect(errors.map((e) => e.code)).toEqual([
      'CONTEXT_DOWNLOAD_FAILED',
      'CONTEXT_DOWNLOAD_FAILED',
      'CONTEXT_TOO_LARGE',
      'CONTEXT_DOWNLOAD_FAILED',
      'CONTEXT_DOWNLOAD_FAILED',
    ]);
    for (const e of errors) {
      const text = JSON.stringify([e.message, (e as TsbuildError).data]);
      expect(text).not.toMatch(/s3cret|wrong/);
      expect(text).toContain('***@');
    }
    expect(errors[0]?.message).toMatch(/: 401 Unauthorized$/);
  });

  it.each(['/big', '/big-declared'])(
    'refuses a body over maxBytes (%s) and leaves no temp dir',
    async (path) => {
      const tmpDir = tempRoot();
      const e = (await rejected(
        downloadContext(`${base}${path}`, { tmpDir, maxBytes: 4096 }),
      )) as TsbuildError;
      expect(e.code).toBe('CONTEXT_TOO_LARGE');
      expect(e.data.maxBytes).toBe(4096);
      expect(readdirSync(tmpDir)).toEqual([]);
    },
  );

  it('stops when the signal aborts, and leaves no temp dir', async () => {
    const tmpDir = tempRoot();
    const ac = new AbortController();
    const p = downloadContext(`${base}/slow`, { tmpDir, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    const e = await rejected(p);
    expect(e.name).toBe('AbortError');
    expect(readdirSync(tmpDir)).toEqual([]);
  });

  it('close() removes the file, and may be called twice', async () => {
    const tmpDir = tempRoot();
    const d = await downloadContext(`${base}/ctx.tar.gz`, { tmpDir });
    expect(existsSync(d.path)).toBe(true);
    await d.close();
    await d.close();
    expect(existsSync(d.path)).toBe(false);
    expect(readdirSync(tmpDir)).toEqual([]);
  });
});
