/**
 * What the store knows about a layer beyond its blob: its unpacked size, which
 * is what Docker reports as an image's Size (overlay2 counts file bytes, not
 * tar bytes). One small file per diff ID under `layers/`, written when the
 * layer enters the store; a layer without one counts its tar size.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { digestHex } from '../util/digest.js';

export interface LayerInfo {
  diffID: string;
  unpackedSize: number;
}

export class LayerInfoStore {
  constructor(readonly dir: string) {}

  async get(diffID: string): Promise<LayerInfo | undefined> {
    try {
      return JSON.parse(
        await readFile(join(this.dir, `${digestHex(diffID)}.json`), 'utf8'),
      ) as LayerInfo;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async put(info: LayerInfo): Promise<void> {
    await writeFileAtomic(join(this.dir, `${digestHex(info.diffID)}.json`), JSON.stringify(info));
  }
}
