/**
 * The HTTP pieces the registry client is made of: the shape of an answer,
 * which failures are worth another attempt and how long to wait, challenge
 * parsing, and the CAs a host is checked against.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { rootCertificates } from 'node:tls';
import type { Dispatcher } from 'undici';
import { TsbuildError } from '../errors.js';

/** What the registry answers to a request, its body still to be read (or dumped). */
export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
export const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

export const pull = (repo: string) => `repository:${repo}:pull`;
export const push = (repo: string) => `repository:${repo}:pull,push`;

export function answered(r: Dispatcher.ResponseData): Response {
  return { status: r.statusCode, headers: r.headers, body: r.body };
}

export function header(res: Response, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function emptyBody(): Response['body'] {
  return Object.assign(Readable.from([]), {
    dump: async () => undefined,
    arrayBuffer: async () => new ArrayBuffer(0),
    json: async () => ({}),
    text: async () => '',
  }) as unknown as Response['body'];
}

/** `Bearer realm="…",service="…",scope="…"` → scheme and params. */
export function parseChallenge(
  h: string,
): { scheme: string; params: Record<string, string> } | undefined {
  const m = /^\s*(\w+)\s*(.*)$/.exec(h);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let p = re.exec(m[2]!); p; p = re.exec(m[2]!))
    params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme: m[1]!.toLowerCase(), params };
}

export function retryable(e: unknown): boolean {
  const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  if (err?.name === 'AbortError') return false;
  if (e instanceof TsbuildError) return e.code === 'REGISTRY_CONNECTION';
  const code = err?.code ?? err?.cause?.code;
  return code !== undefined && NETWORK_CODES.has(code);
}

/** The registry said "later" (429, 5xx) to a request that could not be repeated alone. */
export function busy(e: unknown): boolean {
  return (
    e instanceof TsbuildError &&
    e.code === 'REGISTRY_ERROR' &&
    RETRY_STATUS.has(e.data.status as number)
  );
}

export async function backoff(
  attempt: number,
  retryAfter: string | undefined,
  signal?: AbortSignal,
) {
  const asked =
    retryAfter !== undefined && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : 0;
  const ms =
    Math.min(Math.max(asked, 100 * 2 ** (attempt - 1)), 10_000) * (0.75 + Math.random() / 2);
  await sleep(ms, undefined, signal ? { signal } : {});
}

export function withQuery(location: string, key: string, value: string): string {
  const u = new URL(location);
  u.searchParams.set(key, value);
  return u.toString();
}

export async function* chunked(input: Readable, size: number): AsyncGenerator<Buffer> {
  let held: Buffer[] = [];
  let n = 0;
  for await (const c of input) {
    held.push(c as Buffer);
    n += (c as Buffer).length;
    while (n >= size) {
      const all = Buffer.concat(held, n);
      yield all.subarray(0, size);
      held = [all.subarray(size)];
      n -= size;
    }
  }
  if (n > 0) yield Buffer.concat(held, n);
}

/** The system CAs and the registry's own from certs.d, as dockerd trusts them. */
export function cas(host: string, certsDir = '/etc/docker/certs.d'): string[] {
  const dir = join(certsDir, host);
  let extra: string[] = [];
  try {
    extra = readdirSync(dir)
      .filter((f) => f.endsWith('.crt'))
      .map((f) => readFileSync(join(dir, f), 'utf8'));
  } catch {
    // No directory for this host: the system CAs alone.
  }
  return [...rootCertificates, ...extra];
}

export function sniffMediaType(bytes: Buffer): string {
  try {
    return (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? '';
  } catch {
    return '';
  }
}

/** The most of an error body read for its message: error bodies are small. */
const ANSWER_BYTES = 16 * 1024;

/**
 * What a refusal says, in one line, as Docker shows it: a distribution error
 * body `{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}` is
 * `unauthorized: bad credentials` (errcode's lower-cased code, then the
 * message); an OAuth one `{"error":…,"error_description":…}` its description;
 * short plain text itself. Undefined when the body says nothing readable. The
 * body is consumed.
 * @example
 *   if (res.status === 401) reason = (await errorAnswer(res)) ?? 'authentication required';
 */
export async function errorAnswer(res: Response): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of res.body as AsyncIterable<Buffer>) {
      chunks.push(c);
      size += c.length;
      if (size >= ANSWER_BYTES) break;
    }
  } catch {
    return undefined; // a body cut short says nothing we can trust
  } finally {
    res.body.destroy();
  }
  const text = Buffer.concat(chunks).subarray(0, ANSWER_BYTES).toString('utf8');
  return oneLine(fromJson(text) ?? (/^\s*[{[<]/.test(text) ? '' : text));
}

function fromJson(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const { errors, error, error_description: description } = body as Record<string, unknown>;
  if (Array.isArray(errors)) {
    const said = errors.flatMap((e: unknown) => {
      const { code, message } = (e ?? {}) as Record<string, unknown>;
      const name = typeof code === 'string' ? code.toLowerCase().replace(/_/g, ' ') : '';
      const text = typeof message === 'string' ? message : '';
      return name || text ? [name && text ? `${name}: ${text}` : name || text] : [];
    });
    return said.join('; ');
  }
  if (typeof description === 'string') return description;
  return typeof error === 'string' ? error : '';
}

/** Control characters and line breaks out, whitespace runs made one space, at most 200 characters. */
function oneLine(text: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\x00-\x1f\x7f\s]+/g, ' ').trim();
  if (flat === '') return undefined;
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}
