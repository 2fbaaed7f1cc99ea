/**
 * Unpacking an image archive (`docker save` / OCI layout tar) into a private
 * temp dir before reading it. An archive is not a layer: it holds only blobs,
 * JSON files, directories and — from `docker save` — symlinks between layer
 * files. So this extractor makes nothing else: no devices, FIFOs or hardlinks
 * (a device named manifest.json would otherwise be opened and read), no owners,
 * no setuid bits (files are 0600 in a 0700 dir), and never writes through a
 * symlink: every parent must be a real directory, every file is new.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { TsbuildError } from '../errors.js';
import { bytePath, cleanName } from '../layer/paths.js';
import { readTar } from '../layer/tar-reader.js';

export async function extractArchive(dir: string, input: Readable, name: string): Promise<void> {
  const bad = (entry: string, why: string) =>
    new TsbuildError('BAD_ARCHIVE', `${name}: entry ${JSON.stringify(entry)}: ${why}`, {
      file: name,
      entry,
    });
  for await (const e of readTar(input)) {
    const comps = cleanName(bytePath(e.name), e.label);
    if (comps.length === 0) continue;
    const path = join(dir, ...comps.map((c) => Buffer.from(c, 'latin1').toString('utf8')));
    await makeParents(dir, comps.slice(0, -1), (why) => bad(e.label, why));
    if (e.type === 'dir') {
      await mkdir(path, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      const st = await lstat(path);
      if (!st.isDirectory()) throw bad(e.label, 'a directory over a file or symlink');
    } else if (e.type === 'file') {
      const flags =
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
      const fh = await open(path, flags, 0o600).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'EEXIST' ? bad(e.label, 'appears twice') : err;
      });
      try {
        for await (const chunk of e.body) await fh.write(chunk);
      } finally {
        await fh.close();
      }
    } else if (e.type === 'symlink') {
      await symlink(e.linkname.toString('utf8'), path).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'EEXIST' ? bad(e.label, 'appears twice') : err;
      });
    } else {
      throw bad(e.label, `a ${e.type} entry, which image archives never hold`);
    }
  }
}

/** Create missing parents as 0700 dirs; refuse a parent that is a symlink or a file. */
async function makeParents(
  dir: string,
  comps: string[],
  bad: (why: string) => Error,
): Promise<void> {
  let path = dir;
  for (const c of comps) {
    path = join(path, Buffer.from(c, 'latin1').toString('utf8'));
    const st = await lstat(path).catch(() => undefined);
    if (st === undefined) await mkdir(path, { mode: 0o700 });
    else if (!st.isDirectory()) throw bad(`its parent ${JSON.stringify(c)} is not a directory`);
  }
}
