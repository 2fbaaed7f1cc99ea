/**
 * Build cache records: one small JSON file per cache key under `cache/`, written
 * atomically. A record keeps the key's input beside the result (STYLE.md #5), so
 * a miss can be explained as a diff of two inputs. The store only keeps records;
 * what a key is made of is build/'s business.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Descriptor } from '../image/types.js';
import { DIGEST_RE, digestHex, sha256 } from '../util/digest.js';
import { eachConcurrently } from '../util/concurrent.js';
import { StoreError } from './errors.js';
import { writeRecord } from './temps.js';

export interface CacheRecord {
  /** `sha256:<hex>` of the canonical key input. */
  key: string;
  /** The key's input, as it was hashed. */
  input: unknown;
  /** The layer the step added, if it added one. */
  layer?: Descriptor;
  /**
   * Only in records written before a step's record was made O(1) (cache keys of
   * version 1): the image config the step stored. No key asks for such a record
   * any more; prune removes it, and holds no blob for it.
   */
  config?: string;
  /** When the step ran: its history entry's time, and its config's. */
  created: string;
  lastUsed: string;
  /**
   * The places (a step's position in a Dockerfile of a context, build/explain.ts)
   * whose builds made or reused this record, newest last: what `--explain-cache`
   * compares a miss with. Never part of the key: two Dockerfiles share the record.
   */
  places?: string[];
}

export class CacheStore {
  constructor(
    readonly dir: string,
    private readonly tmp: string,
    /** Called before a record is written (journal.ts). */
    private readonly beforeWrite: (path: string) => Promise<void> = async () => undefined,
  ) {}

  private path(key: string): string {
    if (!DIGEST_RE.test(key))
      throw new StoreError('BAD_DIGEST', `not a cache key: ${JSON.stringify(key)}`);
    return join(this.dir, `${digestHex(key)}.json`);
  }

  async get(key: string): Promise<CacheRecord | undefined> {
    try {
      return JSON.parse(await readFile(this.path(key), 'utf8')) as CacheRecord;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async put(record: CacheRecord): Promise<void> {
    await this.beforeWrite(this.path(record.key));
    await writeRecord(
      this.path(record.key),
      JSON.stringify(record),
      this.tmp,
      `cache record ${record.key}`,
    );
  }

  /**
   * The layer the COPY step with this instruction text last made (any parent): where
   * a later run of it looks for files it need not copy again. A hint, never a key.
   */
  async lastCopy(text: string): Promise<string | undefined> {
    try {
      const { layer } = JSON.parse(await readFile(this.copyPath(text), 'utf8')) as {
        layer?: unknown;
      };
      return typeof layer === 'string' && DIGEST_RE.test(layer) ? layer : undefined;
    } catch {
      return undefined;
    }
  }

  async setLastCopy(text: string, layer: string): Promise<void> {
    await this.beforeWrite(this.copyPath(text));
    await writeRecord(this.copyPath(text), JSON.stringify({ layer }), this.tmp, 'a COPY record');
  }

  private copyPath(text: string): string {
    return join(this.dir, `copy-${digestHex(sha256(text))}.json`);
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  /** Every record with the bytes its own file takes. */
  async list(): Promise<{ record: CacheRecord; metaSize: number }[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const files = names.filter((n) => /^[a-f0-9]{64}\.json$/.test(n)).sort();
    // Read several at a time: one at a time, each read waits its turn on the
    // thread pool, and a store of a few hundred records took seconds under load.
    const out: { record: CacheRecord; metaSize: number }[] = new Array(files.length);
    await eachConcurrently(files.length, READERS, async (i) => {
      const bytes = await readFile(join(this.dir, files[i]!));
      out[i] = {
        record: JSON.parse(bytes.toString('utf8')) as CacheRecord,
        metaSize: bytes.length,
      };
    });
    return out;
  }
}

/** Records read at once by list(): as many as the thread pool has threads, and some. */
const READERS = 16;
