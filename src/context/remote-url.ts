/**
 * `tsbuild build https://host/ctx.tar.gz` — a build context that is an http(s)
 * URL and not a git repository, downloaded to a temp file. Whether the body is
 * an archive or a bare Dockerfile is decided afterwards from its bytes, by
 * `sniffContext`, as docker's CLI and BuildKit do: neither trusts Content-Type
 * (servers send `application/octet-stream` for a file named `Dockerfile`).
 *
 * Docker's CLI (build.GetContextFromURL) reports a failure as
 * `unable to download remote context <url>: …`, with the URL as typed,
 * password and all; here every message and `data.url` carry `redactUrl(url)`.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TsbuildError } from '../errors.js';

export interface Download {
  /** The response body, as received. */
  path: string;
  /** Removes the temp file; safe twice. */
  close(): Promise<void>;
}

export interface DownloadContextOptions {
  /** Where the `remote-*` directory holding the body is made. */
  tmpDir: string;
  signal?: AbortSignal;
  /** Largest body accepted; 2 GiB unless given. */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;
/** What the fetch standard allows, and what `redirect: 'follow'` would do. */
const MAX_REDIRECTS = 20;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Enough of an error page to say why, not so much that a 1 GiB 404 is read. */
const ERROR_BODY_LIMIT = 1024;
/**
 * The authority ends at the first / ? # (or \ for http), and its user info
 * runs to the last @ before that. Not anchored: error text from below (undici
 * puts the URL mid-sentence) goes through it too.
 */
const USER_INFO = /\b([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^/?#\\\s]*@/g;

/**
 * Hide the user information of a URL, keeping the rest as written (no
 * normalisation, so the user recognises it). Also works on text that does not
 * parse as a URL, since it is used on the way to reporting that.
 *
 * @example
 * redactUrl('https://user:pw@example.com/ctx.tgz') // 'https://***@example.com/ctx.tgz'
 * redactUrl('https://example.com/ctx.tgz')         // unchanged
 */
export function redactUrl(url: string): string {
  return url.replace(USER_INFO, '$1***@');
}

/**
 * Download `url` into a fresh `remote-*` directory under `opts.tmpDir`,
 * streaming it to disk. User info in the URL is sent as basic auth, to the
 * URL's own origin only. On failure nothing is left behind.
 *
 * @example
 * const d = await downloadContext('https://example.com/ctx.tar.gz', { tmpDir });
 * try {
 *   const s = await sniffContext(createReadStream(d.path), redactUrl(url));
 *   // …
 * } finally {
 *   await d.close();
 * }
 */
export async function downloadContext(
  url: string,
  opts: DownloadContextOptions,
): Promise<Download> {
  const shown = redactUrl(url);
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const { target, authorization } = parseContextUrl(url, shown);
  const res = await follow(target, authorization, shown, opts.signal);

  let dir: string | undefined;
  try {
    if (!res.ok) throw await statusError(res, shown);
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > maxBytes) throw tooLarge(shown, maxBytes);
    dir = await mkdtemp(join(opts.tmpDir, 'remote-'));
    const path = join(dir, 'body');
    // Content-Length can be absent or wrong (chunked, compressed transfer): count what arrives.
    await pipeline(
      res.body === null ? Readable.from([]) : Readable.fromWeb(res.body as never),
      byteLimit(maxBytes, () => tooLarge(shown, maxBytes)),
      createWriteStream(path),
      { signal: opts.signal },
    );
    const made = dir;
    return { path, close: () => rm(made, { recursive: true, force: true }) };
  } catch (e) {
    await res.body?.cancel().catch(() => undefined);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The URL fetch is given (fetch refuses user info in it) and the header that replaces it. */
function parseContextUrl(url: string, shown: string): { target: URL; authorization?: string } {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new TsbuildError('CONTEXT_DOWNLOAD_FAILED', `${prefix(shown)}: not a valid URL`, {
      url: shown,
    });
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new TsbuildError('CONTEXT_DOWNLOAD_FAILED', `${prefix(shown)}: not an http(s) URL`, {
      url: shown,
    });
  }
  if (target.username === '' && target.password === '') return { target };
  const user = decodeURIComponent(target.username);
  const password = decodeURIComponent(target.password);
  target.username = '';
  target.password = '';
  const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  return { target, authorization };
}

/**
 * GET with redirects followed by hand, so that a hop from https to http is
 * refused before it is made (fetch's own following cannot be stopped), and the
 * credentials go to the origin they were written for and nowhere else.
 */
async function follow(
  start: URL,
  authorization: string | undefined,
  shown: string,
  signal: AbortSignal | undefined,
): Promise<Response> {
  let at = start;
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = {};
    if (authorization !== undefined && at.origin === start.origin) {
      headers.authorization = authorization;
    }
    const res = await get(at, headers, shown, signal);
    const location = res.headers.get('location');
    if (!REDIRECT_STATUSES.has(res.status) || location === null) return res;
    await res.body?.cancel().catch(() => undefined);
    if (hop === MAX_REDIRECTS) {
      throw new TsbuildError(
        'CONTEXT_DOWNLOAD_FAILED',
        `${prefix(shown)}: stopped after ${MAX_REDIRECTS} redirects`,
        { url: shown },
      );
    }
    const next = new URL(location, at);
    if (at.protocol === 'https:' && next.protocol !== 'https:') {
      throw new TsbuildError(
        'CONTEXT_DOWNLOAD_FAILED',
        `${prefix(shown)}: refusing a redirect from https to ${redactUrl(next.href)}`,
        { url: shown, location: redactUrl(next.href) },
      );
    }
    next.username = '';
    next.password = '';
    at = next;
  }
}

async function get(
  at: URL,
  headers: Record<string, string>,
  shown: string,
  signal: AbortSignal | undefined,
): Promise<Response> {
  try {
    return await fetch(at, { headers, redirect: 'manual', signal });
  } catch (e) {
    if (signal?.aborted) throw e;
    const reason = systemReason(e);
    throw new TsbuildError('CONTEXT_UNREACHABLE', `${prefix(shown)}: ${reason.message}`, {
      url: shown,
      ...(reason.code === undefined ? {} : { reason: reason.code }),
    });
  }
}

/** undici says only "fetch failed"; the socket's error (ECONNREFUSED, ENOTFOUND, …) is its cause. */
function systemReason(e: unknown): { code?: string; message: string } {
  const cause = (e as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? cause : e instanceof Error ? e : new Error(String(e));
  const code = (inner as { code?: unknown }).code;
  return {
    code: typeof code === 'string' ? code : undefined,
    message: redactUrl(inner.message),
  };
}

/** Docker's `failed to GET … with status …`, shortened: the URL is already in the prefix. */
async function statusError(res: Response, shown: string): Promise<TsbuildError> {
  const status = `${res.status} ${res.statusText}`.trim();
  return new TsbuildError('CONTEXT_DOWNLOAD_FAILED', `${prefix(shown)}: ${status}`, {
    url: shown,
    status: res.status,
    body: await errorBody(res),
  });
}

/** The start of an error page, which often says why (Docker prints all of it). */
async function errorBody(res: Response): Promise<string> {
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let length = 0;
  try {
    while (length < ERROR_BODY_LIMIT) {
      const r = await reader.read();
      if (r.done) break;
      parts.push(r.value);
      length += r.value.length;
    }
  } catch {
    // The status already says what went wrong; a body cut short adds nothing.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(parts).subarray(0, ERROR_BODY_LIMIT).toString('utf8').trim();
}

function byteLimit(maxBytes: number, error: () => Error): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      seen += chunk.length;
      if (seen > maxBytes) done(error());
      else done(null, chunk);
    },
  });
}

function tooLarge(shown: string, maxBytes: number): TsbuildError {
  return new TsbuildError(
    'CONTEXT_TOO_LARGE',
    `${prefix(shown)}: larger than the limit of ${maxBytes} bytes`,
    { url: shown, maxBytes },
  );
}

function prefix(shown: string): string {
  return `unable to prepare context: unable to download remote context ${shown}`;
}
