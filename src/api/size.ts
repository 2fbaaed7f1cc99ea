import type { Descriptor } from '../image/types.js';
import type { ImageRecord, Store } from '../store/store.js';

/** A layer's size as Docker reports it: unpacked bytes when known, else its tar's. */
export async function layerSize(store: Store, layer: Descriptor): Promise<number> {
  return (await store.layers.get(layer.digest))?.unpackedSize ?? layer.size;
}

/** An image's size as `docker images` shows it: the sum of its layers' unpacked sizes. */
export async function imageSize(store: Store, image: ImageRecord): Promise<number> {
  let total = 0;
  for (const l of (await store.manifest(image)).layers) total += await layerSize(store, l);
  return total;
}
