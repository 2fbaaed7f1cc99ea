/**
 * ADD https://example.com/app.tgz /opt/ — a URL is downloaded once, streamed
 * to a file beside the build while its sha256 is computed; that digest is
 * the cache key's view of it (BuildKit's too). Docker 20.10 confirmed: the
 * file is named after the URL's path (the query is not part of it), is mode
 * 0600, takes Last-Modified as its mtime, and is never extracted.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TsbuildError } from '../../errors.js';
import { DigestStream } from '../../util/digest.js';

export interface Download {
  url: string;
  /** The downloaded file on the host. */
  path: string;
  /** Its name in the image when the destination is a directory. */
  name: string;
  /** `sha256:<hex>` of the content. */
  digest: string;
  /** From Last-Modified, when the server sent one. */
  mtime: Date | undefined;
}

export interface DownloadOptions {
  /** A directory for downloads, private to the build. */
  dir: string;
  /** ADD --checksum=sha256:<hex>. */
  checksum?: string;
  signal?: AbortSignal;
}

/** The name BuildKit gives a download: the URL path's last element, or `__unnamed__`. */
export function urlFileName(url: string): string {
  let path: string;
  try {
    path = decodeURIComponent(new URL(url).pathname);
  } catch {
    throw new TsbuildError('DOWNLOAD_FAILED', `ADD ${url}: not a valid URL`, { url });
  }
  const base = posix.basename(path);
  return base === '' || base === '.' || base === '/' ? '__unnamed__' : base;
}

/**
 * @example
 * const d = await download('http://127.0.0.1:8080/app.tgz', { dir: workDir })
 * d.name // 'app.tgz'
 */
export async function download(url: string, opts: DownloadOptions): Promise<Download> {
  const expected = opts.checksum === undefined ? undefined : parseChecksum(opts.checksum);
  let res: Response;
  try {
    res = await fetch(url, { signal: opts.signal, redirect: 'follow' });
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    throw new TsbuildError(
      'DOWNLOAD_FAILED',
      `failed to download ${url}: ${(e as Error).message}`,
      {
        url,
      },
    );
  }
  if (!res.ok || res.body === null) {
    await res.body?.cancel();
    throw new TsbuildError('DOWNLOAD_FAILED', `failed to download ${url}: HTTP ${res.status}`, {
      url,
      status: res.status,
    });
  }
  await mkdir(opts.dir, { recursive: true });
  // A name of its own: the same URL may be fetched again, with another --checksum.
  const path = `${opts.dir}/url-${createHash('sha256').update(url).digest('hex').slice(0, 16)}-${randomUUID()}`;
  const digest = new DigestStream();
  try {
    await pipeline(Readable.fromWeb(res.body as never), digest, createWriteStream(path), {
      signal: opts.signal,
    });
    if (expected !== undefined && digest.digest !== expected) {
      throw new TsbuildError(
        'CHECKSUM_MISMATCH',
        `checksum of ${url} is ${digest.digest}, not the expected ${expected}`,
        { url, expected, actual: digest.digest },
      );
    }
  } catch (e) {
    await rm(path, { force: true }); // nothing half-downloaded or wrong is left for a later step
    throw e;
  }
  const modified = res.headers.get('last-modified');
  const time = modified === null ? NaN : Date.parse(modified);
  return {
    url,
    path,
    name: urlFileName(url),
    digest: digest.digest,
    mtime: Number.isNaN(time) ? undefined : new Date(time),
  };
}

function parseChecksum(value: string): string {
  if (/^sha256:[a-f0-9]{64}$/.test(value)) return value;
  throw new TsbuildError(
    'INVALID_CHECKSUM',
    `invalid --checksum ${JSON.stringify(value)}: expected sha256:<64 hex digits>`,
    { checksum: value },
  );
}
