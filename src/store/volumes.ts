/**
 * Named volumes (`--mount type=volume,src=NAME,dst=…`, `-v NAME:/path`), kept in
 * the store as Docker keeps them in /var/lib/docker/volumes:
 *
 *   volumes/<name>/_data/    what the container sees at the mount's target
 *
 * A volume is made on first use: its `_data` is prepared in tmp/ (filled by
 * `init`, which copies what the image holds at the target, as Docker does for
 * an empty new volume) and renamed into place, so a half-filled volume is never
 * used. A volume with no name given is anonymous: a random 64-hex name.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tempName } from '../util/temp-owner.js';
import { StoreError } from './errors.js';

const VALID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export class VolumeStore {
  readonly dir: string;

  constructor(
    root: string,
    private readonly tmp: string,
  ) {
    this.dir = join(root, 'volumes');
  }

  /** A name for an anonymous volume. */
  static anonymousName(): string {
    return randomBytes(32).toString('hex');
  }

  /** Docker's check of a volume name. */
  static checkName(name: string): void {
    if (!VALID.test(name))
      throw new StoreError(
        'BAD_VOLUME_NAME',
        `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
        { name },
      );
  }

  /** The data dir of volume `name`; made (and filled by `init`) when there is none yet. */
  async acquire(name: string, init: (dir: string) => Promise<void>): Promise<string> {
    VolumeStore.checkName(name);
    const data = join(this.dir, name, '_data');
    if (existsSync(data)) return data;
    await mkdir(join(this.dir, name), { recursive: true });
    await mkdir(this.tmp, { recursive: true });
    const temp = tempName(this.tmp, 'volume');
    await mkdir(temp, { mode: 0o755 });
    try {
      await init(temp);
      // Another container may have made it meanwhile: theirs is as good as ours.
      await rename(temp, data).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
      });
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
    return data;
  }

  async remove(name: string): Promise<void> {
    VolumeStore.checkName(name);
    const doomed = tempName(this.tmp, 'volume');
    await rename(join(this.dir, name), doomed).catch(() => undefined);
    await rm(doomed, { recursive: true, force: true });
  }
}
