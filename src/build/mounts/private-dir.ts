/**
 * Where a step's secrets and agent sockets live on the host while it runs:
 * a 0700 directory of this process's own in /dev/shm (memory: a secret never
 * reaches a disk, let alone the store) or, without one, the system's temp
 * directory. Removed when the step ends.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function memoryDir(): string {
  try {
    if (statSync('/dev/shm').isDirectory()) {
      accessSync('/dev/shm', constants.W_OK);
      return '/dev/shm';
    }
  } catch {
    // No /dev/shm to write to: the temp directory.
  }
  return tmpdir();
}

export async function privateDir(kind: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(memoryDir(), `tsbuild-${kind}-`));
  await chmod(path, 0o700);
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
