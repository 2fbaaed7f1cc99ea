/**
 * Device numbers and device nodes. Node.js has no mknod(2), so the rare
 * character/block devices and fifos in a layer are made by /usr/bin/mknod.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
const MKNOD = existsSync('/usr/bin/mknod') ? '/usr/bin/mknod' : 'mknod';

/** glibc's major()/minor() of a dev_t, as stat's rdev gives it. */
export function splitDev(rdev: number | bigint): { major: number; minor: number } {
  const dev = BigInt(rdev);
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return { major: Number(major & 0xffffffffn), minor: Number(minor & 0xffffffffn) };
}

export type NodeKind = 'char' | 'block' | 'fifo';

/** Make a device node or fifo at `path` (which must not exist) with permission bits `mode`. */
export async function mknod(
  path: string,
  kind: NodeKind,
  mode: number,
  major = 0,
  minor = 0,
): Promise<void> {
  const args = ['-m', (mode & 0o7777).toString(8), '--', path];
  if (kind === 'fifo') args.push('p');
  else args.push(kind === 'char' ? 'c' : 'b', String(major), String(minor));
  try {
    await run(MKNOD, args);
  } catch (e) {
    const stderr = String((e as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(stderr || (e as Error).message, { cause: e });
  }
}
