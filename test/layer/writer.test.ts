/**
 * tarDirectory's headers as an independent decoder (tar-stream) and GNU tar
 * read them: types, modes, owners, links, PAX only where needed, the order,
 * SOURCE_DATE_EPOCH, overlay whiteouts, exclusion, and errors.
 */
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { getXattr } from '../../src/layer/xattrs.js';
import { describe, expect, it } from 'vitest';
import { LayerError } from '../../src/layer/errors.js';
import { readTar } from '../../src/layer/tar-reader.js';
import { scanLayer } from '../../src/layer/scan.js';
import { tarDirectory, type TarSummary } from '../../src/layer/writer.js';
import { DigestStream } from '../../src/util/digest.js';
import { chunked, collect, decodeTar, put, tempDir, type Decoded } from './helpers.js';
import {
  CAP_BYTES,
  T0,
  basicTree,
  bigNumbersTree,
  longNamesTree,
  upperTree,
  xattrTree,
} from './trees.js';

async function tarOf(build: (root: string) => void, opts = {}): Promise<Decoded[]> {
  const root = join(tempDir(), 'tree');
  build(root);
  return decodeTar(await collect(tarDirectory(root, opts)));
}

const byName = (entries: Decoded[], name: string) => {
  const found = entries.find((e) => e.header.name === name);
  if (!found) throw new Error(`no entry ${name}`);
  return found.header;
};

describe('tarDirectory headers', () => {
  it('orders entries depth first, each directory bytewise, a directory before its contents', async () => {
    const names = (await tarOf(basicTree)).map((e) => e.header.name);
    expect(names.slice(0, 5)).toEqual(['a/', 'a/b', 'a-b', 'a.b', 'bin/']);
    expect(names).toContain('usr/share/same');
    expect(names).not.toContain('');
  });

  it('records types, permission bits, owners and devices as on disk, and nothing else', async () => {
    const entries = await tarOf(basicTree);
    expect(byName(entries, 'bin/su')).toMatchObject({ type: 'file', mode: 0o4755, uid: 0 });
    expect(byName(entries, 'bin/wall')).toMatchObject({ mode: 0o2755, gid: 5 });
    expect(byName(entries, 'tmp/')).toMatchObject({ type: 'directory', mode: 0o1777 });
    expect(byName(entries, 'home/user/')).toMatchObject({ mode: 0o700, uid: 1000, gid: 1000 });
    expect(byName(entries, 'etc/alt')).toMatchObject({ type: 'symlink', linkname: '../bin/app' });
    expect(byName(entries, 'etc/dangling')).toMatchObject({ type: 'symlink', linkname: 'nowhere' });
    expect(byName(entries, 'run/fifo')).toMatchObject({ type: 'fifo', mode: 0o600 });
    const dev = { type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 };
    expect(byName(entries, 'dev/null')).toMatchObject(dev);
    expect(byName(entries, 'dev/loop0')).toMatchObject({ type: 'block-device', devmajor: 7 });
    expect(byName(entries, 'bin/app').mtime.getTime()).toBe((T0 + 3600) * 1000);
    for (const { header } of entries) {
      expect(header).toMatchObject({ uname: '', gname: '', pax: null });
    }
  });

  it('stores the first of several hard links as a file and the rest as links to it', async () => {
    const entries = await tarOf(basicTree);
    expect(byName(entries, 'usr/lib/liba.so')).toMatchObject({ type: 'file', size: 1500 });
    const link = { type: 'link', linkname: 'usr/lib/liba.so', size: 0 };
    expect(byName(entries, 'usr/lib/liba.so.1')).toMatchObject(link);
    expect(byName(entries, 'usr/share/same')).toMatchObject(link);
  });

  it('makes the first included name the file when the first name is excluded', async () => {
    const root = join(tempDir(), 'tree');
    basicTree(root);
    const tar = await collect(tarDirectory(root, { exclude: (p) => p === 'usr/lib' }));
    const entries = await decodeTar(tar);
    expect(byName(entries, 'usr/share/same')).toMatchObject({ type: 'file', size: 1500 });
    expect(entries.some((e) => e.header.name.startsWith('usr/lib'))).toBe(false);
  });

  it('uses ustar prefix/name when it fits and PAX only where it must', async () => {
    const entries = await tarOf(longNamesTree);
    const paxOf = (name: string) => byName(entries, name).pax as Record<string, string> | null;
    const deep = `deep/${'x'.repeat(60)}/${'y'.repeat(60)}/file`;
    expect(paxOf(deep)).toBeNull();
    const long = `${'p'.repeat(90)}/${'q'.repeat(110)}`;
    expect(paxOf(long)).toEqual({ path: long });
    expect(paxOf('é/日本語.txt')).toEqual({ path: 'é/日本語.txt' });
    expect(paxOf('é/')).toEqual({ path: 'é/' });
    expect(paxOf('long-target')).toEqual({ linkpath: 'z'.repeat(150) });
    expect(paxOf('unicode-target')).toEqual({ linkpath: 'é/日本語.txt' });
    expect(byName(entries, 'zz-hardlink')).toMatchObject({ type: 'link', linkname: long });
  });

  it('records big ids and out-of-range mtimes in PAX', async () => {
    const entries = await tarOf(bigNumbersTree);
    expect(byName(entries, 'big-ids').pax).toEqual({ gid: '3000001', uid: '3000000' });
    expect(byName(entries, 'future').pax).toEqual({ mtime: '9000000000' });
    expect(byName(entries, 'past').pax).toEqual({ mtime: '-86400' });
  });

  it('records security.capability, byte for byte, and no other xattr', async () => {
    const root = join(tempDir(), 'tree');
    xattrTree(root);
    const tar = await collect(tarDirectory(root));
    const entries = new Map<string, Map<string, Buffer>>();
    for await (const e of readTar(chunked(tar))) entries.set(e.label, e.xattrs);
    expect(entries.get('bin/ping')).toEqual(new Map([['security.capability', CAP_BYTES]]));
    expect(entries.get('bin/plain')).toEqual(new Map());
    // GNU tar reads the same record back onto a file.
    const out = join(tempDir(), 'gnu');
    mkdirSync(out);
    writeFileSync(join(out, '..', 'x.tar'), tar);
    execFileSync('tar', [
      '--xattrs',
      '--xattrs-include=*',
      '-xf',
      join(out, '..', 'x.tar'),
      '-C',
      out,
    ]);
    expect(getXattr(join(out, 'bin/ping'), 'security.capability')).toEqual(CAP_BYTES);
  });

  it('skips sockets', async () => {
    const root = tempDir();
    put(join(root, 'file'), 'x');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(root, 'sock'), resolve));
    try {
      const names = (await decodeTar(await collect(tarDirectory(root)))).map((e) => e.header.name);
      expect(names).toEqual(['file']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('tarDirectory options', () => {
  it('clamps mtimes to sourceDateEpoch and leaves older ones alone', async () => {
    const epoch = T0 - 60;
    const entries = await tarOf(basicTree, { sourceDateEpoch: epoch });
    for (const { header } of entries) {
      expect(header.mtime.getTime() / 1000).toBeLessThanOrEqual(epoch);
    }
    expect(byName(entries, 'bin/app').mtime.getTime()).toBe(epoch * 1000);
    expect(byName(entries, 'etc/abs').mtime.getTime()).toBe((T0 - 3600) * 1000);
  });

  it('turns overlay whiteouts and opaque dirs into OCI whiteouts in overlay mode', async () => {
    const entries = await tarOf(upperTree, { overlay: true });
    expect(entries.map((e) => e.header.name)).toEqual([
      '.wh.zz-gone',
      'etc/',
      'etc/.wh.gone',
      'etc/kept',
      'null',
      'opt/',
      'opt/.wh..wh..opq',
      'var/',
      'var/.wh..wh..opq',
      'var/-first',
      'var/new',
    ]);
    const whiteout = { type: 'file', size: 0, mode: 0o600, uid: 7, gid: 8 };
    expect(byName(entries, '.wh.zz-gone')).toMatchObject(whiteout);
    expect(byName(entries, 'var/.wh..wh..opq')).toMatchObject({ type: 'file', mode: 0o750 });
    expect(byName(entries, 'null')).toMatchObject({ type: 'character-device', devminor: 3 });
    expect(entries.every((e) => e.header.pax === null)).toBe(true);
  });

  it('keeps 0/0 devices and opaque dirs as they are without overlay mode', async () => {
    const entries = await tarOf(upperTree);
    expect(byName(entries, 'etc/gone')).toMatchObject({ type: 'character-device', devmajor: 0 });
    expect(entries.some((e) => e.header.name.includes('.wh.'))).toBe(false);
  });

  it('leaves out excluded paths with everything under them', async () => {
    const exclude = (p: string) => p === 'etc' || p === 'home/user/.profile';
    const names = (await tarOf(basicTree, { exclude })).map((e) => e.header.name);
    expect(names.filter((n) => n.startsWith('etc'))).toEqual([]);
    expect(names).toContain('home/user/nobody');
    expect(names).not.toContain('home/user/.profile');
  });
});

describe('tarDirectory streaming and errors', () => {
  it('fails with LAYER_CHANGED when a file shrinks while it is read', async () => {
    const root = tempDir();
    put(join(root, 'big'), Buffer.alloc(4 << 20, 1));
    const stream = tarDirectory(root);
    const it = stream[Symbol.asyncIterator]();
    await it.next(); // the header and first slice are read; the rest waits for the consumer
    truncateSync(join(root, 'big'), 10);
    const err = await collect({ [Symbol.asyncIterator]: () => it }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LayerError);
    expect(err).toMatchObject({ code: 'LAYER_CHANGED', message: expect.stringContaining('"big"') });
  });

  it('fails with a LayerError for a directory that does not exist', async () => {
    const err = await collect(tarDirectory(join(tempDir(), 'nope'))).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'LayerError', code: 'LAYER_IO' });
  });

  it('fills in the summary scanLayer would measure, complete once the tar has ended', async () => {
    for (const [build, overlay] of [
      [basicTree, false],
      [upperTree, true],
    ] as const) {
      const root = join(tempDir(), 'tree');
      build(root);
      const summary: TarSummary = { unpackedSize: 0, complete: false };
      const bytes = await collect(tarDirectory(root, { overlay, summary }));
      expect(summary.complete).toBe(true);
      const scanned = await scanLayer(Readable.from([bytes]));
      expect(summary.unpackedSize).toBe(scanned.unpackedSize);
      expect(summary.unpackedSize).toBeGreaterThan(0);
    }
  });

  it('leaves the summary incomplete when the tar fails part way', async () => {
    const root = tempDir();
    put(join(root, 'a'), 'x');
    put(join(root, 'big'), Buffer.alloc(3 << 20, 1));
    const summary: TarSummary = { unpackedSize: 0, complete: false };
    const stream = tarDirectory(root, { summary });
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    truncateSync(join(root, 'big'), 10);
    await collect({ [Symbol.asyncIterator]: () => it }).catch(() => undefined);
    expect(summary.complete).toBe(false);
  });

  it('hands out 1 MiB chunks, not one per header or small file', async () => {
    const root = tempDir();
    for (let i = 0; i < 600; i++)
      put(join(root, `f${String(i).padStart(3, '0')}`), Buffer.alloc(3000, i));
    const sizes: number[] = [];
    for await (const chunk of tarDirectory(root)) sizes.push((chunk as Buffer).length);
    // 600 × (512 header + 3072 content) + 1024 end blocks = 2,151,424 bytes.
    expect(sizes).toEqual([1 << 20, 1 << 20, 2_151_424 - (2 << 20)]);
  });

  it('streams a 1 GiB file with flat memory', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'huge'), '');
    truncateSync(join(root, 'huge'), 1 << 30); // sparse: reads as zeros, costs no disk
    linkSync(join(root, 'huge'), join(root, 'huge2'));
    const before = process.memoryUsage.rss();
    let peak = before;
    const digest = new DigestStream();
    const sink = new Writable({
      write(_chunk, _enc, done) {
        peak = Math.max(peak, process.memoryUsage.rss());
        done();
      },
    });
    await pipeline(tarDirectory(root), digest, sink);
    expect(digest.size).toBe(512 + (1 << 30) + 512 + 1024);
    expect(peak - before).toBeLessThan(100 << 20);
  });
});
