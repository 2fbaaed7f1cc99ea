/**
 * scanLayer: check that a stream is a readable tar, to its end, without
 * writing anything. What `tsbuild import` asks before it accepts a tarball as a
 * layer: every header must parse and no entry may be cut short.
 */
import type { Readable } from 'node:stream';
import type { ApplyResult } from './apply.js';

export interface ScanResult extends ApplyResult {
  /**
   * What the layer takes unpacked as Docker counts it (overlay2's DiffSize: the
   * sizes of its non-directory entries, a symlink's being its target's length).
   * `docker images` and `history` show sums of this, not tar sizes.
   */
  unpackedSize: number;
}
import type { LayerCheck } from './layer-check.js';
import { readTar } from './tar-reader.js';

/**
 * Read every entry of an uncompressed tar stream, skipping content. Resolves with the
 * same counts applyLayer would give, and the unpacked size; rejects with a LayerError naming the entry that is
 * truncated or corrupt, or with what `check` (layer-check.ts) refuses.
 *
 * @example
 * const { entries } = await scanLayer(createReadStream('rootfs.tar'));
 */
export async function scanLayer(tar: Readable, check?: LayerCheck): Promise<ScanResult> {
  let entries = 0;
  let bytes = 0;
  let links = 0;
  for await (const e of readTar(tar)) {
    entries++;
    bytes += e.size;
    if (e.type === 'symlink') links += e.linkname.length;
    check?.entry(e);
  }
  check?.end();
  return { entries, bytes, unpackedSize: bytes + links };
}
