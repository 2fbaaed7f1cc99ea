/**
 * `history`: an image's config history, newest first, each entry with the size
 * of the layer it made (0 for `empty_layer` entries). IDs as Docker's daemon
 * gives them (daemon/images/image_history.go): the newest entry gets the
 * image's ID, the next its parent's, and so on while the parent chain is in the
 * store; every other entry is `<missing>` (layers of pulled images).
 */
import { familiarName } from '../image/reference.js';
import type { ImageRecord } from '../store/store.js';
import { layerSize } from './size.js';
import { openStore, type StoreOptions } from './store.js';

export interface HistoryRequest extends StoreOptions {
  image: string;
}

export interface HistoryItem {
  /** `sha256:<hex>` or `<missing>`. */
  id: string;
  /** RFC 3339, or '' when the entry has no time. */
  created: string;
  createdBy: string;
  /** Bytes of the layer this entry made. */
  size: number;
  comment: string;
  tags: string[];
}

/**
 * @example
 *   const h = await history({ image: 'app' });
 *   h[0].createdBy; // '/bin/sh -c #(nop)  CMD ["sh"]'
 */
export async function history(req: HistoryRequest): Promise<HistoryItem[]> {
  const store = await openStore(req);
  const image = await store.resolve(req.image);
  const config = await store.config(image);
  const layers = (await store.manifest(image)).layers;
  const items: HistoryItem[] = [];
  let layer = 0;
  for (const h of config.history ?? []) {
    const l = h.empty_layer ? undefined : layers[layer++];
    const size = l ? await layerSize(store, l) : 0;
    items.unshift({
      id: '<missing>',
      created: h.created ?? '',
      createdBy: h.created_by ?? '',
      size,
      comment: h.comment ?? '',
      tags: [],
    });
  }
  const all = await store.images();
  let current: ImageRecord | undefined = image;
  for (const item of items) {
    if (!current) break;
    item.id = current.id;
    item.tags = current.tags.map(familiarName);
    const parent: string | undefined = current.parent;
    current = parent ? all.find((i) => i.id === parent) : undefined;
  }
  return items;
}
