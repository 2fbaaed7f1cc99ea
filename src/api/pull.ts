/**
 * `pull`: an image from a registry into the store, as `docker pull` does it.
 * The manifest is resolved (an index or manifest list picks the host's
 * platform), the config fetched and checked against its digest, then the
 * layers — three at a time, those the store has already skipped (`Already
 * exists`) — each checked against both its blob digest and its diff ID on the
 * way in and kept as the compressed bytes it came as (its snapshot is made
 * when a step needs it). Where each layer came from (registry,
 * repository, blob digest) is remembered, so a later push to that registry
 * can say `Layer already exists` or mount it instead of uploading.
 *
 * A failed pull leaves the store as it was: the image record is written last,
 * and blobs this pull added are deleted again.
 */
import { TsbuildError } from '../errors.js';
import {
  isIndexType,
  isManifestType,
  layerCompression,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type Manifest,
} from '../image/types.js';
import {
  familiarReference,
  formatReference,
  parseReference,
  registryHost,
  usesDefaultTag,
  type Reference,
} from '../image/reference.js';
import { hostPlatform, isHostPlatform } from '../dockerfile/scope.js';
import { RegistryClient, type ClientOptions, type FetchedManifest } from '../registry/client.js';
import { abortable } from '../util/abort.js';
import { shortDigest, sha256 } from '../util/digest.js';
import type { LayerSource } from '../store/layers.js';
import type { ImageRecord, Store } from '../store/store.js';
import { IngestSession } from './ingest.js';
import { openStore, type StoreOptions } from './store.js';
import { eachConcurrently } from '../util/concurrent.js';

export interface PullRequest extends StoreOptions {
  /** Any reference Docker takes: `alpine`, `127.0.0.1:5000/app:1`, `app@sha256:…`. */
  reference: string;
  /** Hosts that may be reached over plain http (loopback always may). */
  insecureRegistries?: string[];
  /** Aborting stops the pull (the store left as it was) and rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Docker's lines, as they happen: `{ id?: '31e352740f53', status: 'Pull complete' }`. */
  onEvent?: (e: PullEvent) => void;
}

export interface PullEvent {
  /** The layer's short digest, when the line is about one layer. */
  id?: string;
  status: string;
}

export interface PullResult {
  /** The image ID (config digest). */
  id: string;
  /** The manifest digest the registry gave (what `Digest:` prints). */
  digest: string;
  /** The canonical reference, e.g. 'docker.io/library/alpine:latest'. */
  reference: string;
  /** False when the store had the image already (`Image is up to date`). */
  downloaded: boolean;
}

/** Layers fetched at once, as dockerd's default max-concurrent-downloads (3). */
const PARALLEL = 3;

/**
 * @example
 *   const r = await pull({ reference: '127.0.0.1:5000/base:1', onEvent: (e) => console.log(e) });
 *   r.id; // 'sha256:…'
 */
export function pull(req: PullRequest): Promise<PullResult> {
  return abortable(req.signal, async () => {
    const store = await openStore(req);
    // docker's CLI says so, not the daemon: a FROM or `run` that pulls does not.
    parseReference(req.reference);
    if (usesDefaultTag(req.reference)) req.onEvent?.({ status: 'Using default tag: latest' });
    return pullInto(store, req);
  });
}

/** Pull into an open store (build's FROM uses this). */
export async function pullInto(store: Store, req: PullRequest): Promise<PullResult> {
  const ref = parseReference(req.reference);
  const emit = req.onEvent ?? (() => undefined);
  const client = clientFor(ref, req);
  const session = new IngestSession(store);
  try {
    emit({ status: `${ref.digest ?? ref.tag}: Pulling from ${ref.path}` });
    const top = await client.getManifest(ref.path, ref.digest ?? ref.tag!);
    const image = await resolvePlatform(client, ref, top);
    const manifest = parseJson<Manifest>(
      image.bytes,
      `${formatReference(ref)}: manifest ${image.digest}`,
    );
    if (!manifest.config || !Array.isArray(manifest.layers))
      throw protocol(ref, `manifest ${image.digest} has no config or layers`);
    const configBytes = await readAll(client.blobStream(ref.path, manifest.config.digest));
    if (sha256(configBytes) !== manifest.config.digest)
      throw new TsbuildError(
        'DIGEST_MISMATCH',
        `${formatReference(ref)}: the config blob's digest is ${sha256(configBytes)}, not ${manifest.config.digest}`,
        { expected: manifest.config.digest },
      );
    const config = parseJson<ImageConfig>(
      configBytes,
      `${formatReference(ref)}: config ${manifest.config.digest}`,
    );
    const diffIDs = config.rootfs?.diff_ids ?? [];
    if (diffIDs.length !== manifest.layers.length)
      throw protocol(ref, `manifest and config disagree on the number of layers`);
    const before = await store.images();
    const existing = before.find((i) => i.id === sha256(configBytes));
    const layers = await pullLayers(store, session, client, ref, manifest.layers, diffIDs, emit);
    await session.putBytes(configBytes);
    const reference = formatReference(ref);
    const tags = ref.digest === undefined ? [reference] : [];
    // What the registry serves it as (the index's digest, for a manifest list), as Docker records it.
    const repoDigest = `${formatReference({ ...ref, tag: undefined, digest: top.digest })}`;
    const record: ImageRecord = await store.addImage({
      config: configBytes,
      layers,
      tags,
      repoDigests: [repoDigest],
    });
    const downloaded = !(existing && upToDate(existing, reference, before));
    emit({ status: `Digest: ${top.digest}` });
    emit({
      status: downloaded
        ? `Status: Downloaded newer image for ${familiarReference(ref)}`
        : `Status: Image is up to date for ${familiarReference(ref)}`,
    });
    return { id: record.id, digest: top.digest, reference, downloaded };
  } catch (e) {
    await session.rollback();
    throw e;
  } finally {
    await client.close();
  }
}

export function clientFor(
  ref: Reference,
  req: { env?: NodeJS.ProcessEnv; insecureRegistries?: string[]; signal?: AbortSignal },
): RegistryClient {
  const opts: ClientOptions = {
    ...(req.env ? { env: req.env } : {}),
    ...(req.insecureRegistries ? { insecure: req.insecureRegistries } : {}),
    ...(req.signal ? { signal: req.signal } : {}),
  };
  return new RegistryClient(registryHost(ref.domain), ref.domain, opts);
}

function upToDate(existing: ImageRecord, reference: string, before: ImageRecord[]): boolean {
  return existing.tags.includes(reference) || !before.some((i) => i.tags.includes(reference));
}

/** An index (or manifest list) down to the host platform's image manifest. */
async function resolvePlatform(
  client: RegistryClient,
  ref: Reference,
  m: FetchedManifest,
): Promise<FetchedManifest> {
  const type =
    m.mediaType ||
    parseJson<{ mediaType?: string }>(m.bytes, `${formatReference(ref)}: manifest ${m.digest}`)
      .mediaType;
  if (isManifestType(type)) return m;
  if (!isIndexType(type)) {
    if (
      type === 'application/vnd.docker.distribution.manifest.v1+prettyjws' ||
      type?.includes('v1+json')
    )
      throw protocol(
        ref,
        'schema 1 manifests are not supported (push the image again with a current client)',
      );
    throw protocol(ref, `unknown manifest media type ${JSON.stringify(type)}`);
  }
  const index = parseJson<ImageIndex>(m.bytes, `${formatReference(ref)}: index ${m.digest}`);
  const host = hostPlatform();
  const match = (index.manifests ?? []).find((d) => isHostPlatform(d.platform, host));

  if (!match)
    throw new TsbuildError(
      'NO_MATCHING_PLATFORM',
      `${formatReference(ref)}: no image for ${host.os}/${host.architecture} in the manifest list`,
      {
        platforms: (index.manifests ?? []).map(
          (d) => `${d.platform?.os}/${d.platform?.architecture}`,
        ),
      },
    );
  return client.getManifest(ref.path, match.digest);
}

async function pullLayers(
  store: Store,
  session: IngestSession,
  client: RegistryClient,
  ref: Reference,
  blobs: Descriptor[],
  diffIDs: string[],
  emit: (e: PullEvent) => void,
): Promise<Descriptor[]> {
  const out: Descriptor[] = new Array(blobs.length);
  await eachConcurrently(blobs.length, PARALLEL, async (i) => {
    const blob = blobs[i]!;
    const diffID = diffIDs[i]!;
    const id = shortDigest(blob.digest);
    const compression = layerCompression(blob.mediaType);
    if (compression === undefined)
      throw protocol(ref, `layer ${blob.digest} has the unknown media type ${blob.mediaType}`);
    // A source is remembered only for a blob this pull checked against the diff ID:
    // a manifest may pair any blob with a layer the store has, and a push would
    // then trust that pairing (mount or 'already exists') for someone else's image.
    let verified = false;
    const have = await store.layerDescriptor(diffID);
    if (have) {
      emit({ id, status: 'Already exists' });
      out[i] = have;
    } else {
      emit({ id, status: 'Pulling fs layer' });
      // A download that broke off is the cause, not the tar or gzip error it leads to.
      const download = client.blobStream(ref.path, blob.digest);
      let broke: unknown;
      download.once('error', (e) => (broke ??= e));
      out[i] = await session
        .putLayer(download, compression, {
          diffID,
          blobDigest: blob.digest,
          source: `${formatReference(ref)}: layer ${blob.digest}`,
        })
        .catch((e: unknown) => {
          throw broke ?? e;
        });
      emit({ id, status: 'Pull complete' });
      verified = true;
    }
    if (verified) await store.addLayerSource(diffID, layerSource(ref, blob));
  });
  return out;
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function parseJson<T>(bytes: Uint8Array, what: string): T {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
  } catch (e) {
    throw new TsbuildError('REGISTRY_PROTOCOL', `${what}: not JSON (${(e as Error).message})`);
  }
}

function protocol(ref: Reference, why: string): TsbuildError {
  return new TsbuildError('REGISTRY_PROTOCOL', `${formatReference(ref)}: ${why}`, {
    reference: formatReference(ref),
  });
}

/** `blob` of `ref`'s repository, as the store remembers where a layer is (push trusts it). */
export function layerSource(ref: Reference, blob: Descriptor): LayerSource {
  return {
    registry: ref.domain,
    repository: ref.path,
    digest: blob.digest,
    mediaType: blob.mediaType,
    size: blob.size,
  };
}
