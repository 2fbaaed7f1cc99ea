/** `tag SOURCE TARGET` and `rmi IMAGE…`: naming and deleting images in the store. */
import { removeImage, type RemoveEvent, type RemoveOptions } from '../store/remove.js';
import { familiarName } from '../image/reference.js';
import { openStore, type StoreOptions } from './store.js';

export interface TagRequest extends StoreOptions {
  source: string;
  target: string;
}

/**
 * Point `target` at the image `source` names; returns the image ID.
 * @example
 *   await tag({ source: 'app', target: 'localhost:5000/app:1' });
 */
export async function tag(req: TagRequest): Promise<string> {
  const store = await openStore(req);
  return (await store.tag(req.source, req.target)).id;
}

export interface RemoveRequest extends StoreOptions, RemoveOptions {
  image: string;
}

/**
 * Untag and delete as `docker rmi` does; events use familiar names
 * (`Untagged: app:latest`, `Deleted: sha256:…`).
 * @example
 *   for (const e of await rmi({ image: 'app' })) console.log(e);
 */
export async function rmi(req: RemoveRequest): Promise<RemoveEvent[]> {
  const store = await openStore(req);
  return familiarEvents(await removeImage(store, req.image, req));
}

/** rmi/prune events with the names Docker prints (`app:latest`, not `docker.io/library/app:latest`). */
export function familiarEvents(events: RemoveEvent[]): RemoveEvent[] {
  return events.map((e) => ('untagged' in e ? { untagged: familiarName(e.untagged) } : e));
}
