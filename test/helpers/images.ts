/** Small real images for store tests: layers are real tars, configs real configs. */
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { MediaType, type ContainerConfig, type HistoryEntry } from '../../src/image/types.js';
import type { ImageRecord, Store } from '../../src/store/store.js';

/** An uncompressed tar of `files` (path → content), entries in the given order. */
export async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files))
    pack.entry({ name, mode: 0o644, mtime: new Date(0) }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

export interface TestImage {
  /** Each layer's files; a layer is a tar of them. */
  layers?: Record<string, string>[];
  /** A parent whose layers come first (and which becomes `Parent`). */
  parent?: ImageRecord;
  tags?: string[];
  created?: string;
  config?: ContainerConfig;
  history?: HistoryEntry[];
  /** The config's architecture (default amd64). */
  architecture?: string;
}

/** Store an image built the way a builder would: parent's layers + new ones. */
export async function addTestImage(store: Store, img: TestImage): Promise<ImageRecord> {
  const parentManifest = img.parent ? await store.manifest(img.parent) : undefined;
  const parentConfig = img.parent ? await store.config(img.parent) : undefined;
  const layers = [...(parentManifest?.layers ?? [])];
  for (const files of img.layers ?? []) {
    const info = await store.blobs.put(Readable.from([await tarOf(files)]));
    const unpackedSize = Object.values(files).reduce((n, c) => n + Buffer.byteLength(c), 0);
    await store.layers.put({ diffID: info.digest, unpackedSize });
    layers.push({ mediaType: MediaType.ociLayer, digest: info.digest, size: info.size });
  }
  const history = [
    ...(parentConfig?.history ?? []),
    ...(img.history ??
      (img.layers ?? []).map((_, i) => ({ created: img.created, created_by: `layer ${i}` }))),
  ];
  return store.addImage({
    config: {
      architecture: img.architecture ?? 'amd64',
      os: 'linux',
      created: img.created ?? new Date().toISOString(),
      config: img.config ?? parentConfig?.config ?? {},
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      history,
    },
    layers,
    parent: img.parent?.id,
    tags: img.tags,
  });
}
