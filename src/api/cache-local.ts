/**
 * A build cache in a directory: `--cache-to type=local,dest=DIR[,tag=T][,mode=min|max]`
 * and `--cache-from type=local,src=DIR[,tag=T|digest=D]` — the directory a CI
 * cache action (actions/cache) saves and restores.
 *
 * The directory is an OCI image layout, as BuildKit's local cache exporter
 * writes one: `oci-layout`, `index.json` naming the cache manifest by tag
 * (`org.opencontainers.image.ref.name`, default `latest`; another tag's entry is
 * kept), and `blobs/sha256/…`. The manifest and its records are the registry
 * cache's (cache-records.ts), so both caches work the same way.
 *
 * Writing: blobs first, each to a temp name beside it and renamed (content
 * addressed: one already there is kept), then `index.json` replaced by a
 * rename, under `index.json.lock` as BuildKit's: an interrupted export leaves
 * the old index whole, and at worst blobs nothing names. Nothing is written
 * through a symlink inside DIR (`blobs` or `blobs/sha256` being one is refused;
 * a rename replaces a link, never its target), so the export stays in DIR.
 *
 * Reading: blob paths come only from validated `sha256:` digests, files are
 * opened without following symlinks, and every blob is checked against its
 * digest. A missing or unreadable DIR, tag or blob is a warning and the build
 * goes on without it, as BuildKit's client does ("local cache import at DIR
 * not found"); a DIR that holds something else (BuildKit's own cache format)
 * says so.
 */
import { constants, createWriteStream } from 'node:fs';
import { lstat, mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import lockfile from 'proper-lockfile';
import { TsbuildError, failingAs } from '../errors.js';
import {
  IMAGE_NAME_ANNOTATION,
  MediaType,
  REF_NAME_ANNOTATION,
  layerCompression,
  type Descriptor,
  type Manifest,
} from '../image/types.js';
import type { Store } from '../store/store.js';
import { DIGEST_RE, DigestStream, digestHex, sha256 } from '../util/digest.js';
import { fsyncDir, writeFileAtomic } from '../util/atomic.js';
import {
  CACHE_CONFIG_TYPE,
  cacheManifest,
  collectRecords,
  parseRecords,
  type CacheSource,
} from './cache-records.js';
import type { CacheSpec } from './cache-spec.js';
import type { IngestSession } from './ingest.js';

type LocalSpec = Extract<CacheSpec, { type: 'local' }>;

interface Index {
  schemaVersion: 2;
  mediaType?: string;
  manifests: (Descriptor & { annotations?: Record<string, string> })[];
  [extra: string]: unknown;
}

/** Write the records of `keys` (and their layers) to `spec.dir`, named `spec.tag`. */
export async function exportLocalCache(
  store: Store,
  keys: string[],
  spec: LocalSpec,
): Promise<{ digest: string; records: number }> {
  const { dir } = spec;
  return failingAs({ writing: 'the build cache', within: dir }, async () => {
    try {
      await mkdir(dir, { recursive: true });
      const blobDir = join(dir, 'blobs', 'sha256');
      await realDir(join(dir, 'blobs'), dir, true);
      await realDir(blobDir, dir, true);
      const { records, blobs } = await collectRecords(store, keys, true);
      for (const blob of blobs) await putBlob(blobDir, blob, () => store.blobs.open(blob.digest));
      const { config, configDesc, manifest, manifestDesc } = cacheManifest(records, blobs);
      await putBlob(blobDir, configDesc, () => [config]);
      await putBlob(blobDir, manifestDesc, () => [manifest]);
      await fsyncDir(blobDir);
      await withIndexLock(dir, async () => {
        await writeFileAtomic(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
        const index = (await readIndex(dir).catch(() => undefined)) ?? {
          schemaVersion: 2,
          mediaType: MediaType.ociIndex,
          manifests: [],
        };
        // BuildKit's ociindex.Put: the entry of the same tag is replaced, others kept.
        index.manifests = index.manifests.filter(
          (m) => isObject(m) && m.annotations?.[REF_NAME_ANNOTATION] !== spec.tag,
        );
        index.manifests.push({ ...manifestDesc, annotations: { [REF_NAME_ANNOTATION]: spec.tag } });
        await writeFileAtomic(join(dir, 'index.json'), JSON.stringify(index));
      });
      return { digest: manifestDesc.digest, records: records.length };
    } catch (e) {
      // A path that cannot be made or written (EACCES, ENOTDIR): one line naming it.
      if (e instanceof TsbuildError || !isFsError(e)) throw e;
      throw new TsbuildError('CACHE_EXPORT', `exporting cache to ${dir}: ${(e as Error).message}`);
    }
  });
}

/**
 * The cache in `spec.dir` as a source, or a warning saying why there is none.
 * A record's layer is copied into the store (checked against both digests)
 * only when its step hits.
 */
export async function importLocalCache(
  store: Store,
  session: IngestSession,
  spec: LocalSpec,
  /** A warning during the build (a record's blob that cannot be read). */
  warn: (message: string) => void,
): Promise<{ source: CacheSource } | { warning: string }> {
  const { dir } = spec;
  const where = `local cache import at ${dir}`;
  const st = await stat(dir).catch(() => undefined);
  if (!st) return { warning: `${where} not found` };
  if (!st.isDirectory()) return { warning: `${where}: not a directory` };
  try {
    const blobDir = join(dir, 'blobs', 'sha256');
    await realDir(join(dir, 'blobs'), dir, false);
    await realDir(blobDir, dir, false);
    const index = await readIndex(dir);
    const desc = spec.digest
      ? { digest: spec.digest }
      : index.manifests.find(
          (m) =>
            isObject(m) &&
            (m.annotations?.[IMAGE_NAME_ANNOTATION] === spec.tag ||
              m.annotations?.[REF_NAME_ANNOTATION] === spec.tag),
        );
    if (!desc) return { warning: `${where} skipped: no manifest tagged ${spec.tag}` };
    if (typeof desc.digest !== 'string' || !DIGEST_RE.test(desc.digest))
      return { warning: `${where} skipped: index.json names no valid digest for ${spec.tag}` };
    const manifest = JSON.parse(
      (await readBlob(blobDir, desc.digest)).toString('utf8'),
    ) as Manifest | null;
    if (!isObject(manifest) || !isObject(manifest.config))
      return { warning: `${where} skipped: the manifest ${desc.digest} names no config` };
    const configType = manifest.config.mediaType;
    if (configType !== CACHE_CONFIG_TYPE)
      return {
        warning: `${where} skipped: not a tsbuild cache (its config is ${configType ?? 'missing'}; BuildKit's cache format is not read)`,
      };
    if (typeof manifest.config.digest !== 'string' || !DIGEST_RE.test(manifest.config.digest))
      return { warning: `${where} skipped: the manifest names no valid config digest` };
    const records = parseRecords(await readBlob(blobDir, manifest.config.digest), where, true);
    return {
      source: {
        records,
        layer: async (r) => {
          const { diffID, blob } = r.layer;
          const have = await store.layerDescriptor(diffID);
          if (have) return have;
          const compression = layerCompression(blob!.mediaType) ?? 'gzip';
          // A blob gone (pruned, a partial restore) or a symlink: a miss, and why.
          const bytes = await openBlob(blobDir, blob!.digest).catch((e: unknown) => {
            if (!(e instanceof TsbuildError)) throw e;
            warn(`${where}: ${e.message}: the step runs`);
            return undefined;
          });
          if (!bytes) return undefined;
          // A blob that is not what its record says (damaged, or tampered with
          // in a restored CI cache) is a miss too, as a missing one: the step
          // runs, and the bad bytes never become its layer.
          return session
            .putLayer(bytes, compression, {
              diffID,
              blobDigest: blob!.digest,
              source: `cache ${dir}: layer ${blob!.digest}`,
            })
            .catch((e: unknown) => {
              if (!(e instanceof TsbuildError)) throw e;
              warn(`${where}: ${e.message}: the step runs`);
              return undefined;
            });
        },
      },
    };
  } catch (e) {
    if (e instanceof TsbuildError || isFsError(e))
      return { warning: `${where} skipped: ${(e as Error).message}` };
    if (e instanceof SyntaxError) return { warning: `${where} skipped: a file is not JSON` };
    throw e;
  }
}

/** `path` must be a directory of its own, not a symlink (created when `create`). */
async function realDir(path: string, dir: string, create: boolean): Promise<void> {
  let st = await lstat(path).catch(() => undefined);
  if (!st && create) {
    await mkdir(path).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
    st = await lstat(path);
  }
  if (!st) throw fsError('ENOENT', `${path} does not exist`);
  if (!st.isDirectory())
    throw new TsbuildError(
      'CACHE_PATH',
      `${path} is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'}: the cache stays inside ${dir}`,
    );
}

/**
 * A blob put under its digest: to a temp name, checked, renamed. One already
 * there stays only when its bytes hash to its name: a damaged blob of the right
 * size would otherwise survive every export and fail every import.
 */
async function putBlob(
  blobDir: string,
  desc: Descriptor,
  bytes: () => Readable | Iterable<Buffer> | Promise<Readable>,
): Promise<void> {
  const path = join(blobDir, digestHex(desc.digest));
  const have = await lstat(path).catch(() => undefined);
  if (have?.isFile() && have.size === desc.size && (await fileDigest(path)) === desc.digest) return;
  const tmp = join(blobDir, `.tmp-${randomBytes(6).toString('hex')}`);
  try {
    const check = new DigestStream();
    await pipeline(await bytes(), check, createWriteStream(tmp, { flags: 'wx' }));
    if (check.digest !== desc.digest)
      throw new TsbuildError(
        'DIGEST_MISMATCH',
        `blob ${desc.digest} came out as ${check.digest} while writing the cache`,
      );
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * A cache file opened for reading only if it is a regular file of its own:
 * not through a symlink (O_NOFOLLOW), and not a FIFO or a device, which would
 * block the build for good or never end (O_NONBLOCK makes opening a FIFO return
 * at once, so fstat can refuse it). The directory is input, as a restored CI
 * cache can hold anything.
 */
async function openRegular(path: string, what: string): Promise<FileHandle> {
  const fh = await open(
    path,
    constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
  ).catch((e: unknown) => {
    const link = (e as NodeJS.ErrnoException).code === 'ELOOP';
    throw new TsbuildError(
      'CACHE_INVALID',
      link ? `${what} ${path} is a symlink` : `${what} ${path}: ${(e as Error).message}`,
    );
  });
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new TsbuildError('CACHE_INVALID', `${what} ${path} is not a regular file`);
  }
  return fh;
}

/** A whole small file (index, manifest, records), refused past MAX_SMALL bytes. */
async function readSmall(path: string, what: string): Promise<Buffer> {
  const fh = await openRegular(path, what);
  try {
    const { size } = await fh.stat();
    if (size > MAX_SMALL)
      throw new TsbuildError('CACHE_INVALID', `${what} ${path} is ${size} bytes, too large`);
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/** Manifests, records and index.json are JSON text; a cache of many thousand steps stays far below. */
const MAX_SMALL = 64 << 20;

/** A layer blob to stream; one that is missing, a symlink or not a file is a CACHE_INVALID error. */
async function openBlob(blobDir: string, digest: string): Promise<Readable> {
  const fh = await openRegular(join(blobDir, digestHex(digest)), 'cache blob');
  return fh.createReadStream();
}

/** A small blob (manifest, config), checked against its digest. */
async function readBlob(blobDir: string, digest: string): Promise<Buffer> {
  const bytes = await readSmall(join(blobDir, digestHex(digest)), 'cache blob');
  if (sha256(bytes) !== digest)
    throw new TsbuildError('DIGEST_MISMATCH', `blob ${digest} does not match its digest`);
  return bytes;
}

async function readIndex(dir: string): Promise<Index> {
  const path = join(dir, 'index.json');
  const index = JSON.parse((await readSmall(path, 'cache index')).toString('utf8')) as Index | null;
  if (!isObject(index) || !Array.isArray(index.manifests))
    throw new TsbuildError('CACHE_INVALID', `${path} lists no manifests`);
  return index;
}

/** The sha256 digest of a file already in the cache, read as a stream. */
async function fileDigest(path: string): Promise<string | undefined> {
  const fh = await openRegular(path, 'cache blob').catch(() => undefined);
  if (!fh) return undefined;
  const hash = new DigestStream();
  await pipeline(fh.createReadStream(), hash);
  return hash.digest;
}

function isObject(
  v: unknown,
): v is Record<string, unknown> & { annotations?: Record<string, string> } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** BuildKit's lock beside index.json, so two exports to one DIR do not lose an entry. */
async function withIndexLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const release = await lockfile.lock(dir, {
    lockfilePath: join(dir, 'index.json.lock'),
    retries: { retries: 100, minTimeout: 50, maxTimeout: 1000 },
    stale: 60_000,
  });
  try {
    return await fn();
  } finally {
    await release();
  }
}

function fsError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

function isFsError(e: unknown): boolean {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string';
}
