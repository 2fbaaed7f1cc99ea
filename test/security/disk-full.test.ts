/**
 * Issue 13, "Resources and failures": a full (or read-only) disk under the store
 * or the output ends the command with one line naming what was being written and
 * where, exit status 1, no stack trace; the store stays usable, the command's
 * temp files and mounts are gone, and once there is room again the next build
 * goes on from the cache.
 *
 * The store lives on a small tmpfs of its own; a filler file beside it leaves
 * exactly as much room as a case needs, whatever the busybox binary weighs.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importImage } from '../../src/api/import.js';
import { asResourceError, ResourceError } from '../../src/errors.js';
import { busyboxRootfsTar } from '../helpers/busybox.js';
import { cli, type CliResult } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';
import { contextOf } from '../build/harness.js';

const MB = 1 << 20;
let mnt: string;
let filler: string;

beforeAll(() => {
  mnt = tempRoot('tsbuild-full-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96m', 'tsbuild-full', mnt]);
  filler = join(mnt, 'filler');
});

afterAll(() => {
  for (const m of mountsUnder(mnt)) execFileSync('umount', ['-l', m]);
  execFileSync('umount', ['-l', mnt]);
  rmSync(mnt, { recursive: true, force: true });
});

/** Mount points at or under `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => m !== undefined && m.startsWith(`${dir}/`))
    .reverse();
}

/** Fill the tmpfs so that `bytes` are left free (none removed: all the room there is). */
function leaveFree(bytes: number): void {
  rmSync(filler, { force: true });
  const { bavail, bsize } = statfsSync(mnt);
  const fill = bavail * bsize - bytes;
  if (fill > 0) execFileSync('fallocate', ['-l', String(fill), filler]);
}

const roomAgain = () => rmSync(filler, { force: true });

let stores = 0;
/** A store on the tmpfs with busybox imported. */
async function fullStore(): Promise<string> {
  roomAgain();
  const root = join(mnt, `store${++stores}`);
  await importImage({ root, path: await busyboxRootfsTar(), tag: 'busybox:latest', env: {} });
  return root;
}

/** A file of `size` bytes that no compressor can shrink. */
function noise(path: string, size: number): string {
  writeFileSync(path, randomBytes(size));
  return path;
}

/** The command failed (status `code`) with exactly one line, `error: <message>`, matching `line`. */
function failedWith(r: CliResult, line: RegExp, code = 1): void {
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toContain('internal error');
  const last = r.stderr.trimEnd().split('\n').at(-1)!;
  expect(last).toMatch(line);
  expect(r.code).toBe(code);
}

/** The store after the failure: lists its images, holds no temp file, no mount. */
async function consistent(root: string): Promise<void> {
  const images = await cli(['images', '--root', root, '--format', '{{.Repository}}']);
  expect(images.code).toBe(0);
  expect(images.stdout).toContain('busybox');
  expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  expect(mountsUnder(root)).toEqual([]);
}

const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A temp name as util/temp-owner.ts makes them: kind-pid-start-host-random. */
const TEMP = (dir: string, kind: string) => `${re(dir)}/${kind}-\\d+-\\d+-[0-9a-f]{8}-[0-9a-f]{16}`;

const build = (root: string, ctx: string, ...flags: string[]) =>
  cli(['build', '--root', root, '--progress=classic', ...flags, ctx]);

describe('a build on a full disk', () => {
  it('a RUN that fills the disk fails with its own exit status, and no half log is offered', async () => {
    const root = await fullStore();
    // Output after the disk is full, more than a pipe holds: the RUN cannot end
    // (and free anything) before tsbuild has tried to log it.
    const run = 'RUN dd if=/dev/zero of=/big bs=1M count=20; seq 1 100000; exit 3';
    const ctx = contextOf({
      Dockerfile: `FROM busybox\nRUN echo hi > /small\n${run}\n`,
      'Dockerfile.first': 'FROM busybox\nRUN echo hi > /small\n',
    });
    // The first steps with room: their snapshot and layer are in the store.
    expect((await build(root, ctx, '-f', join(ctx, 'Dockerfile.first'))).code).toBe(0);
    leaveFree(4 * MB);
    // runc, whose state needs no room once the process has run (crun writes a status file).
    const r = await build(root, ctx, '--runtime=runc');
    failedWith(
      r,
      new RegExp(
        `^error: Dockerfile:3:1: The command '/bin/sh -c ${re(run.slice(4))}' returned a non-zero code: 3$`,
      ),
      3,
    );
    expect(r.stdout).toContain('No space left on device');
    expect(r.stderr).not.toContain('full log:');
    expect(readdirSync(join(root, 'logs'))).toEqual([]);
    // Not kept to debug (build/effects/keep-failed.ts): it would keep the disk full.
    expect(r.stdout + r.stderr).toContain('the failed step is not kept to debug');
    expect(readdirSync(root)).not.toContain('containers');
    await consistent(root);
  });

  it('a RUN layer takes its room once: files that fit are the layer, with no second copy as a blob', async () => {
    const root = await fullStore();
    const ctx = contextOf({
      Dockerfile: 'FROM busybox\nRUN echo hi > /small\nRUN dd if=/dev/zero of=/big bs=1M count=3\n',
      'Dockerfile.first': 'FROM busybox\nRUN echo hi > /small\n',
    });
    expect((await build(root, ctx, '-f', join(ctx, 'Dockerfile.first'))).code).toBe(0);
    // Room for the RUN's 3 MB of files, not for them again (a layer stored twice needed 6).
    leaveFree(5 * MB);
    const r = await build(root, ctx);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    await consistent(root);
    roomAgain();
    const again = await build(root, ctx);
    expect(again.code).toBe(0);
    expect(again.stdout.match(/Using cache/g)).toHaveLength(2);
  });

  it('a COPY of a context file larger than the room left names the file it was writing', async () => {
    const root = await fullStore();
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN echo hi > /small\nCOPY big.bin /\n' });
    noise(join(ctx, 'big.bin'), 6 * MB);
    writeFileSync(join(ctx, 'Dockerfile.first'), 'FROM busybox\nRUN echo hi > /small\n');
    expect((await build(root, ctx, '-f', join(ctx, 'Dockerfile.first'))).code).toBe(0);
    leaveFree(3 * MB);
    const r = await build(root, ctx);
    failedWith(
      r,
      new RegExp(
        `^error: no space left on device writing the files of COPY big\\.bin / to ${re(join(root, 'tmp'))}/build-\\w+/\\S+/big\\.bin$`,
      ),
    );
    await consistent(root);
    roomAgain();
    const again = await build(root, ctx);
    expect(again.code).toBe(0);
    expect(again.stdout.match(/Using cache/g)).toHaveLength(1);
  });

  it('a base layer whose snapshot does not fit: the snapshot named', async () => {
    const root = await fullStore();
    const rootfs = join(tempRoot(), 'rootfs');
    mkdirSync(rootfs);
    noise(join(rootfs, 'data'), 3 * MB);
    const tarball = join(tempRoot(), 'rootfs.tar');
    execFileSync('tar', ['-C', rootfs, '-cf', tarball, 'data']);
    const id = await importImage({ root, path: tarball, tag: 'data:1', env: {} });
    const diffID = `sha256:${execFileSync('sha256sum', [tarball], { encoding: 'utf8' }).slice(0, 64)}`;
    leaveFree(2 * MB);
    const r = await build(root, contextOf({ Dockerfile: 'FROM data:1\nRUN true\n' }));
    failedWith(
      r,
      new RegExp(
        `^error: no space left on device writing the snapshot of layer ${diffID} to ${TEMP(join(root, 'tmp'), 'snapshot')}$`,
      ),
    );
    expect(id).toMatch(/^sha256:/);
    await consistent(root);
  });
});

describe('load, import and save on a full disk', () => {
  let image: { tar: string; rootfs: string; diffID: string };
  beforeAll(async () => {
    // An image of one 3 MB layer, saved from a store with room.
    const dir = tempRoot();
    mkdirSync(join(dir, 'rootfs'));
    noise(join(dir, 'rootfs', 'data'), 3 * MB);
    const rootfs = join(dir, 'rootfs.tar');
    execFileSync('tar', ['-C', join(dir, 'rootfs'), '-cf', rootfs, 'data']);
    const big = tempRoot();
    await importImage({ root: big, path: rootfs, tag: 'data:1', env: {} });
    const tar = join(dir, 'data.tar');
    expect((await cli(['save', '--root', big, '-o', tar, 'data:1'])).code).toBe(0);
    const diffID = `sha256:${execFileSync('sha256sum', [rootfs], { encoding: 'utf8' }).slice(0, 64)}`;
    image = { tar, rootfs, diffID };
  });

  it('load: an archive larger than the room left, named with where it was being unpacked', async () => {
    const root = await fullStore();
    leaveFree(2 * MB);
    const r = await cli(['load', '--root', root, '-i', image.tar]);
    failedWith(
      r,
      new RegExp(
        `^error: no space left on device writing the files of ${re(image.tar)} to ${TEMP(join(root, 'tmp'), 'load')}$`,
      ),
    );
    await consistent(root);
  });

  it('load: the unpacked archive fits, its layer does not', async () => {
    const root = await fullStore();
    leaveFree(5 * MB);
    const r = await cli(['load', '--root', root], { stdin: readFileSync(image.tar) });
    failedWith(
      r,
      new RegExp(
        `^error: no space left on device writing layer ${image.diffID} to ${TEMP(join(root, 'tmp'), 'blob')}$`,
      ),
    );
    await consistent(root);
    roomAgain();
    expect((await cli(['load', '--root', root, '-i', image.tar])).code).toBe(0);
  });

  it('import: a rootfs tarball larger than the room left', async () => {
    const root = await fullStore();
    leaveFree(2 * MB);
    const r = await cli(['import', '--root', root, image.rootfs, 'data:1']);
    failedWith(
      r,
      new RegExp(
        `^error: no space left on device writing layer from ${re(image.rootfs)} to ${TEMP(join(root, 'tmp'), 'blob')}$`,
      ),
    );
    await consistent(root);
  });

  it('save -o to a full file system: the archive named, no half archive left', async () => {
    const root = await fullStore();
    expect((await cli(['load', '--root', root, '-i', image.tar])).code).toBe(0);
    const out = join(mnt, 'out');
    mkdirSync(out, { recursive: true });
    leaveFree(1 * MB);
    const r = await cli(['save', '--root', root, '-o', join(out, 'data.tar'), 'data:1']);
    failedWith(
      r,
      new RegExp(
        `^error: no space left on device writing the archive to ${re(join(out, 'data.tar'))}$`,
      ),
    );
    expect(readdirSync(out)).toEqual([]);
    await consistent(root);
  });

  it('save --compress: the compressed layer that does not fit in the store', async () => {
    const root = await fullStore();
    expect((await cli(['load', '--root', root, '-i', image.tar])).code).toBe(0);
    leaveFree(1 * MB);
    const r = await cli(['save', '--root', root, '--compress', 'gzip', 'data:1']);
    failedWith(
      r,
      new RegExp(
        `^error: no space left on device writing layer ${image.diffID} compressed with gzip to ${TEMP(join(root, 'tmp'), 'blob')}$`,
      ),
    );
    await consistent(root);
  });

  it('tag: the image index that cannot be replaced, and the old one still read', async () => {
    const root = await fullStore();
    leaveFree(0);
    const r = await cli(['tag', '--root', root, 'busybox', 'other:1']);
    failedWith(
      r,
      new RegExp(
        `^error: no space left on device writing the image index to ${re(join(root, 'index.json'))}$`,
      ),
    );
    await consistent(root);
  });
});

describe('a read-only store', () => {
  it('says so at once, instead of waiting ten minutes for the lock', async () => {
    const root = await fullStore();
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    let r: CliResult;
    try {
      r = await cli(['tag', '--root', root, 'busybox', 'other:1']);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', mnt]);
    }
    failedWith(
      r,
      new RegExp(
        `^error: read-only file system writing the store's lock to ${re(join(root, 'lock'))}$`,
      ),
    );
    expect(existsSync(join(root, 'lock'))).toBe(false);
    await consistent(root);
  }, 20_000);
});

describe('asResourceError', () => {
  const errno = (code: string) =>
    Object.assign(new Error(`${code}: failed, write`), { code, syscall: 'write' });
  it.each([
    ['ENOSPC', 'NO_SPACE', 'no space left on device'],
    ['EDQUOT', 'NO_SPACE', 'disk quota exceeded'],
    ['EIO', 'IO_ERROR', 'input/output error'],
    ['EROFS', 'IO_ERROR', 'read-only file system'],
    ['EMFILE', 'IO_ERROR', 'too many open files'],
  ])('%s is %s: "%s writing …"', (code, ours, reason) => {
    const e = asResourceError(errno(code), { writing: 'layer x', to: '/s/tmp/blob-1' });
    expect(e).toBeInstanceOf(ResourceError);
    expect((e as ResourceError).code).toBe(ours);
    expect((e as ResourceError).message).toBe(`${reason} writing layer x to /s/tmp/blob-1`);
  });

  it('finds the errno under a wrapping error, and leaves other errors alone', () => {
    const wrapped = new Error('layer entry "a": write failed: ENOSPC', { cause: errno('ENOSPC') });
    expect((asResourceError(wrapped, { writing: 'a snapshot' }) as Error).message).toBe(
      'no space left on device writing a snapshot',
    );
    const other = errno('ENOENT');
    expect(asResourceError(other, { writing: 'x' })).toBe(other);
  });
});
