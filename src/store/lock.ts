/**
 * The cross-process lock every store mutation takes. proper-lockfile makes the
 * lock an mkdir (atomic on every filesystem) and keeps its mtime fresh while it
 * is held, so a lock left by a killed process goes stale and is taken over
 * instead of wedging the store. Readers take no lock: every file they read is
 * replaced atomically.
 */
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { StoreError } from './errors.js';

/** How long to wait for another tsbuild before giving up, in milliseconds. */
const WAIT_MS = 10 * 60_000;

export async function withLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(root, {
      lockfilePath: join(root, 'lock'),
      realpath: false,
      stale: 10_000,
      update: 2_000,
      retries: { retries: Math.ceil(WAIT_MS / 200), minTimeout: 20, maxTimeout: 200, factor: 1.5 },
    });
  } catch (e) {
    throw new StoreError(
      'STORE_LOCKED',
      `could not lock the store at ${root}: ${(e as Error).message}`,
      { root },
    );
  }
  try {
    return await fn();
  } finally {
    await release();
  }
}
