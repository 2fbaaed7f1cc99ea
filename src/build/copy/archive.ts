/**
 * ADD app.tar.gz /opt/ — a local tar archive (plain, gzip, bzip2, xz or zstd,
 * told by its content, never its name) is extracted into the destination
 * directory; anything else, a gzipped non-tar included, is copied as a file.
 * This is moby's archive.IsArchive + Untar, which BuildKit's ADD still uses.
 *
 * Extraction goes through layer/'s root-confined entry writer with the
 * destination directory as the root (as Docker untars in a chroot there): no
 * entry, link or symlink parent leaves it. Unlike a layer, `.wh.*` names are
 * plain files (Docker 20.10 confirmed, BuildKit: `ADD t.tar /x/` with a
 * `.wh.q` inside makes a file /x/.wh.q and deletes nothing), and entries keep
 * the archive's owners even with --chown, which only owns the directories
 * ADD creates (Docker 20.10 confirmed).
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { applyLayer } from '../../layer/apply.js';
import { decoderFor, sniffCompression } from '../../layer/compress.js';
import { LayerError } from '../../layer/errors.js';
import { BLOCK } from '../../layer/tar-format.js';
import { parseHeader } from '../../layer/tar-parse.js';

async function open(path: string): Promise<Readable> {
  const { kind, stream } = await sniffCompression(createReadStream(path));
  const dec = decoderFor(kind, path);
  pipeline(stream, dec).catch((e: unknown) => dec.destroy(e as Error));
  return dec;
}

/** Whether `path` is a tar archive, perhaps compressed: its first block is a valid tar header. */
export async function isArchive(path: string): Promise<boolean> {
  const input = await open(path);
  const head: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of input) {
      head.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= BLOCK) break;
    }
  } catch {
    return false; // not really gzip/xz/…: a file like any other
  } finally {
    input.destroy();
  }
  if (size < BLOCK) return false;
  try {
    return parseHeader(Buffer.concat(head).subarray(0, BLOCK), path) !== null;
  } catch (e) {
    if (e instanceof LayerError) return false;
    throw e;
  }
}

/**
 * Extract the archive at `path` into the existing directory `dir` (a real path in the
 * rootfs): a plain archive, so `.wh.` names are files like any other.
 */
export async function extractArchive(path: string, dir: string): Promise<void> {
  await applyLayer(dir, await open(path), { whiteouts: 'none' });
}
