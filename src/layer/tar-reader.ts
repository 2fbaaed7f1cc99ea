/**
 * A streaming tar reader: entries one at a time, each with its content as an
 * async iterable of chunks, so a layer of any size passes through in flat
 * memory. Extended headers (PAX 'x', GNU long names 'L'/'K') are folded into
 * the entry they describe; global PAX headers ('g') are ignored, as
 * containerd ignores them.
 *
 * Like Go's archive/tar, the stream may end at an entry boundary without the
 * two zero blocks; ending anywhere else is a truncation and an error. After the
 * end-of-archive marker the rest of the stream is read and discarded, so a
 * digest computed upstream covers the whole blob (containerd does the same).
 */
import type { Readable } from 'node:stream';
import { ByteSource } from './byte-source.js';
import { LayerError, entryError } from './errors.js';
import { BLOCK, padding, type EntryType } from './tar-format.js';
import { parseHeader, parsePax, paxNumber, type RawHeader } from './tar-parse.js';

export interface TarEntry {
  /** The path as its bytes in the archive, not yet cleaned. */
  name: Buffer;
  /** `name` as text, for messages. */
  label: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  /** Content bytes (regular files; 0 for every other type). */
  size: number;
  /** Seconds since the epoch; PAX may give a fraction. */
  mtime: number;
  linkname: Buffer;
  devmajor: number;
  devminor: number;
  /** `SCHILY.xattr.<name>` records, by name. */
  xattrs: Map<string, Buffer>;
  /** The content. Read it before asking for the next entry, or it is skipped. */
  body: AsyncIterable<Buffer>;
}

type Header = Omit<TarEntry, 'body'>;

/** Extended headers hold names and xattrs; Go caps them at 1 MiB too. */
const MAX_SPECIAL = 1 << 20;
const TYPES: Record<number, EntryType> = {
  0x00: 'file',
  0x30: 'file',
  0x37: 'file', // contiguous file: a regular file everywhere that matters
  0x31: 'link',
  0x32: 'symlink',
  0x33: 'char',
  0x34: 'block',
  0x35: 'dir',
  0x36: 'fifo',
};

/** The entries of an uncompressed tar stream. Errors are LayerErrors naming the entry. */
export async function* readTar(input: Readable): AsyncGenerator<TarEntry, void, undefined> {
  const src = new ByteSource(input);
  let done = false;
  let last: string | undefined;
  try {
    for (;;) {
      const where = last === undefined ? 'entry #1' : `entry after ${JSON.stringify(last)}`;
      const header = await nextHeader(src, where);
      if (header === null) break;
      last = header.label;
      const left = { n: header.size };
      const truncated = () =>
        entryError(
          'LAYER_CORRUPT',
          header.label,
          'the tar stream ends inside its data (truncated)',
        );
      yield { ...header, body: body(src, left, truncated) };
      await src.skip(left.n + padding(header.size), truncated);
    }
    await src.drain();
    done = true;
  } finally {
    if (!done) await src.close();
  }
}

async function* body(
  src: ByteSource,
  left: { n: number },
  truncated: () => LayerError,
): AsyncGenerator<Buffer> {
  while (left.n > 0) {
    const chunk = await src.some(left.n, truncated);
    left.n -= chunk.length;
    yield chunk;
  }
}

async function nextHeader(src: ByteSource, where: string): Promise<Header | null> {
  const pax = new Map<string, Buffer>();
  let longName: Buffer | undefined;
  let longLink: Buffer | undefined;
  const truncated = () =>
    new LayerError('LAYER_CORRUPT', `layer ${where}: the tar stream ends inside a header`, {
      where,
    });
  for (;;) {
    const block = await src.exact(BLOCK, truncated);
    if (block === null) return null;
    const raw = parseHeader(block, where);
    if (raw === null) {
      const next = await src.exact(BLOCK, truncated);
      if (next !== null && !next.every((b) => b === 0)) {
        throw new LayerError('LAYER_CORRUPT', `layer ${where}: a lone zero block inside the tar`, {
          where,
        });
      }
      return null;
    }
    const type = String.fromCharCode(raw.typeflag);
    if (type === 'x') parsePax(await special(src, raw, where, truncated), pax, where);
    else if (type === 'g') await src.skip(raw.size + padding(raw.size), truncated);
    else if (type === 'L') longName = cut(await special(src, raw, where, truncated));
    else if (type === 'K') longLink = cut(await special(src, raw, where, truncated));
    else return finish(raw, pax, longName, longLink);
  }
}

async function special(
  src: ByteSource,
  raw: RawHeader,
  where: string,
  truncated: () => LayerError,
): Promise<Buffer> {
  if (raw.size > MAX_SPECIAL) {
    throw new LayerError('LAYER_CORRUPT', `layer ${where}: extended header over 1 MiB`, { where });
  }
  const data = await src.exact(raw.size + padding(raw.size), truncated);
  if (data === null) throw truncated();
  return data.subarray(0, raw.size);
}

/** A GNU long name: the bytes up to the first NUL. */
function cut(b: Buffer): Buffer {
  const nul = b.indexOf(0);
  return Buffer.from(nul === -1 ? b : b.subarray(0, nul));
}

function finish(
  raw: RawHeader,
  pax: Map<string, Buffer>,
  longName: Buffer | undefined,
  longLink: Buffer | undefined,
): Header {
  const name = pax.get('path') ?? longName ?? raw.name;
  const label = name.toString('utf8');
  let type = TYPES[raw.typeflag];
  if (type === undefined) {
    const flag = JSON.stringify(String.fromCharCode(raw.typeflag));
    throw entryError('LAYER_UNSUPPORTED', label, `unsupported tar entry type ${flag}`);
  }
  // Pre-POSIX archives mark directories by a trailing slash alone.
  if (raw.typeflag === 0 && name[name.length - 1] === 0x2f) type = 'dir';
  const where = `entry ${JSON.stringify(label)}`;
  const num = (key: string, fallback: number) => {
    const v = pax.get(key);
    return v === undefined ? fallback : paxNumber(v, key, where);
  };
  const xattrs = new Map<string, Buffer>();
  for (const [key, value] of pax) {
    if (key.startsWith('SCHILY.xattr.')) xattrs.set(key.slice('SCHILY.xattr.'.length), value);
    if (key.startsWith('GNU.sparse.')) {
      throw entryError('LAYER_UNSUPPORTED', label, 'GNU sparse files are not supported');
    }
  }
  const size = num('size', raw.size);
  if (!Number.isSafeInteger(size) || size < 0) {
    throw entryError('LAYER_CORRUPT', label, `invalid size ${size}`);
  }
  return {
    name,
    label,
    type,
    mode: raw.mode,
    uid: num('uid', raw.uid),
    gid: num('gid', raw.gid),
    // Only regular files have content; Go ignores the size of every other type.
    size: type === 'file' ? size : 0,
    mtime: num('mtime', raw.mtime),
    linkname: pax.get('linkpath') ?? longLink ?? raw.linkname,
    devmajor: raw.devmajor,
    devminor: raw.devminor,
    xattrs,
  };
}
