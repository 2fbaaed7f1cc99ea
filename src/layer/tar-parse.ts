/**
 * Decoding of tar header blocks and PAX records, as Go's archive/tar reads
 * them (the reader Docker and containerd apply layers with): ustar, GNU and V7
 * headers, octal or base-256 numbers, signed or unsigned checksums. PAX values
 * stay bytes, because an xattr such as security.capability is binary.
 */
import { LayerError } from './errors.js';
import { BLOCK } from './tar-format.js';

export interface RawHeader {
  name: Buffer;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: number;
  linkname: Buffer;
  devmajor: number;
  devminor: number;
}

class FieldError extends Error {}

/** A header block decoded, or null for a block of zeros (end of archive). */
export function parseHeader(block: Buffer, where: string): RawHeader | null {
  if (block.every((b) => b === 0)) return null;
  try {
    checkChecksum(block);
    const magic = block.toString('latin1', 257, 265);
    const ustar = magic.startsWith('ustar\0');
    const extended = ustar || magic === 'ustar  \0';
    let name = cString(block, 0, 100);
    if (ustar && block[345] !== 0) {
      name = Buffer.concat([cString(block, 345, 155), Buffer.from('/'), name]);
    }
    return {
      name,
      mode: numeric(block, 100, 8),
      uid: numeric(block, 108, 8),
      gid: numeric(block, 116, 8),
      size: numeric(block, 124, 12),
      mtime: numeric(block, 136, 12),
      typeflag: block[156] as number,
      linkname: cString(block, 157, 100),
      devmajor: extended ? numeric(block, 329, 8) : 0,
      devminor: extended ? numeric(block, 337, 8) : 0,
    };
  } catch (e) {
    if (!(e instanceof FieldError)) throw e;
    throw new LayerError('LAYER_CORRUPT', `layer ${where}: not a tar header (${e.message})`, {
      where,
    });
  }
}

function checkChecksum(block: Buffer): void {
  let unsigned = 8 * 0x20;
  let signed = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) {
    if (i >= 148 && i < 156) continue;
    const b = block[i] as number;
    unsigned += b;
    signed += b >= 0x80 ? b - 0x100 : b;
  }
  let stored: number;
  try {
    stored = numeric(block, 148, 8);
  } catch {
    throw new FieldError('bad checksum');
  }
  if (stored !== unsigned && stored !== signed) throw new FieldError('bad checksum');
}

function cString(b: Buffer, offset: number, length: number): Buffer {
  const field = b.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return Buffer.from(nul === -1 ? field : field.subarray(0, nul));
}

/** Octal text (padded with spaces or NULs) or, with the high bit set, a base-256 number. */
function numeric(b: Buffer, offset: number, length: number): number {
  const field = b.subarray(offset, offset + length);
  if (((field[0] as number) & 0x80) !== 0) {
    if (field[0] === 0xff) throw new FieldError('negative number');
    let n = (field[0] as number) & 0x7f;
    for (const byte of field.subarray(1)) n = n * 256 + byte;
    if (!Number.isSafeInteger(n)) throw new FieldError('number too large');
    return n;
  }
  const text = field.toString('latin1').replace(/^[ \0]+|[ \0]+$/g, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new FieldError(`invalid number ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

/** PAX records "<len> <key>=<value>\n" to a map; an empty value unsets the key, as POSIX says. */
export function parsePax(body: Buffer, into: Map<string, Buffer>, where: string): void {
  let at = 0;
  while (at < body.length) {
    if (body[at] === 0) break; // NUL padding after the last record
    const space = body.indexOf(0x20, at);
    const lenText = space === -1 ? '' : body.toString('latin1', at, space);
    const len = /^[1-9][0-9]*$/.test(lenText) ? Number(lenText) : NaN;
    const end = at + len;
    if (!(end <= body.length) || body[end - 1] !== 0x0a) {
      throw new LayerError('LAYER_CORRUPT', `layer ${where}: malformed PAX record`, { where });
    }
    const record = body.subarray(space + 1, end - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) {
      throw new LayerError('LAYER_CORRUPT', `layer ${where}: malformed PAX record`, { where });
    }
    const key = record.toString('utf8', 0, eq);
    const value = Buffer.from(record.subarray(eq + 1));
    if (value.length === 0) into.delete(key);
    else into.set(key, value);
    at = end;
  }
}

/** A decimal PAX number such as "1700000000.5"; fractions are kept for mtimes. */
export function paxNumber(value: Buffer, key: string, where: string): number {
  const text = value.toString('latin1');
  if (!/^-?[0-9]+(\.[0-9]+)?$/.test(text) || !Number.isFinite(Number(text))) {
    throw new LayerError('LAYER_CORRUPT', `layer ${where}: invalid PAX ${key} ${text}`, { where });
  }
  return Number(text);
}
