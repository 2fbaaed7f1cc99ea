/**
 * Files that are replaced whole and must never be seen half-written (index.json,
 * image records, tags): written to a temp file (beside the target, or `tmp` on the
 * same file system), fsynced, renamed over it, and the directory fsynced so the
 * rename survives a crash.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode = 0o644,
  tmp = join(dirname(path), `.tmp-${randomBytes(6).toString('hex')}`),
): Promise<void> {
  try {
    await writeNewFileSynced(tmp, data, mode);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dirname(path));
}

/** Create `path` (it must not exist), write `data`, and fsync it before returning. */
export async function writeNewFileSynced(
  path: string,
  data: string | Uint8Array,
  mode = 0o644,
): Promise<void> {
  const fh = await open(path, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
