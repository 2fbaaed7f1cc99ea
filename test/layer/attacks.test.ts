/**
 * Hostile layers. Every case checks that nothing beside the root changed (a
 * sentinel directory next to it, with a file to overwrite or link to), and the
 * refused ones that the LayerError names the entry. Symlinks among a name's
 * parents are followed inside the root (paths.ts says why), so those cases
 * assert where the write landed instead of an error.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyLayer } from '../../src/layer/apply.js';
import { LayerError } from '../../src/layer/errors.js';
import { chunked, makeTar, put, snapshot, tempDir, type PackEntry } from './helpers.js';

let base: string;
let root: string;
let outside: string;
let before: unknown;

beforeEach(() => {
  base = tempDir();
  root = join(base, 'root');
  outside = join(base, 'outside');
  mkdirSync(root);
  put(join(outside, 'keep'), 'keep');
  before = snapshot(outside, { dirTimes: true });
});

/** Beside the root, nothing changed. */
function untouched(): void {
  expect(readdirSync(base).sort()).toEqual(['outside', 'root']);
  expect(snapshot(outside, { dirTimes: true })).toEqual(before);
  expect(lstatSync(join(outside, 'keep')).nlink).toBe(1);
}

async function refused(entries: PackEntry[] | Buffer): Promise<LayerError> {
  const tar = Buffer.isBuffer(entries) ? entries : await makeTar(entries);
  const err = await applyLayer(root, chunked(tar, 100)).catch((e: unknown) => e);
  untouched();
  if (!(err instanceof LayerError)) throw new Error(`expected a LayerError, got ${String(err)}`);
  return err;
}

async function applied(entries: PackEntry[]): Promise<void> {
  await applyLayer(root, chunked(await makeTar(entries), 100));
  untouched();
}

const file = (name: string, body = 'evil'): PackEntry => ({ header: { name }, body });
const symlink = (name: string, linkname: string): PackEntry => ({
  header: { name, type: 'symlink', linkname },
});
const hardlink = (name: string, linkname: string): PackEntry => ({
  header: { name, type: 'link', linkname },
});

describe('names that climb out of the root', () => {
  for (const name of [
    '../x',
    'a/../../x',
    '/../outside/keep',
    '../outside/keep',
    'a/b/../../../x',
  ]) {
    it(`refuses "${name}"`, async () => {
      const err = await refused([file(name)]);
      expect(err.code).toBe('LAYER_UNSAFE_PATH');
      expect(err.message).toBe(`layer entry ${JSON.stringify(name)}: path escapes the root`);
    });
  }

  it('refuses a PAX path that climbs out, whatever the ustar name says', async () => {
    const err = await refused([{ header: { name: 'ok', pax: { path: '../x' } }, body: 'x' }]);
    expect(err.message).toBe('layer entry "../x": path escapes the root');
  });

  it('reads an absolute name relative to the root, as containerd does', async () => {
    await applied([file('/etc/x', 'inside')]);
    expect(readFileSync(join(root, 'etc/x'), 'utf8')).toBe('inside');
  });

  it('keeps "a/../x" that stays inside', async () => {
    await applied([file('a/../x', 'inside')]);
    expect(readdirSync(root)).toEqual(['x']);
  });
});

describe('symlinks', () => {
  it('follows an absolute symlink parent inside the root, never to the host', async () => {
    await applied([symlink('evil', outside), file('evil/keep')]);
    expect(readFileSync(join(root, outside, 'keep'), 'utf8')).toBe('evil');
  });

  it('clamps a relative symlink parent at the root, as a chroot does', async () => {
    await applied([symlink('up', '../..'), file('up/x'), symlink('a/up2', '../../../outside')]);
    expect(readFileSync(join(root, 'x'), 'utf8')).toBe('evil');
    await applied([file('a/up2/keep')]);
    expect(readFileSync(join(root, 'outside/keep'), 'utf8')).toBe('evil');
  });

  it('refuses a symlink loop in a parent', async () => {
    const err = await refused([symlink('loop', 'loop'), file('loop/x')]);
    expect(err.message).toBe('layer entry "loop/x": too many levels of symbolic links');
  });

  it('replaces a symlink by a file instead of writing through it', async () => {
    await applied([symlink('link', join(outside, 'keep')), file('link', 'replaced')]);
    expect(lstatSync(join(root, 'link')).isFile()).toBe(true);
  });

  it('replaces a symlink by a directory instead of changing its target', async () => {
    await applied([
      symlink('d', outside),
      { header: { name: 'd/', type: 'directory', mode: 0o777 } },
    ]);
    expect(lstatSync(join(root, 'd')).isDirectory()).toBe(true);
  });
});

describe('hard links', () => {
  it('refuses a target that climbs out', async () => {
    const err = await refused([hardlink('h', '../outside/keep')]);
    expect(err.code).toBe('LAYER_UNSAFE_PATH');
    expect(err.message).toBe('layer entry "h": hardlink target escapes the root');
  });

  it('resolves a target through a symlink inside the root, so the host file is out of reach', async () => {
    const err = await refused([symlink('s', outside), hardlink('h', 's/keep')]);
    expect(err.message).toBe('layer entry "h": hardlink target "s/keep" does not exist');
  });

  it('refuses a target that is a directory or does not exist', async () => {
    const dir = { header: { name: 'd/', type: 'directory' as const } };
    expect((await refused([dir, hardlink('h', 'd')])).message).toContain('is a directory');
    expect((await refused([hardlink('h', 'nope')])).message).toContain('does not exist');
  });

  it('links a symlink itself, not what it points to', async () => {
    await applied([symlink('s', join(outside, 'keep')), hardlink('h', 's')]);
    expect(lstatSync(join(root, 'h')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(root, 's')).nlink).toBe(2);
  });
});

describe('whiteouts', () => {
  for (const name of ['.wh...', 'a/.wh..', '.wh.']) {
    it(`refuses "${name}"`, async () => {
      const err = await refused([file(name, '')]);
      expect(err.message).toBe(
        `layer entry ${JSON.stringify(name)}: whiteout names no file in its directory`,
      );
    });
  }

  it('refuses "../.wh.outside"', async () => {
    const err = await refused([file('../.wh.outside', '')]);
    expect(err.message).toBe('layer entry "../.wh.outside": path escapes the root');
  });

  it('deletes and empties through symlinks only inside the root', async () => {
    await applied([symlink('s', outside), file('s/.wh.keep', ''), file('s/.wh..wh..opq', '')]);
    expect(existsSync(join(root, outside))).toBe(true);
  });

  it('makes overlay whiteouts through symlinks only inside the root', async () => {
    const tar = await makeTar([symlink('s', outside), file('s/.wh.keep', '')]);
    await applyLayer(root, chunked(tar), { whiteouts: 'overlay' });
    untouched();
    expect(lstatSync(join(root, outside, 'keep')).isCharacterDevice()).toBe(true);
  });
});

describe('broken tars', () => {
  it('rejects a tar truncated inside an entry, naming it', async () => {
    const tar = await makeTar([file('small', 'ok'), file('big', 'x'.repeat(5000))]);
    const err = await refused(tar.subarray(0, 2048));
    expect(err.code).toBe('LAYER_CORRUPT');
    expect(err.message).toBe('layer entry "big": the tar stream ends inside its data (truncated)');
  });

  it('rejects a tar truncated inside a header', async () => {
    const tar = await makeTar([file('small', 'ok'), file('next', 'x')]);
    const err = await refused(tar.subarray(0, 1024 + 100));
    expect(err.message).toBe('layer entry after "small": the tar stream ends inside a header');
  });

  it('rejects garbage', async () => {
    const err = await refused(randomBytes(4096));
    expect(err.code).toBe('LAYER_CORRUPT');
    expect(err.message).toBe('layer entry #1: not a tar header (bad checksum)');
  });

  it('rejects garbage after a good entry, naming the entry before it', async () => {
    const tar = await makeTar([file('good', 'ok')]);
    const err = await refused(Buffer.concat([tar.subarray(0, 1024), Buffer.alloc(512, 0x41)]));
    expect(err.message).toMatch(/^layer entry after "good": not a tar header/);
  });

  it('rejects a lone zero block followed by more entries', async () => {
    const tar = await makeTar([file('good', 'ok')]);
    const header = tar.subarray(0, 512);
    const err = await refused(Buffer.concat([tar.subarray(0, 1024), Buffer.alloc(512), header]));
    expect(err.message).toBe('layer entry after "good": a lone zero block inside the tar');
  });
});
