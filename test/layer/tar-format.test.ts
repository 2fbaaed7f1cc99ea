/**
 * The header codec on its own: what is encoded decodes to the same fields,
 * PAX appears exactly when a field does not fit, and malformed or unsupported
 * headers fail with the right code.
 */
import { describe, expect, it } from 'vitest';
import { LayerError } from '../../src/layer/errors.js';
import {
  encodeHeader,
  encodePax,
  endOfArchive,
  splitUstarName,
  type TarHeader,
} from '../../src/layer/tar-format.js';
import { parseHeader, parsePax } from '../../src/layer/tar-parse.js';
import { readTar, type TarEntry } from '../../src/layer/tar-reader.js';
import { caught } from '../helpers/caught.js';
import { chunked, collect } from './helpers.js';

const base: TarHeader = {
  name: Buffer.from('f'),
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  size: 0,
  mtime: 1_600_000_000,
};

/** Read back one header-only entry (its content, if any, is not in the buffer). */
async function readBack(h: TarHeader): Promise<Omit<TarEntry, 'body'>> {
  const it = readTar(chunked(Buffer.concat([encodeHeader(h), endOfArchive()])));
  const first = await it.next();
  if (first.done) throw new Error('no entry');
  const { body: _body, ...entry } = first.value;
  await it.return(undefined);
  return entry;
}

describe('encodeHeader', () => {
  it('writes one ustar block when every field fits, with Go’s number layout', () => {
    const block = encodeHeader({ ...base, size: 5 });
    expect(block.length).toBe(512);
    expect(block.toString('latin1', 100, 108)).toBe('0000644\0');
    expect(block.toString('latin1', 124, 136)).toBe('00000000005\0');
    expect(block.toString('latin1', 257, 265)).toBe('ustar\x0000');
    expect(block.subarray(265, 329).every((b) => b === 0)).toBe(true); // no uname/gname
    expect(parseHeader(block, 'test')).toMatchObject({ name: Buffer.from('f'), size: 5 });
  });

  it.each([
    ['size of 8 GiB', { size: 2 ** 33 }, 'size'],
    ['uid over 0o7777777', { uid: 2 ** 21 }, 'uid'],
    ['gid over 0o7777777', { gid: 2 ** 21 }, 'gid'],
    ['negative mtime', { mtime: -1 }, 'mtime'],
    ['name of 101 bytes without a slash', { name: Buffer.from('n'.repeat(101)) }, 'path'],
    ['UTF-8 name', { name: Buffer.from('né') }, 'path'],
    [
      'link target of 101 bytes',
      { type: 'symlink', linkname: Buffer.alloc(101, 0x6c) },
      'linkpath',
    ],
  ] as const)('carries a %s in PAX and reads it back', async (_what, fields, key) => {
    const h = { ...base, ...fields } as TarHeader;
    const bytes = encodeHeader(h);
    expect(bytes.length).toBe(1536);
    expect(bytes.toString('latin1', 512, 1024)).toContain(` ${key}=`);
    const back = await readBack(h);
    expect(back).toMatchObject({
      name: h.name,
      uid: h.uid,
      gid: h.gid,
      mtime: h.mtime,
      linkname: h.linkname ?? Buffer.alloc(0),
    });
    if (h.type === 'file') expect(back.size).toBe(h.size);
  });

  it('boundary values stay in ustar', () => {
    const fits = { ...base, uid: 0o7777777, size: 0o77777777777, name: Buffer.alloc(100, 0x61) };
    expect(encodeHeader(fits).length).toBe(512);
  });

  it('splits long ASCII names at a slash into prefix and name, as Go does', () => {
    const name = `${'a'.repeat(100)}/${'b'.repeat(99)}`;
    expect(splitUstarName(Buffer.from(name))?.map(String)).toEqual([
      'a'.repeat(100),
      'b'.repeat(99),
    ]);
    expect(splitUstarName(Buffer.from(`${'a'.repeat(156)}/b`))).toBeUndefined();
    expect(splitUstarName(Buffer.from(`a/${'b'.repeat(101)}`))).toBeUndefined();
    expect(splitUstarName(Buffer.from(`${'a'.repeat(120)}/`))).toBeUndefined();
  });

  it('counts a PAX record’s own length digits, across the 2 to 3 digit boundary', () => {
    for (let n = 85; n < 105; n++) {
      const record = encodePax([['path', Buffer.alloc(n, 0x78)]]);
      expect(Number(record.toString().split(' ')[0])).toBe(record.length);
      const back = new Map<string, Buffer>();
      parsePax(record, back, 'test');
      expect(back.get('path')?.length).toBe(n);
    }
  });
});

describe('parseHeader and the reader', () => {
  it('accepts base-256 numbers and a signed checksum', () => {
    const block = encodeHeader({ ...base, size: 1 });
    block.fill(0, 124, 136);
    block[124] = 0x80;
    block[135] = 9; // size 9 in base-256
    block[0] = 0xe9; // a byte over 0x7f, so signed and unsigned sums differ
    let signed = 8 * 32;
    for (let i = 0; i < 512; i++)
      if (i < 148 || i >= 156) signed += ((block[i] as number) << 24) >> 24;
    block.write(`${signed.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    expect(parseHeader(block, 'test')).toMatchObject({ size: 9 });
  });

  it('reads V7 headers and old directories marked by a trailing slash', () => {
    const block = encodeHeader({ ...base, name: Buffer.from('old/') });
    block.fill(0, 257, 265);
    block[156] = 0;
    fixChecksum(block);
    return expect(collectEntries(Buffer.concat([block, endOfArchive()]))).resolves.toEqual([
      ['old/', 'dir'],
    ]);
  });

  it('refuses GNU sparse files, multi-volume parts and unknown types', async () => {
    const sparse = encodeHeader({ ...base, name: Buffer.from('s') });
    sparse[156] = 0x53; // 'S'
    fixChecksum(sparse);
    const err = await collectEntries(Buffer.concat([sparse, endOfArchive()])).catch((e) => e);
    expect(err).toMatchObject({
      code: 'LAYER_UNSUPPORTED',
      message: 'layer entry "s": unsupported tar entry type "S"',
    });
  });

  it('refuses malformed PAX records', () => {
    const map = new Map<string, Buffer>();
    for (const bad of ['5 a=b\n', '99 path=x\n', 'x path=y\n', '7 =abc\n']) {
      expect(caught(() => parsePax(Buffer.from(bad), map, 'entry #1'), LayerError).code).toBe(
        'LAYER_CORRUPT',
      );
    }
  });
});

function fixChecksum(block: Buffer): void {
  let sum = 8 * 32;
  for (let i = 0; i < 512; i++) if (i < 148 || i >= 156) sum += block[i] as number;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}

async function collectEntries(tar: Buffer): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const e of readTar(chunked(tar))) {
    await collect(e.body);
    out.push([e.label, e.type]);
  }
  return out;
}
