/**
 * What the store knows about a layer: how its bytes are kept (layer-bytes.ts),
 * its tar size, its unpacked size, which is what Docker reports as an image's
 * Size (overlay2 counts file bytes, not tar bytes), and its compressed twins
 * once a save or push has made one (or the layer came compressed) —
 * compressing is slow (~35 MB/s), so it is done once and kept. One small file
 * per diff ID under `layers/`; a layer without one is an uncompressed blob
 * and counts its tar size.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex } from '../util/digest.js';
import type { Descriptor } from '../image/types.js';
import { writeRecord } from './temps.js';

export interface LayerInfo {
  diffID: string;
  unpackedSize?: number;
  /** Bytes of the uncompressed tar (a descriptor's size), when no uncompressed blob says it. */
  size?: number;
  /**
   * How the tar's bytes are kept when there is no uncompressed blob named by the
   * diff ID: 'snapshot' — a layer tsbuild built, kept once as its snapshot, the
   * tar made again from it; 'gzip' / 'zstd' — a layer that came compressed, kept
   * as received (that twin below), its snapshot made when a step needs it.
   */
  kept?: 'snapshot' | 'gzip' | 'zstd';
  /** For 'snapshot': the SOURCE_DATE_EPOCH that clamped the tar's mtimes. */
  sourceDateEpoch?: number;
  /** The layer gzip-compressed (deterministically), stored as its own blob. */
  gzip?: Descriptor;
  /** The same for zstd. */
  zstd?: Descriptor;
  /**
   * Registries and repositories known to hold this layer, and as which blob
   * (pulled from there, or pushed): a push to that registry checks or mounts
   * that blob instead of uploading one. Docker keeps the same (v2metadata).
   */
  sources?: LayerSource[];
}

export interface LayerSource {
  /** The reference domain, e.g. 'docker.io' or '127.0.0.1:5000'. */
  registry: string;
  repository: string;
  digest: string;
  mediaType: string;
  size: number;
}

export class LayerInfoStore {
  constructor(
    readonly dir: string,
    private readonly tmp: string,
    /** Called before a record is written (journal.ts). */
    private readonly beforeWrite: (path: string) => Promise<void> = async () => undefined,
  ) {}

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

  /** Record `info`, keeping what an earlier record knew and `info` does not say. */
  async put(info: LayerInfo): Promise<void> {
    info = { ...(await this.get(info.diffID)), ...info };
    const path = join(this.dir, `${digestHex(info.diffID)}.json`);
    await this.beforeWrite(path);
    await writeRecord(path, JSON.stringify(info), this.tmp, `the record of layer ${info.diffID}`);
  }

  async delete(diffID: string): Promise<void> {
    await rm(join(this.dir, `${digestHex(diffID)}.json`), { force: true });
    await rm(this.filesPath(diffID), { force: true });
  }

  /**
   * A COPY layer's regular files and their content digests (path in the root →
   * sha256 hex), kept so a later COPY can tell which files it need not write again.
   */
  async putFiles(diffID: string, files: Record<string, string>): Promise<void> {
    await this.beforeWrite(this.filesPath(diffID));
    await writeRecord(
      this.filesPath(diffID),
      JSON.stringify(files),
      this.tmp,
      `the file list of layer ${diffID}`,
    );
  }

  async files(diffID: string): Promise<Record<string, string> | undefined> {
    try {
      return JSON.parse(await readFile(this.filesPath(diffID), 'utf8')) as Record<string, string>;
    } catch {
      return undefined;
    }
  }

  private filesPath(diffID: string): string {
    return join(this.dir, `${digestHex(diffID)}.files.json`);
  }
}
