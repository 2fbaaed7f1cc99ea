/**
 * `save`: one tarball that is at once an OCI image layout (`oci-layout`,
 * `index.json`, `blobs/sha256/…`) and a docker-archive (`manifest.json` and
 * `repositories` pointing into the same blobs) — the layout Docker 25 writes —
 * so `docker load` old and new, skopeo (`docker-archive:` and `oci-archive:`),
 * podman and umoci all read it.
 *
 * Layers go out as the store keeps them, uncompressed, as `docker save` does,
 * or compressed with `compress: 'gzip' | 'zstd'` — compressed once, then kept in
 * the store, so saving again is as fast as the first save was not. Blobs
 * stream from the store into the tar, never held in memory.
 */
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { familiarName } from '../image/reference.js';
import { StoreError } from '../store/errors.js';
import { namedTag, tagless } from '../store/names.js';
import {
  IMAGE_NAME_ANNOTATION,
  MediaType,
  REF_NAME_ANNOTATION,
  type Compression,
  type Descriptor,
  type Manifest,
} from '../image/types.js';
import { digestHex, sha256 } from '../util/digest.js';
import { attestedIndex, type AttestedIndex } from '../image/attestation.js';
import { TsbuildError, UsageError, asResourceError } from '../errors.js';
import type { ImageRecord, Store } from '../store/store.js';
import type { ImageAnnotations } from './build-annotations.js';
import { openStore, type StoreOptions } from './store.js';

export interface SaveRequest extends StoreOptions {
  /** Names (tags are kept in the archive), IDs or ID prefixes. */
  images: string[];
  /** Where the tar goes. */
  output: NodeJS.WritableStream;
  /** Layer compression in the archive; `none` (Docker's choice) by default. */
  compress?: 'none' | 'gzip' | 'zstd';
  /** Where `output` goes, as errors name it (`app.tar`, `standard output`). */
  outputName?: string;
  /**
   * An in-toto statement to attach to each image (`build --provenance
   * --output type=oci`): its index.json entry then names an OCI index of the
   * image's manifest and an attestation manifest (image/attestation.ts), as
   * BuildKit's oci exporter writes it. manifest.json, which `docker load`
   * reads, still names the image alone.
   */
  attest?: (manifest: Descriptor) => Promise<{ statement: Buffer; predicateType: string }>;
  /**
   * `build --output type=oci|docker --annotation`: added to every image's
   * manifest (which then differs from the store's) and to the descriptor of it
   * (in the attested index, else index.json's entries); with `attest`, the
   * index and its index.json entries get theirs.
   */
  annotations?: ImageAnnotations;
}

interface Saved {
  image: ImageRecord;
  /** The manifest as the archive gives it (its layers compressed or not). */
  manifest: Manifest;
  manifestBytes: Buffer;
  manifestDesc: Descriptor;
  /** Canonical tags named on the command line (Docker saves only those). */
  tags: string[];
  /** The index that attaches an attestation, when one is asked for. */
  attested?: AttestedIndex;
  /** `build --annotation`s (SaveRequest.annotations). */
  annotations?: ImageAnnotations;
}

/**
 * Write `images` as one archive to `output`; resolves to each image's ID and
 * the descriptor index.json names it by (its manifest's, or its attested index's).
 * @example
 *   await save({ images: ['app:1'], output: createWriteStream('app.tar') });
 */
export async function save(req: SaveRequest): Promise<{ id: string; descriptor: Descriptor }[]> {
  const store = await openStore(req);
  const compress = req.compress ?? 'none';
  if (!['none', 'gzip', 'zstd'].includes(compress))
    throw new UsageError(
      `unsupported compression ${JSON.stringify(compress)} (none, gzip or zstd)`,
    );
  const saved = await collect(store, req.images, compress, req.annotations);
  if (req.attest)
    for (const s of saved) {
      const { statement, predicateType } = await req.attest(s.manifestDesc);
      const c = await store.config(s.image);
      const platform = {
        architecture: c.architecture,
        os: c.os,
        ...(c.variant ? { variant: c.variant } : {}),
      };
      s.attested = attestedIndex(
        { ...s.manifestDesc, platform },
        statement,
        predicateType,
        req.annotations?.index,
      );
    }
  const pack = tar.pack();
  // A failing output (a full disk, `save | head` closing the pipe) is the
  // user's to know about in one line, not a bug; it also ends the writing.
  let outputError: TsbuildError | undefined;
  const done = pipeline(pack, req.output).catch((e: unknown) => {
    const err = asResourceError(e, { writing: 'the archive', to: req.outputName });
    outputError =
      err instanceof TsbuildError
        ? err
        : new TsbuildError('OUTPUT', `writing the archive: ${(e as Error).message}`);
  });
  try {
    await writeArchive(store, saved, pack);
    pack.finalize();
  } catch (e) {
    pack.destroy(e as Error);
    await done;
    throw outputError ?? e;
  }
  await done;
  if (outputError) throw outputError;
  return saved.map((s) => ({ id: s.image.id, descriptor: named(s) }));
}

/**
 * The images to save, each with the tags the archive names it by: a name with
 * a tag (`app:1`) saves that tag, a tagless name (`app`) every tag of that
 * repository, as `docker save` does; an ID saves the image untagged.
 */
async function collect(
  store: Store,
  names: string[],
  compress: Compression,
  annotations: ImageAnnotations | undefined,
): Promise<Saved[]> {
  const out: Saved[] = [];
  const all = await store.images();
  const add = async (image: ImageRecord, tag: string | undefined) => {
    let saved = out.find((s) => s.image.id === image.id);
    if (!saved) {
      saved = {
        image,
        ...(await archiveManifest(store, image, compress, annotations)),
        tags: [],
        ...(annotations ? { annotations } : {}),
      };
      out.push(saved);
    }
    if (tag && !saved.tags.includes(tag)) saved.tags.push(tag);
  };
  for (const name of names) {
    const repo = tagless(name);
    const tagged = repo ? all.filter((i) => i.tags.some((t) => t.startsWith(`${repo}:`))) : [];
    for (const image of tagged)
      for (const t of image.tags.filter((t) => t.startsWith(`${repo}:`))) await add(image, t);
    if (tagged.length === 0) {
      const image = await store.resolve(name);
      await add(image, namedTag(name, image));
    }
  }
  return out;
}

/**
 * The store's manifest, or one naming the compressed twins of its layers, or
 * carrying annotations. Its descriptor carries the descriptor annotations.
 */
async function archiveManifest(
  store: Store,
  image: ImageRecord,
  compress: Compression,
  annotations: ImageAnnotations | undefined,
) {
  const stored = await store.manifest(image);
  const described = annotations && Object.keys(annotations.descriptor).length > 0;
  const withDescriptor = (d: Descriptor): Descriptor =>
    described ? { ...d, annotations: { ...annotations.descriptor } } : d;
  const annotated = annotations && Object.keys(annotations.manifest).length > 0;
  if (compress === 'none' && !annotated) {
    const manifestBytes = await store.blobs.read(image.manifest.digest);
    return { manifest: stored, manifestBytes, manifestDesc: withDescriptor(image.manifest) };
  }
  const layers: Descriptor[] = [];
  for (const l of stored.layers)
    layers.push(compress === 'none' ? l : await store.compressedLayer(l.digest, compress));
  const manifest: Manifest = {
    ...stored,
    layers,
    ...(annotated
      ? { annotations: { ...(stored.annotations ?? {}), ...annotations.manifest } }
      : {}),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const manifestDesc = {
    mediaType: MediaType.ociManifest,
    digest: sha256(manifestBytes),
    size: manifestBytes.length,
  };
  return { manifest, manifestBytes, manifestDesc: withDescriptor(manifestDesc) };
}

const MTIME = new Date(0);

async function writeArchive(store: Store, saved: Saved[], pack: tar.Pack): Promise<void> {
  await addBytes(pack, 'blobs/', undefined);
  await addBytes(pack, 'blobs/sha256/', undefined);
  const written = new Set<string>();
  for (const s of saved) {
    if (!written.has(s.manifestDesc.digest)) {
      written.add(s.manifestDesc.digest);
      await addBytes(pack, `blobs/sha256/${digestHex(s.manifestDesc.digest)}`, s.manifestBytes);
    }
    for (const d of [s.manifest.config, ...s.manifest.layers]) {
      if (written.has(d.digest)) continue;
      written.add(d.digest);
      await addBlob(store, pack, d);
    }
    for (const b of s.attested ? [s.attested.index, ...s.attested.blobs] : []) {
      if (written.has(b.descriptor.digest)) continue;
      written.add(b.descriptor.digest);
      await addBytes(pack, `blobs/sha256/${digestHex(b.descriptor.digest)}`, b.bytes);
    }
  }
  await addBytes(pack, 'index.json', JSON.stringify(ociIndex(saved)));
  await addBytes(pack, 'manifest.json', JSON.stringify(dockerManifest(saved)));
  await addBytes(pack, 'oci-layout', '{"imageLayoutVersion":"1.0.0"}');
  await addBytes(pack, 'repositories', JSON.stringify(repositories(saved)));
}

/**
 * What index.json names the image by: its attested index (with the
 * index-descriptor annotations) or its manifest (with the manifest-descriptor
 * ones, which in an attested index are on the index's entry for the manifest).
 */
function named(s: Saved): Descriptor {
  if (!s.attested) return s.manifestDesc;
  const { mediaType, digest, size } = s.attested.index.descriptor;
  const own = s.annotations?.indexDescriptor;
  return {
    mediaType,
    digest,
    size,
    ...(own && Object.keys(own).length > 0 ? { annotations: { ...own } } : {}),
  };
}

function ociIndex(saved: Saved[]) {
  const manifests: Descriptor[] = [];
  for (const s of saved) {
    const d = named(s);
    const own = d.annotations;
    if (s.tags.length === 0)
      manifests.push({
        mediaType: d.mediaType,
        digest: d.digest,
        size: d.size,
        ...(own ? { annotations: { ...own } } : {}),
      });
    for (const t of s.tags)
      manifests.push({
        mediaType: d.mediaType,
        digest: d.digest,
        size: d.size,
        annotations: {
          ...own,
          [IMAGE_NAME_ANNOTATION]: t,
          [REF_NAME_ANNOTATION]: t.slice(t.lastIndexOf(':') + 1),
        },
      });
  }
  return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests };
}

function dockerManifest(saved: Saved[]) {
  return saved.map((s) => ({
    Config: `blobs/sha256/${digestHex(s.manifest.config.digest)}`,
    RepoTags: s.tags.length ? s.tags.map(familiarName) : null,
    Layers: s.manifest.layers.map((l) => `blobs/sha256/${digestHex(l.digest)}`),
  }));
}

/** The legacy `repositories` file: repository → tag → top layer. */
function repositories(saved: Saved[]) {
  const out: Record<string, Record<string, string>> = {};
  for (const s of saved) {
    const top = s.manifest.layers[s.manifest.layers.length - 1];
    if (!top) continue;
    for (const t of s.tags) {
      const familiar = familiarName(t);
      const colon = familiar.lastIndexOf(':');
      (out[familiar.slice(0, colon)] ??= {})[familiar.slice(colon + 1)] = digestHex(top.digest);
    }
  }
  return out;
}

async function addBytes(
  pack: tar.Pack,
  name: string,
  text: string | Buffer | undefined,
): Promise<void> {
  const dir = text === undefined;
  await new Promise<void>((resolve, reject) => {
    pack.entry(
      { name, type: dir ? 'directory' : 'file', mode: dir ? 0o755 : 0o644, mtime: MTIME },
      Buffer.from(text ?? ''),
      (err) => (err ? reject(err) : resolve()),
    );
  });
}

/** A blob, or a layer made again from how the store keeps it (store/layer-bytes.ts). */
async function addBlob(store: Store, pack: tar.Pack, d: Descriptor): Promise<void> {
  const bytes = await store.layerBytes(d.digest);
  if (!bytes) throw new StoreError('BLOB_MISSING', `blob ${d.digest} is missing from the store`);
  const { size } = bytes;
  await new Promise<void>((resolve, reject) => {
    const header = { name: `blobs/sha256/${digestHex(d.digest)}`, mode: 0o644, size, mtime: MTIME };
    const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    pipeline(bytes.open(), entry).catch(reject);
  });
}
