/**
 * The cross-process lock every store mutation takes. proper-lockfile makes the
 * lock an mkdir (atomic on every filesystem) and keeps its mtime fresh while it
 * is held, so a lock left by a killed process goes stale and is taken over
 * instead of wedging the store. Readers take no lock: every file they read is
 * replaced atomically.
 *
 * Staleness is generous (a minute): the refresh runs on libuv's thread pool,
 * which a large `rm -r` or extraction can keep busy for seconds, and taking
 * over a live holder's lock is far worse than waiting for a dead one. Should
 * it happen anyway, the holder's operation fails with STORE_LOCK_LOST instead
 * of proper-lockfile's default of throwing from a timer.
 */
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { StoreError } from './errors.js';

/** How long to wait for another tsbuild before giving up, in milliseconds. */
const WAIT_MS = 10 * 60_000;

export async function withLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  let lost: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(root, {
      lockfilePath: join(root, 'lock'),
      realpath: false,
      stale: 60_000,
      update: 10_000,
      retries: { retries: Math.ceil(WAIT_MS / 200), minTimeout: 20, maxTimeout: 200, factor: 1.5 },
      onCompromised: (e) => {
        lost = e;
      },
    });
  } catch (e) {
    throw new StoreError(
      'STORE_LOCKED',
      `could not lock the store at ${root}: ${(e as Error).message}`,
      { root },
    );
  }
  let result: T;
  try {
    result = await fn();
  } finally {
    if (!lost) await release();
  }
  if (lost)
    throw new StoreError(
      'STORE_LOCK_LOST',
      `lost the lock on the store at ${root}: ${lost.message}`,
      {
        root,
      },
    );
  return result;
}
