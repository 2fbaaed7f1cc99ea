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
import { asResourceError } from '../errors.js';
import { StoreError } from './errors.js';

/** How long to wait for another tsbuild before giving up, in milliseconds. */
const WAIT_MS = 10 * 60_000;

export async function withLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  let lost: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await acquire(root, (e) => {
      lost = e;
    });
  } catch (e) {
    // A full or read-only disk is said as such, not as someone else holding the lock.
    const resource = asResourceError(e, { writing: "the store's lock", to: join(root, 'lock') });
    if (resource !== e) throw resource;
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

/**
 * Take the lock, waiting while another process holds it (ELOCKED) and no longer:
 * proper-lockfile's own retries would retry any error, so a read-only or full
 * disk would keep a command waiting for ten minutes before it said so.
 */
async function acquire(
  root: string,
  onCompromised: (e: Error) => void,
): Promise<() => Promise<void>> {
  const deadline = Date.now() + WAIT_MS;
  for (let wait = 20; ; wait = Math.min(200, wait * 1.5)) {
    try {
      return await lockfile.lock(root, {
        lockfilePath: join(root, 'lock'),
        realpath: false,
        stale: 60_000,
        update: 10_000,
        onCompromised,
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED' || Date.now() >= deadline) throw e;
    }
    await new Promise((r) => setTimeout(r, wait));
  }
}
