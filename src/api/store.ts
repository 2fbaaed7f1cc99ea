/** The store every image verb works on: `root`, else TSBUILD_ROOT, else the XDG default. */
import { defaultRoot } from '../store/paths.js';
import { Store } from '../store/store.js';

export interface StoreOptions {
  /** The store's directory (`--root`). */
  root?: string;
  /** Where TSBUILD_ROOT / XDG_DATA_HOME / HOME are read; `process.env` by default. */
  env?: NodeJS.ProcessEnv;
}

export function openStore(opts: StoreOptions = {}): Promise<Store> {
  return Store.open(defaultRoot(opts.env ?? process.env, opts.root));
}
