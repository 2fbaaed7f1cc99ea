/**
 * Encoding of tar headers, byte for byte as Go's archive/tar writes them (the
 * writer BuildKit and containerd use): a plain ustar header when every field
 * fits, otherwise a PAX extended header (`typeflag 'x'`, records sorted by key)
 * before it. Numbers are zero-padded octal ending in NUL; uname/gname, atime
 * and ctime are never written, so the bytes depend only on the header fields.
 *
 * PAX is used exactly when needed: a name that is not ASCII or does not fit
 * ustar's 155+100 byte prefix/name split, a link target that is not ASCII or is
 * over 100 bytes, uid/gid over 0o7777777, a size of 8 GiB or more, an mtime
 * outside 0..0o77777777777, and xattrs (`SCHILY.xattr.<name>`).
 */

export const BLOCK = 512;

export const TYPEFLAG = {
  file: 0x30,
  link: 0x31,
  symlink: 0x32,
  char: 0x33,
  block: 0x34,
  dir: 0x35,
  fifo: 0x36,
} as const;

export type EntryType = keyof typeof TYPEFLAG;

const PAX_TYPEFLAG = 0x78; // 'x'
const MAX_OCTAL_7 = 0o7777777;
const MAX_OCTAL_11 = 0o77777777777;
const NAME_SIZE = 100;
const PREFIX_SIZE = 155;
const EMPTY = Buffer.alloc(0);

export interface TarHeader {
  /** Path bytes relative to the layer root; directories end in '/'. */
  name: Buffer;
  type: EntryType;
  /** Permission bits including setuid, setgid and sticky (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Content bytes; 0 for everything but regular files. */
  size: number;
  /** Seconds since the epoch, a whole number. */
  mtime: number;
  linkname?: Buffer;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes to record, by name (e.g. 'security.capability'). */
  xattrs?: ReadonlyMap<string, Buffer>;
}

/** The bytes between an entry's content and the next 512-byte boundary. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** The header block(s) of one entry: a ustar block, preceded by a PAX header when needed. */
export function encodeHeader(h: TarHeader): Buffer {
  const records = paxRecords(h);
  const main = ustarBlock(TYPEFLAG[h.type], h);
  if (records.length === 0) return main;
  const body = encodePax(records);
  const paxHeader = ustarBlock(PAX_TYPEFLAG, {
    name: paxHeaderName(h.name),
    mode: 0,
    uid: 0,
    gid: 0,
    size: body.length,
    mtime: 0,
  });
  return Buffer.concat([paxHeader, body, Buffer.alloc(padding(body.length)), main]);
}

/** The two zero blocks that end an archive. */
export function endOfArchive(): Buffer {
  return Buffer.alloc(2 * BLOCK);
}

export function isAscii(b: Buffer): boolean {
  for (const byte of b) if (byte >= 0x80 || byte === 0) return false;
  return true;
}

/**
 * Go's splitUSTARPath: cut a name longer than 100 bytes at a '/' so that the
 * part before fits the 155-byte prefix field and the part after the name field.
 */
export function splitUstarName(name: Buffer): [prefix: Buffer, name: Buffer] | undefined {
  let length = name.length;
  if (length <= NAME_SIZE || !isAscii(name)) return undefined;
  if (length > PREFIX_SIZE + 1) length = PREFIX_SIZE + 1;
  else if (name[length - 1] === 0x2f) length--;
  const i = name.subarray(0, length).lastIndexOf(0x2f);
  const nlen = name.length - i - 1;
  if (i <= 0 || nlen > NAME_SIZE || nlen === 0 || i > PREFIX_SIZE) return undefined;
  return [name.subarray(0, i), name.subarray(i + 1)];
}

function fitsUstarName(name: Buffer): boolean {
  return isAscii(name) && (name.length <= NAME_SIZE || splitUstarName(name) !== undefined);
}

function paxRecords(h: TarHeader): [string, Buffer][] {
  const records: [string, Buffer][] = [];
  const num = (key: string, n: number) => records.push([key, Buffer.from(String(n))]);
  if (!fitsUstarName(h.name)) records.push(['path', h.name]);
  const link = h.linkname ?? EMPTY;
  if (link.length > NAME_SIZE || !isAscii(link)) records.push(['linkpath', link]);
  if (h.uid > MAX_OCTAL_7) num('uid', h.uid);
  if (h.gid > MAX_OCTAL_7) num('gid', h.gid);
  if (h.size > MAX_OCTAL_11) num('size', h.size);
  if (h.mtime < 0 || h.mtime > MAX_OCTAL_11) num('mtime', h.mtime);
  for (const [name, value] of h.xattrs ?? []) records.push([`SCHILY.xattr.${name}`, value]);
  return records.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** PAX records: "<length> <key>=<value>\n", the length counting itself. */
export function encodePax(records: [string, Buffer][]): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of records) {
    const rest = Buffer.byteLength(key) + value.length + 3; // ' ', '=', '\n'
    let length = rest + String(rest).length;
    if (String(length).length + rest !== length) length = rest + String(length).length;
    parts.push(Buffer.from(`${length} ${key}=`), value, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/** Go's name for the PAX header of "dir/file": "dir/PaxHeaders.0/file", ASCII only, cut to 100. */
function paxHeaderName(name: Buffer): Buffer {
  const trimmed = name[name.length - 1] === 0x2f ? name.subarray(0, -1) : name;
  const slash = trimmed.lastIndexOf(0x2f);
  const joined = Buffer.concat([
    trimmed.subarray(0, slash + 1),
    Buffer.from('PaxHeaders.0/'),
    trimmed.subarray(slash + 1),
  ]);
  return trimSlash(toAscii(joined).subarray(0, NAME_SIZE));
}

function toAscii(b: Buffer): Buffer {
  return isAscii(b) ? b : Buffer.from(b.filter((c) => c < 0x80 && c !== 0));
}

function trimSlash(b: Buffer): Buffer {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0x2f) end--;
  return b.subarray(0, end);
}

type BlockFields = Pick<TarHeader, 'name' | 'mode' | 'uid' | 'gid' | 'size' | 'mtime'> &
  Partial<Pick<TarHeader, 'linkname' | 'devmajor' | 'devminor'>>;

function ustarBlock(typeflag: number, f: BlockFields): Buffer {
  const b = Buffer.alloc(BLOCK);
  const split = splitUstarName(f.name);
  if (split) {
    split[1].copy(b, 0);
    split[0].copy(b, 345);
  } else {
    // When the name does not fit, PAX carries it; this is Go's best effort.
    toAscii(f.name).copy(b, 0, 0, NAME_SIZE);
  }
  octal(b, 100, 8, f.mode);
  octal(b, 108, 8, f.uid);
  octal(b, 116, 8, f.gid);
  octal(b, 124, 12, f.size);
  octal(b, 136, 12, f.mtime);
  b[156] = typeflag;
  if (f.linkname) toAscii(f.linkname).copy(b, 157, 0, NAME_SIZE);
  b.write('ustar\x0000', 257, 'latin1');
  if (typeflag === TYPEFLAG.char || typeflag === TYPEFLAG.block) {
    octal(b, 329, 8, f.devmajor ?? 0);
    octal(b, 337, 8, f.devminor ?? 0);
  }
  let sum = 8 * 0x20; // the checksum field counts as eight spaces
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += b[i] as number;
  octal(b, 148, 7, sum);
  b[155] = 0x20;
  return b;
}

/** Zero-padded octal ending in NUL; a number too big for the field is written as 0 (PAX has it). */
function octal(b: Buffer, offset: number, width: number, n: number): void {
  let digits = n >= 0 && Number.isInteger(n) ? n.toString(8) : '0';
  if (digits.length > width - 1) digits = '0';
  b.write(digits.padStart(width - 1, '0'), offset, 'latin1');
}
