/**
 * An OCI distribution (Docker Registry HTTP API v2) client for one registry host.
 *
 * - Scheme: https, with the system CAs plus `/etc/docker/certs.d/<host>/ca.crt`
 *   (and `*.crt` there). A loopback host or one named as insecure is tried over
 *   https first and then plain http, as dockerd does for insecure registries.
 * - Auth: a 401's `WWW-Authenticate` decides. `Basic`: the stored credentials.
 *   `Bearer realm,service,scope`: a token from the realm for the scope the
 *   request needs (anonymous, or with the credentials as Basic), kept per scope
 *   until it expires. A second 401, or a 403, is an error saying which
 *   credentials were tried (their source and user), never the secret.
 * - Faults: a dropped connection, 429 and 5xx are retried with exponential
 *   backoff (Retry-After honoured) for requests that can be repeated; a blob
 *   download cut short resumes with a Range request where the registry allows.
 * - Redirects (blob storage) are followed; the Authorization header goes only
 *   to the registry itself.
 */
import { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { TsbuildError } from '../errors.js';
import { sha256 } from '../util/digest.js';
import { isLoopback, sameOrigin } from '../util/net.js';
import { credentialsFor, type Credentials } from './credentials.js';
import {
  MANIFEST_TYPES,
  RETRY_STATUS,
  answered,
  backoff,
  busy,
  cas,
  chunked,
  emptyBody,
  errorAnswer,
  header,
  parseChallenge,
  pull,
  push,
  retryable,
  sniffMediaType,
  withQuery,
  type Response,
} from './http.js';

export interface ClientOptions {
  /** Where credentials are looked up (DOCKER_CONFIG, HOME); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Hosts (`host[:port]`) that may be reached over plain http (`--insecure-registry`). */
  insecure?: string[];
  /** Use these instead of the stored ones (`tsbuild login`). */
  credentials?: Credentials;
  /** Where per-host CAs live; default /etc/docker/certs.d. */
  certsDir?: string;
  /** Attempts for a request that can be repeated; default 5. */
  attempts?: number;
  signal?: AbortSignal;
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

export class RegistryClient {
  private readonly tokens = new Map<string, { token: string; until: number }>();
  private basic = false;
  private base: string | undefined;
  private probed: Promise<string> | undefined;
  private credentials: Credentials | undefined | null = null;
  private readonly agent: Agent;

  /** `host`: the API host (`registryHost(domain)`); `domain`: as in references, for credentials. */
  constructor(
    readonly host: string,
    readonly domain: string,
    private readonly opts: ClientOptions = {},
  ) {
    // An insecure registry (loopback, --insecure-registry) is https without verification
    // first, then http, as dockerd does: a self-signed certificate must not push it to http.
    const insecure = isLoopback(host) || (opts.insecure ?? []).includes(host);
    this.agent = new Agent({
      connect: insecure ? { rejectUnauthorized: false } : { ca: cas(host, opts.certsDir) },
      keepAliveTimeout: 10_000,
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** `GET /v2/`: the registry is there and speaks v2 (a 401 counts: auth comes per request). */
  async ping(): Promise<void> {
    const res = await this.send('GET', '/v2/', { scope: undefined });
    await res.body.dump();
    if (res.status !== 200) throw this.failed(res, 'GET /v2/', undefined);
  }

  /**
   * Check that the credentials are accepted (`tsbuild login`): `/v2/` with them,
   * through whichever challenge it answers with (a token server checks them too).
   */
  async checkLogin(): Promise<void> {
    const res = await this.send('GET', '/v2/', { scope: undefined });
    if (res.status === 401 || res.status === 403) {
      // Say what the registry said (`unauthorized: …`), as docker login does.
      const said = await errorAnswer(res);
      throw this.authError(res.status, `GET /v2/: ${said ?? authDefault(res.status)}`);
    }
    await res.body.dump();
    if (res.status !== 200) throw this.failed(res, 'GET /v2/', undefined);
  }

  async getManifest(repo: string, ref: string): Promise<FetchedManifest> {
    const path = `/v2/${repo}/manifests/${ref}`;
    const attempts = this.opts.attempts ?? 5;
    let res: Response;
    let bytes: Buffer;
    for (let attempt = 1; ; attempt++) {
      res = await this.send('GET', path, {
        scope: pull(repo),
        headers: { accept: MANIFEST_TYPES },
      });
      if (res.status !== 200) throw this.failed(res, path, `${repo}:${ref}`);
      try {
        bytes = Buffer.from(await res.body.arrayBuffer());
        break;
      } catch (e) {
        // The body broke off after the headers: ask again, as for a dropped connection.
        if (attempt >= attempts || !retryable(e)) throw this.networkError(e, `GET ${path}`);
        await backoff(attempt, undefined, this.opts.signal);
      }
    }
    const mediaType = header(res, 'content-type')?.split(';')[0]?.trim() ?? '';
    const digest = sha256(bytes);
    if (ref.startsWith('sha256:') && digest !== ref)
      throw new TsbuildError(
        'DIGEST_MISMATCH',
        `${this.host}/${repo}@${ref}: the registry sent a manifest whose digest is ${digest}`,
        { expected: ref, got: digest },
      );
    return { bytes, mediaType: mediaType || sniffMediaType(bytes), digest };
  }

  /** The manifest's descriptor without its body; undefined when there is none. */
  async headManifest(
    repo: string,
    ref: string,
  ): Promise<{ digest: string; mediaType: string } | undefined> {
    const path = `/v2/${repo}/manifests/${ref}`;
    const res = await this.send('HEAD', path, {
      scope: pull(repo),
      headers: { accept: MANIFEST_TYPES },
    });
    await res.body.dump();
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw this.failed(res, path, `${repo}:${ref}`);
    return {
      digest: header(res, 'docker-content-digest') ?? '',
      mediaType: header(res, 'content-type') ?? '',
    };
  }

  /** The blob's size when the registry has it in `repo`, else undefined. */
  async headBlob(repo: string, digest: string): Promise<number | undefined> {
    const path = `/v2/${repo}/blobs/${digest}`;
    const res = await this.send('HEAD', path, { scope: pull(repo) });
    await res.body.dump();
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw this.failed(res, path, digest);
    return Number(header(res, 'content-length') ?? 0);
  }

  /**
   * The blob's bytes from `offset` on. The caller checks the digest; a cut
   * connection surfaces as a stream error (blobStream() resumes it).
   */
  async getBlob(
    repo: string,
    digest: string,
    offset = 0,
  ): Promise<{ body: Readable; resumed: boolean }> {
    const { body, skip } = await this.blobFrom(repo, digest, offset);
    if (skip === 0) return { body, resumed: offset > 0 };
    // No ranges here: the caller must start over.
    body.destroy();
    return { body: Readable.from([]), resumed: false };
  }

  /** The blob from `offset`: a 206, or a whole 200 whose first `skip` bytes are to be dropped. */
  private async blobFrom(
    repo: string,
    digest: string,
    offset: number,
  ): Promise<{ body: Readable; skip: number }> {
    const path = `/v2/${repo}/blobs/${digest}`;
    const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
    const res = await this.send('GET', path, { scope: pull(repo), headers, redirects: true });
    const body = res.body as unknown as Readable;
    if (res.status === 206 && offset > 0) {
      const start = /^bytes (\d+)-/.exec(header(res, 'content-range') ?? '')?.[1];
      if (start === undefined || Number(start) === offset) return { body, skip: 0 };
      body.destroy();
      throw new TsbuildError(
        'REGISTRY_PROTOCOL',
        `${this.host}/${repo}: asked for ${digest} from byte ${offset}, got a range from ${start}`,
        { digest },
      );
    }
    if (res.status === 200) return { body, skip: offset };
    throw this.failed(res, path, digest);
  }

  /**
   * A blob as one stream that survives dropped connections: each time the body
   * fails part way, the rest is asked for with a Range request (up to the
   * client's attempts). A registry (or blob storage) without ranges sends it
   * all again, and the bytes already passed on are skipped.
   */
  blobStream(repo: string, digest: string): Readable {
    const attempts = this.opts.attempts ?? 5;
    const signal = this.opts.signal;
    const from = (offset: number) => this.blobFrom(repo, digest, offset);
    const broke = (e: unknown) => this.networkError(e, `GET blob ${digest}`);
    async function* gen(): AsyncGenerator<Buffer> {
      let offset = 0;
      for (let attempt = 1; ; attempt++) {
        const got = await from(offset);
        let skip = got.skip;
        try {
          for await (const c of got.body) {
            let chunk = c as Buffer;
            if (skip > 0) {
              const drop = Math.min(skip, chunk.length);
              skip -= drop;
              chunk = chunk.subarray(drop);
              if (chunk.length === 0) continue;
            }
            offset += chunk.length;
            yield chunk;
          }
          return;
        } catch (e) {
          if (attempt >= attempts || !retryable(e)) throw broke(e);
          await backoff(attempt, undefined, signal);
        }
      }
    }
    return Readable.from(gen(), { objectMode: false });
  }

  /** Cross-repository mount: true when the registry now has the blob in `repo`. */
  async mountBlob(repo: string, digest: string, from: string): Promise<boolean> {
    const path = `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    const res = await this.send('POST', path, { scope: `${push(repo)} ${pull(from)}` });
    await res.body.dump();
    if (res.status === 201) return true;
    if (res.status === 202) {
      // Not mounted: the registry opened an upload instead, which we leave to expire.
      return false;
    }
    if (res.status === 404 || res.status === 401 || res.status === 403) return false;
    throw this.failed(res, path, digest);
  }

  /**
   * Upload a blob: POST for a session, then the bytes in one PUT (monolithic)
   * or, when `chunk` is given, PATCHes of that size and a closing PUT. `open`
   * gives the bytes afresh for each attempt.
   */
  async uploadBlob(
    repo: string,
    digest: string,
    size: number,
    open: () => Readable,
    opts: { chunk?: number } = {},
  ): Promise<void> {
    const attempts = this.opts.attempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.uploadOnce(repo, digest, size, open, opts.chunk);
        return;
      } catch (e) {
        // A 429/5xx on a streamed PUT or PATCH cannot be repeated alone: start over.
        if (attempt >= attempts || !(retryable(e) || busy(e))) throw e;
        const after = e instanceof TsbuildError ? e.data.retryAfter : undefined;
        await backoff(attempt, typeof after === 'string' ? after : undefined, this.opts.signal);
      }
    }
  }

  private async uploadOnce(
    repo: string,
    digest: string,
    size: number,
    open: () => Readable,
    chunk: number | undefined,
  ): Promise<void> {
    const start = `/v2/${repo}/blobs/uploads/`;
    const res = await this.send('POST', start, { scope: push(repo) });
    await res.body.dump();
    if (res.status !== 202) throw this.failed(res, start, digest);
    let location = this.absolute(header(res, 'location'));
    if (chunk !== undefined && size > chunk) {
      let offset = 0;
      for await (const piece of chunked(open(), chunk)) {
        const patch = await this.send('PATCH', location, {
          scope: push(repo),
          body: piece,
          headers: {
            'content-type': 'application/octet-stream',
            'content-range': `${offset}-${offset + piece.length - 1}`,
            'content-length': String(piece.length),
          },
          once: true,
        });
        await patch.body.dump();
        if (patch.status !== 202) throw this.failed(patch, 'PATCH upload', digest);
        offset += piece.length;
        location = this.absolute(header(patch, 'location'));
      }
      const done = await this.send('PUT', withQuery(location, 'digest', digest), {
        scope: push(repo),
        headers: { 'content-length': '0' },
        once: true,
      });
      await done.body.dump();
      if (done.status !== 201) throw this.failed(done, 'PUT upload', digest);
      return;
    }
    const put = await this.send('PUT', withQuery(location, 'digest', digest), {
      scope: push(repo),
      body: open,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      once: true,
    });
    await put.body.dump();
    if (put.status !== 201) throw this.failed(put, 'PUT upload', digest);
  }

  /** PUT a manifest; returns the digest the registry gives it. */
  async putManifest(repo: string, ref: string, bytes: Buffer, mediaType: string): Promise<string> {
    const path = `/v2/${repo}/manifests/${ref}`;
    const res = await this.send('PUT', path, {
      scope: push(repo),
      body: bytes,
      headers: { 'content-type': mediaType },
    });
    await res.body.dump();
    if (res.status !== 201) throw this.failed(res, path, `${repo}:${ref}`);
    return header(res, 'docker-content-digest') ?? '';
  }

  // ------------------------------------------------------------ transport

  private absolute(location: string | undefined): string {
    if (!location)
      throw new TsbuildError('REGISTRY_PROTOCOL', `${this.host}: an upload without a Location`);
    return location.startsWith('http') ? location : `${this.base}${location}`;
  }

  /**
   * The registry's base URL, probed once however many requests ask at once
   * (push's layers start together): each probing for itself sent a probe per
   * layer, and a probe that failed for its own reasons could overwrite the
   * scheme another had found.
   */
  private schemeBase(): Promise<string> {
    this.probed ??= this.probeScheme();
    return this.probed;
  }

  private async probeScheme(): Promise<string> {
    const insecure = isLoopback(this.host) || (this.opts.insecure ?? []).includes(this.host);
    if (!insecure) return (this.base = `https://${this.host}`);
    // dockerd: https first, plain http when that fails, for an insecure registry.
    try {
      const res = await request(`https://${this.host}/v2/`, {
        dispatcher: this.agent,
        method: 'GET',
        ...(this.opts.signal ? { signal: this.opts.signal } : {}),
      });
      await res.body.dump();
      return (this.base = `https://${this.host}`);
    } catch {
      return (this.base = `http://${this.host}`);
    }
  }

  /**
   * One request, with auth and retries. `once`: not repeated on a fault (an
   * upload's PUT or PATCH: the caller starts over). A streamed body is given
   * as a function that opens it, so an auth round trip can send it afresh.
   */
  private async send(
    method: string,
    pathOrUrl: string,
    o: {
      scope: string | undefined;
      headers?: Record<string, string>;
      body?: Buffer | (() => Readable);
      once?: boolean;
      redirects?: boolean;
    },
  ): Promise<Response> {
    const base = await this.schemeBase();
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${base}${pathOrUrl}`;
    const attempts = o.once ? 1 : (this.opts.attempts ?? 5);
    let authTried = false;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      let auth: string | undefined;
      const body = typeof o.body === 'function' ? o.body() : o.body;
      try {
        // Credentials and tokens go to the registry itself, never to another origin
        // an upload's Location names (Docker keys its auth by host the same way).
        auth = sameOrigin(url, base) ? await this.authHeader(o.scope) : undefined;
        res = answered(
          await request(url, {
            dispatcher: this.agent,
            method: method as Dispatcher.HttpMethod,
            headers: { ...o.headers, ...(auth ? { authorization: auth } : {}) },
            ...(body !== undefined ? { body } : {}),
            ...(o.redirects ? { maxRedirections: 10 } : {}),
            ...(this.opts.signal ? { signal: this.opts.signal } : {}),
          }),
        );
      } catch (e) {
        if (body instanceof Readable) body.destroy();
        if (attempt >= attempts || !retryable(e))
          throw this.networkError(e, `${method} ${pathOrUrl}`);
        await backoff(attempt, undefined, this.opts.signal);
        continue;
      }
      if (res.status === 401 && !authTried) {
        authTried = true;
        const challenge = header(res, 'www-authenticate');
        await res.body.dump();
        if (body instanceof Readable) body.destroy();
        if (await this.answer(challenge, o.scope, auth?.startsWith('Basic ') ?? false)) {
          attempt--; // the auth round trip is not a failed attempt
          continue;
        }
        return { ...res, body: emptyBody() };
      }
      if (RETRY_STATUS.has(res.status) && attempt < attempts && !o.once) {
        const after = header(res, 'retry-after');
        await res.body.dump();
        await backoff(attempt, after, this.opts.signal);
        continue;
      }
      return res;
    }
  }

  private async creds(): Promise<Credentials | undefined> {
    if (this.credentials === null)
      this.credentials =
        this.opts.credentials ?? (await credentialsFor(this.domain, this.opts.env ?? process.env));
    return this.credentials;
  }

  private async authHeader(scope: string | undefined): Promise<string | undefined> {
    if (this.basic) {
      const c = await this.creds();
      if (c) return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
    }
    const t = this.tokens.get(scope ?? '');
    if (t && t.until > Date.now()) return `Bearer ${t.token}`;
    return undefined;
  }

  /**
   * Meet a 401's challenge; false when there is nothing more to try. Whether
   * Basic credentials were refused is a fact of this request, not of the
   * client: requests sent at once (push's layers) all go out bare, and every
   * one of them gets the challenge after the first has switched Basic on.
   */
  private async answer(
    challenge: string | undefined,
    scope: string | undefined,
    sentBasic: boolean,
  ): Promise<boolean> {
    const parsed = parseChallenge(challenge ?? '');
    if (parsed?.scheme === 'basic') {
      const c = await this.creds();
      if (!c || sentBasic) return false;
      this.basic = true;
      return true;
    }
    if (parsed?.scheme !== 'bearer' || !parsed.params.realm) return false;
    const token = await this.fetchToken(parsed.params, scope ?? parsed.params.scope);
    this.tokens.set(scope ?? '', token);
    return true;
  }

  private async fetchToken(
    params: Record<string, string>,
    scope: string | undefined,
  ): Promise<{ token: string; until: number }> {
    const realm = new URL(params.realm!);
    if (params.service) realm.searchParams.set('service', params.service);
    for (const s of (scope ?? '').split(' ').filter(Boolean)) realm.searchParams.append('scope', s);
    const c = await this.creds();
    const headers: Record<string, string> = c
      ? { authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` }
      : {};
    const res = await this.tokenResponse(realm, headers);
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = (await res.body.json()) as typeof body;
    } catch (e) {
      if (retryable(e)) throw this.networkError(e, `token from ${realm.origin}`);
      throw new TsbuildError(
        'REGISTRY_PROTOCOL',
        `${realm.origin}: the token server's answer is not JSON (${(e as Error).message})`,
      );
    }
    const token = body.token ?? body.access_token;
    if (!token)
      throw new TsbuildError(
        'REGISTRY_PROTOCOL',
        `${realm.origin}: the token server sent no token`,
      );
    // Docker's default lifetime is 60 s; keep a margin.
    return { token, until: Date.now() + Math.max((body.expires_in ?? 60) - 10, 5) * 1000 };
  }

  /** The token server's 200, retried like the registry on a dropped connection, 429 or 5xx. */
  private async tokenResponse(realm: URL, headers: Record<string, string>): Promise<Response> {
    const attempts = this.opts.attempts ?? 5;
    const what = `token from ${realm.origin}`;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = answered(
          await request(realm.toString(), {
            dispatcher: this.agent,
            method: 'GET',
            headers,
            ...(this.opts.signal ? { signal: this.opts.signal } : {}),
          }),
        );
      } catch (e) {
        if (attempt >= attempts || !retryable(e)) throw this.networkError(e, what);
        await backoff(attempt, undefined, this.opts.signal);
        continue;
      }
      if (res.status === 200) return res;
      // Only 401 and 403 are about the credentials; a server that is down is not.
      // What it says (`unauthorized: bad credentials`) is what docker login shows.
      if (res.status === 401 || res.status === 403) {
        const said = await errorAnswer(res);
        throw this.authError(
          res.status,
          `the token server ${realm.origin}${realm.pathname} refused${said ? `: ${said}` : ''}`,
        );
      }
      await res.body.dump();
      if (RETRY_STATUS.has(res.status) && attempt < attempts) {
        await backoff(attempt, header(res, 'retry-after'), this.opts.signal);
        continue;
      }
      throw new TsbuildError(
        'REGISTRY_ERROR',
        `${this.host}: the token server ${realm.origin}${realm.pathname}: HTTP ${res.status}`,
        { host: this.host, status: res.status },
      );
    }
  }

  // ------------------------------------------------------------ errors

  private tried(): string {
    const c = this.credentials;
    return c ? `credentials of ${c.username || 'a token'} from ${c.source}` : 'no credentials';
  }

  private authError(status: number, what: string): TsbuildError {
    return new TsbuildError(
      status === 403 ? 'REGISTRY_DENIED' : 'REGISTRY_UNAUTHORIZED',
      `${this.named(what)} (HTTP ${status}; tried ${this.tried()})`,
      { host: this.host, status },
    );
  }

  /** `host/repo:tag: …` for an image, as BuildKit says it; `host: …` for anything else. */
  private named(what: string): string {
    return /^[a-z0-9][^:\s]*:[^\s/]+: /.test(what) && !what.startsWith('sha256:')
      ? `${this.host}/${what}`
      : `${this.host}: ${what}`;
  }

  private failed(res: Response, what: string, subject: string | undefined): TsbuildError {
    const status = res.status;
    void res.body.dump?.().catch(() => undefined);
    if (status === 401 || status === 403)
      return this.authError(status, `${subject ?? what}: ${authDefault(status)}`);
    if (status === 404)
      return new TsbuildError('REGISTRY_NOT_FOUND', this.named(`${subject ?? what}: not found`), {
        host: this.host,
        status,
      });
    const retryAfter = header(res, 'retry-after');
    return new TsbuildError('REGISTRY_ERROR', `${this.host}: ${what}: HTTP ${status}`, {
      host: this.host,
      status,
      ...(retryAfter !== undefined ? { retryAfter } : {}),
    });
  }

  private networkError(e: unknown, what: string): TsbuildError {
    if (e instanceof TsbuildError) return e;
    const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
    // Our caller's abort passes through; undici's own "Request aborted" is a fault like any.
    if (this.opts.signal?.aborted) return e as TsbuildError;
    const code = err.code ?? err.cause?.code ?? '';
    const unknownHost = code === 'ENOTFOUND' || code === 'EAI_AGAIN';
    return new TsbuildError(
      unknownHost ? 'REGISTRY_UNKNOWN_HOST' : 'REGISTRY_CONNECTION',
      `${this.host}: ${what}: ${unknownHost ? 'unknown host' : (err.cause?.message ?? err.message)}${code ? ` (${code})` : ''}`,
      { host: this.host, code },
    );
  }
}

/** What a 401 or 403 means when the registry's answer says nothing readable. */
function authDefault(status: number): string {
  return status === 401 ? 'authentication required' : 'denied';
}
