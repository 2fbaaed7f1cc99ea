/**
 * Reading the images out of an unpacked archive directory: a docker-archive
 * (`manifest.json`) or an OCI image layout (`index.json`). Every file is opened
 * confined to the directory — a docker-archive may hold symlinks between layer
 * files, and one pointing outside must not expose a host file. Each image's
 * layers are checked in order as they stream in (layer/layer-check.ts): one
 * entry that would leave the root refuses the whole archive.
 */
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { hostPlatform, isHostPlatform } from '../dockerfile/scope.js';
import { TsbuildError } from '../errors.js';
import { familiarReference, formatReference, parseReference } from '../image/reference.js';
import {
  IMAGE_NAME_ANNOTATION,
  REF_NAME_ANNOTATION,
  isIndexType,
  isManifestType,
  layerCompression,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type Manifest,
} from '../image/types.js';
import { DIGEST_RE, sha256 } from '../util/digest.js';
import { sniffCompression } from '../layer/compress.js';
import { ImageCheck } from '../layer/layer-check.js';
import type { IngestSession } from './ingest.js';

export interface ArchiveImage {
  config: Uint8Array;
  configDigest: string;
  /** Uncompressed layers, now in the store. */
  layers: Descriptor[];
  tags: { canonical: string; familiar: string }[];
}

export async function readArchiveImages(
  dir: string,
  name: string,
  session: IngestSession,
): Promise<ArchiveImage[]> {
  const root = await realpath(dir);
  const files = new ArchiveFiles(root, name);
  if (await files.exists('manifest.json')) return readDockerArchive(files, session);
  if (await files.exists('index.json')) return readOciLayout(files, session);
  throw badArchive(
    name,
    'neither manifest.json (docker-archive) nor index.json (OCI layout) found',
  );
}

/**
 * One image of an OCI image layout directory, chosen by the tag its index entry
 * carries (`org.opencontainers.image.ref.name`) or by its digest, as an
 * `oci-layout://DIR:TAG` or `oci-layout://DIR@DIGEST` build context names it.
 */
export async function readLayoutImage(
  dir: string,
  name: string,
  session: IngestSession,
  want: { tag: string } | { digest: string },
): Promise<ArchiveImage> {
  const files = new ArchiveFiles(await realpath(dir), name);
  if (!(await files.exists('index.json')))
    throw badArchive(name, 'no index.json: not an OCI image layout');
  const index = await files.json<ImageIndex>('index.json');
  if (!Array.isArray(index?.manifests)) throw badArchive(name, 'index.json has no manifests');
  const entry = index.manifests.find((m) =>
    'digest' in want ? m.digest === want.digest : m.annotations?.[REF_NAME_ANNOTATION] === want.tag,
  );
  if (!entry) {
    const what = 'digest' in want ? want.digest : `tagged ${JSON.stringify(want.tag)}`;
    throw new TsbuildError('NO_SUCH_IMAGE', `${name}: the OCI layout has no image ${what}`, {
      file: name,
    });
  }
  return readOciImage(files, await pickManifest(files, entry), session);
}

interface DockerManifestItem {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

async function readDockerArchive(
  files: ArchiveFiles,
  session: IngestSession,
): Promise<ArchiveImage[]> {
  const items = await files.json<DockerManifestItem[]>('manifest.json');
  if (!Array.isArray(items)) throw badArchive(files.name, 'manifest.json is not a list');
  const out: ArchiveImage[] = [];
  for (const [i, item] of items.entries()) {
    if (
      typeof item?.Config !== 'string' ||
      !Array.isArray(item.Layers) ||
      !item.Layers.every((l) => typeof l === 'string') ||
      !(
        item.RepoTags == null ||
        (Array.isArray(item.RepoTags) && item.RepoTags.every((t) => typeof t === 'string'))
      )
    )
      throw badArchive(
        files.name,
        `manifest.json entry ${i} is not {Config, RepoTags, Layers} as docker writes it`,
      );
    const config = await files.bytes(item.Config, digestInName(item.Config));
    const parsed = parseConfig(config, `${files.name}: ${item.Config}`);
    const diffIDs = parsed.rootfs.diff_ids;
    if (diffIDs.length !== item.Layers.length)
      throw badArchive(
        files.name,
        `${item.Config} lists ${diffIDs.length} diff IDs but manifest.json gives ${item.Layers.length} layers`,
      );
    const layers: Descriptor[] = [];
    const check = new ImageCheck();
    for (const [n, path] of item.Layers.entries()) {
      const input = await files.open(path);
      const { kind, stream } = await sniffCompression(input);
      if (kind === 'bzip2' || kind === 'xz')
        throw badArchive(
          files.name,
          `layer ${path} is ${kind}-compressed, which docker-archives never hold`,
        );
      layers.push(
        await session.putLayer(stream, kind, {
          diffID: diffIDs[n]!,
          source: `${files.name}: ${path}`,
          check: check.layer(`${files.name}: ${path}`),
        }),
      );
    }
    await session.putBytes(config);
    out.push({
      config,
      configDigest: sha256(config),
      layers,
      tags: tagsOf(item.RepoTags ?? [], files.name),
    });
  }
  return out;
}

async function readOciLayout(files: ArchiveFiles, session: IngestSession): Promise<ArchiveImage[]> {
  const index = await files.json<ImageIndex>('index.json');
  if (!Array.isArray(index?.manifests)) throw badArchive(files.name, 'index.json has no manifests');
  const byDigest = new Map<string, ArchiveImage>();
  for (const entry of index.manifests) {
    const desc = await pickManifest(files, entry);
    let image = byDigest.get(desc.digest);
    if (!image) {
      image = await readOciImage(files, desc, session);
      byDigest.set(desc.digest, image);
    }
    const name = ociName(entry);
    if (name) image.tags.push(...tagsOf([name], files.name));
  }
  return [...byDigest.values()];
}

/** An index entry down to one image manifest: nested indexes pick the host's platform. */
async function pickManifest(files: ArchiveFiles, d: Descriptor): Promise<Descriptor> {
  if (isManifestType(d.mediaType)) return d;
  if (!isIndexType(d.mediaType))
    throw badArchive(
      files.name,
      `unknown media type ${JSON.stringify(d.mediaType)} for ${d.digest}`,
    );
  const nested = await files.blobJson<ImageIndex>(d);
  if (!Array.isArray(nested?.manifests))
    throw badArchive(files.name, `index ${d.digest} has no manifests`);
  const host = hostPlatform();
  const match = nested.manifests.find(
    (m) => isManifestType(m.mediaType) && isHostPlatform(m.platform, host),
  );
  if (!match)
    throw badArchive(
      files.name,
      `index ${d.digest} has no image for ${host.os}/${host.architecture}`,
    );
  return match;
}

async function readOciImage(
  files: ArchiveFiles,
  desc: Descriptor,
  session: IngestSession,
): Promise<ArchiveImage> {
  const manifest = await files.blobJson<Manifest>(desc);
  if (!manifest?.config || !Array.isArray(manifest.layers))
    throw badArchive(files.name, `manifest ${desc.digest} has no config or layers`);
  const config = await files.blob(manifest.config);
  const parsed = parseConfig(config, `${files.name}: ${blobPath(manifest.config)}`);
  if (parsed.rootfs.diff_ids.length !== manifest.layers.length)
    throw badArchive(
      files.name,
      `manifest ${desc.digest} and its config disagree on the number of layers`,
    );
  const layers: Descriptor[] = [];
  const check = new ImageCheck();
  for (const [n, l] of manifest.layers.entries()) {
    const compression = layerCompression(l.mediaType);
    if (compression === undefined)
      throw badArchive(
        files.name,
        `unknown layer media type ${JSON.stringify(l.mediaType)} for ${l.digest}`,
      );
    const path = blobPath(l);
    layers.push(
      await session.putLayer(await files.open(path), compression, {
        diffID: parsed.rootfs.diff_ids[n]!,
        blobDigest: l.digest,
        source: `${files.name}: ${path}`,
        check: check.layer(`${files.name}: ${path}`),
      }),
    );
  }
  await session.putBytes(config);
  return { config, configDigest: sha256(config), layers, tags: [] };
}

/** The image name an OCI index entry carries: containerd's full name, else a ref.name that is one. */
function ociName(d: Descriptor): string | undefined {
  const full = d.annotations?.[IMAGE_NAME_ANNOTATION];
  if (full) return full;
  const ref = d.annotations?.[REF_NAME_ANNOTATION];
  // A bare `latest` is a tag with no repository (skopeo's `oci:dir:latest`), not an image called latest.
  return ref && /[:/]/.test(ref) ? ref : undefined;
}

function tagsOf(names: string[], file: string): ArchiveImage['tags'] {
  return names.map((n) => {
    try {
      const ref = parseReference(n);
      if (ref.digest !== undefined)
        throw new Error('a digest reference cannot name a loaded image');
      return { canonical: formatReference(ref), familiar: familiarReference(ref) };
    } catch (e) {
      throw badArchive(file, `invalid image name ${JSON.stringify(n)}: ${(e as Error).message}`);
    }
  });
}

function parseConfig(bytes: Uint8Array, where: string): ImageConfig {
  let config: ImageConfig;
  try {
    config = JSON.parse(Buffer.from(bytes).toString('utf8')) as ImageConfig;
  } catch (e) {
    throw new TsbuildError('BAD_ARCHIVE', `${where}: config is not JSON: ${(e as Error).message}`);
  }
  const ids = config?.rootfs?.diff_ids;
  if (!Array.isArray(ids) || !ids.every((d) => typeof d === 'string' && DIGEST_RE.test(d)))
    throw new TsbuildError('BAD_ARCHIVE', `${where}: config has no valid rootfs.diff_ids`);
  return config;
}

/** `blobs/sha256/<hex>` or docker's `<hex>.json`: the digest a file's name promises. */
function digestInName(path: string): string | undefined {
  const m = /(?:^|\/)([a-f0-9]{64})(?:\.json)?$/.exec(path);
  return m ? `sha256:${m[1]}` : undefined;
}

function blobPath(d: Descriptor): string {
  if (typeof d?.digest !== 'string')
    throw new TsbuildError('BAD_ARCHIVE', `a descriptor without a digest: ${JSON.stringify(d)}`);
  const [alg, hex] = d.digest.split(':');
  if (alg !== 'sha256' || !hex || !/^[a-f0-9]{64}$/.test(hex))
    throw new TsbuildError('BAD_ARCHIVE', `unsupported digest ${JSON.stringify(d.digest)}`);
  return `blobs/sha256/${hex}`;
}

function badArchive(name: string, why: string): TsbuildError {
  return new TsbuildError('BAD_ARCHIVE', `${name}: ${why}`, { file: name });
}

/** Files of the unpacked archive, opened only inside it, and only if they are regular files. */
class ArchiveFiles {
  constructor(
    readonly root: string,
    readonly name: string,
  ) {}

  /** The real path of `rel`, which must stay inside the archive; undefined when it does not exist. */
  async find(rel: string): Promise<string | undefined> {
    const clean = normalize(rel);
    if (isAbsolute(rel) || clean === '..' || clean.startsWith(`..${sep}`))
      throw badArchive(this.name, `entry ${JSON.stringify(rel)} is outside the archive`);
    let real: string;
    try {
      real = await realpath(join(this.root, clean));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    if (real !== this.root && !real.startsWith(this.root + sep))
      throw badArchive(this.name, `entry ${JSON.stringify(rel)} points outside the archive`);
    return real;
  }

  async exists(rel: string): Promise<boolean> {
    return (await this.find(rel)) !== undefined;
  }

  /** The path of the regular file `rel`. */
  private async file(rel: string): Promise<string> {
    const real = await this.find(rel);
    if (real === undefined) throw badArchive(this.name, `${rel} is missing from the archive`);
    if (!(await stat(real)).isFile()) throw badArchive(this.name, `${rel} is not a regular file`);
    return real;
  }

  async open(rel: string) {
    return createReadStream(await this.file(rel));
  }

  async bytes(rel: string, expected?: string): Promise<Buffer> {
    const data = await readFile(await this.file(rel));
    if (expected && sha256(data) !== expected)
      throw new TsbuildError(
        'DIGEST_MISMATCH',
        `digest mismatch in ${this.name}: ${rel}: expected ${expected}, got ${sha256(data)}`,
      );
    return data;
  }

  async blob(d: Descriptor): Promise<Buffer> {
    return this.bytes(blobPath(d), d.digest);
  }

  async blobJson<T>(d: Descriptor): Promise<T> {
    return this.json<T>(blobPath(d), d.digest);
  }

  async json<T>(rel: string, expected?: string): Promise<T> {
    const data = await this.bytes(rel, expected);
    try {
      return JSON.parse(data.toString('utf8')) as T;
    } catch (e) {
      throw badArchive(this.name, `${rel} is not valid JSON: ${(e as Error).message}`);
    }
  }
}
