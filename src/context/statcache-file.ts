/**
 * The stat cache's file: what `lstat` said of each context file and its content
 * digest, laid out so that loading 10,000 entries makes 10,000 strings (the
 * paths) and no object per entry — the JSON it replaces cost a warm rebuild
 * ~30 ms to decode and its garbage collector as much again.
 *
 *   header   8 bytes "tsbstat\n", u32 version, u32 count, u32 path bytes,
 *            u32 0x01020304 (the byte order)
 *   records  count × 72 bytes: i64 size, mtimeNs, ctimeNs, ino; u32 mode, day;
 *            32 bytes of sha256
 *   paths    UTF-8, each followed by a NUL (no path holds one)
 *
 * In the machine's byte order, read and written through typed arrays over the
 * file's bytes. A file that is not exactly this (another version or byte order,
 * the JSON of version 1, a truncated copy) decodes as nothing: an empty cache,
 * never an entry read from the wrong place.
 */
import { nanoseconds, type FileStat } from '../util/lstat.js';

const MAGIC = Buffer.from('tsbstat\n', 'latin1');
/** Bump when the layout or the meaning of a field changes. */
const VERSION = 2;
const HEADER = 24;
export const RECORD = 72;
/** A record in 64-bit words: size, mtimeNs, ctimeNs, ino, then mode|day, then the digest. */
const WORDS = RECORD / 8;
const BYTE_ORDER = 0x01020304;

/** One entry, as the hasher holds a new one until it is saved. */
export interface StatEntry {
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  mode: number;
  /** sha256, hex. */
  digest: string;
  /** Day (since the epoch) it was last used, for pruning. */
  day: number;
}

/** A decoded file: entry i's fields live at record i of `bytes`. */
export class StatTable {
  private readonly words: BigInt64Array;
  private readonly halves: Uint32Array;

  constructor(
    private readonly bytes: Buffer,
    readonly paths: readonly string[],
  ) {
    const records = bytes.byteOffset + HEADER;
    this.words = new BigInt64Array(bytes.buffer, records, paths.length * WORDS);
    this.halves = new Uint32Array(bytes.buffer, records, paths.length * WORDS * 2);
  }

  /**
   * Whether entry i was recorded for a file that `lstat` still describes as `st`.
   * Compared in 32-bit halves: reading an i64 as a BigInt allocates one, and a
   * warm context asks this of every file.
   */
  matches(i: number, st: FileStat): boolean {
    const w = i * WORDS;
    if (st.exact !== undefined || !ordinaryTime(st.mtimeSec) || !ordinaryTime(st.ctimeSec)) {
      return sameStamp(this.entry(i), asWords(stampOf(st)));
    }
    const h = this.halves;
    return (
      holds(h, 2 * w, st.size) &&
      holdsTime(h, 2 * (w + 1), st.mtimeSec, st.mtimeNsec) &&
      holdsTime(h, 2 * (w + 2), st.ctimeSec, st.ctimeNsec) &&
      holds(h, 2 * (w + 3), st.ino) &&
      h[2 * (w + 4)] === st.mode
    );
  }

  digest(i: number): string {
    const at = HEADER + i * RECORD + 40;
    return this.bytes.toString('hex', at, at + 32);
  }

  day(i: number): number {
    return this.halves[2 * (i * WORDS + 4) + 1]!;
  }

  setDay(i: number, day: number): void {
    this.halves[2 * (i * WORDS + 4) + 1] = day;
  }

  entry(i: number): StatEntry {
    const w = i * WORDS;
    return {
      size: this.words[w]!,
      mtimeNs: this.words[w + 1]!,
      ctimeNs: this.words[w + 2]!,
      ino: this.words[w + 3]!,
      mode: this.halves[2 * (w + 4)]!,
      digest: this.digest(i),
      day: this.day(i),
    };
  }
}

/** What of an lstat a cache entry records, exactly. */
export type Stamp = Pick<StatEntry, 'size' | 'mtimeNs' | 'ctimeNs' | 'ino' | 'mode'>;

/** `st`'s stamp, with lstat's exact values where a number would round them. */
export function stampOf(st: FileStat): Stamp {
  return {
    size: st.exact?.size ?? BigInt(st.size),
    mtimeNs: nanoseconds(st.mtimeSec, st.mtimeNsec),
    ctimeNs: nanoseconds(st.ctimeSec, st.ctimeNsec),
    ino: st.exact?.ino ?? BigInt(st.ino),
    mode: st.mode,
  };
}

/**
 * The stamp as the file's i64 words hold it: past 2262 a time in nanoseconds
 * (and an inode number past 2^63) wraps around, as holdsTime's halves do.
 */
const asWords = (s: Stamp): Stamp => ({
  size: BigInt.asIntN(64, s.size),
  mtimeNs: BigInt.asIntN(64, s.mtimeNs),
  ctimeNs: BigInt.asIntN(64, s.ctimeNs),
  ino: BigInt.asIntN(64, s.ino),
  mode: s.mode,
});

export const sameStamp = (a: Stamp, b: Stamp): boolean =>
  a.ctimeNs === b.ctimeNs &&
  a.size === b.size &&
  a.mtimeNs === b.mtimeNs &&
  a.ino === b.ino &&
  a.mode === b.mode;

/** Which u32 of an i64 holds its low half: the file is in the machine's byte order. */
const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;
const TWO16 = 0x1_0000;
const TWO32 = 0x1_0000_0000;

/** Whether the i64 at u32 `at` is `n`, an integer of at most 2^53 either way. */
function holds(h: Uint32Array, at: number, n: number): boolean {
  return h[at + LO] === n >>> 0 && h[at + HI] === Math.floor(n / TWO32) >>> 0;
}

/** Seconds for which holdsTime's doubles stay exact (up to the year 10,000 and more). */
const ordinaryTime = (sec: number): boolean => Math.abs(sec) < 2 ** 38;

/**
 * Whether the i64 at u32 `at` is sec·10⁹ + nsec (BigIntStats' mtimeNs),
 * worked out in doubles that never pass 2^53: with sec = a·2^16 + b and
 * c = b·10⁹ + nsec, the time is m·2^16 + (c mod 2^16) for m = a·10⁹ + ⌊c/2^16⌋,
 * so its high half is ⌊m/2^16⌋ and its low half (m mod 2^16)·2^16 + c mod 2^16.
 */
function holdsTime(h: Uint32Array, at: number, sec: number, nsec: number): boolean {
  const a = Math.floor(sec / TWO16);
  const c = (sec - a * TWO16) * 1e9 + nsec;
  const m = a * 1e9 + Math.floor(c / TWO16);
  const hi = Math.floor(m / TWO16);
  const lo = (m - hi * TWO16) * TWO16 + (c % TWO16);
  return h[at + LO] === lo && h[at + HI] === hi >>> 0;
}

/** The table in `bytes`, or undefined when they are not a version-2 stat cache. */
export function decodeStatCache(bytes: Buffer): StatTable | undefined {
  if (bytes.length < HEADER || !bytes.subarray(0, 8).equals(MAGIC)) return undefined;
  // Typed arrays need their alignment: fs hands back a buffer of its own, but make sure.
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : copyOf(bytes);
  const header = new Uint32Array(aligned.buffer, aligned.byteOffset + 8, 4);
  const count = header[1]!;
  const pathBytes = header[2]!;
  if (header[0] !== VERSION || header[3] !== BYTE_ORDER) return undefined;
  if (aligned.length !== HEADER + count * RECORD + pathBytes) return undefined;
  const start = HEADER + count * RECORD;
  if (count === 0) return pathBytes === 0 ? new StatTable(aligned, []) : undefined;
  if (aligned[aligned.length - 1] !== 0) return undefined;
  const paths = aligned.toString('utf8', start, aligned.length - 1).split('\0');
  if (paths.length !== count) return undefined;
  return new StatTable(aligned, paths);
}

/** Buffer.alloc, not the pool, whose slices start anywhere. */
function copyOf(bytes: Buffer): Buffer {
  const out = Buffer.alloc(bytes.length);
  bytes.copy(out);
  return out;
}

/** The file for `entries` (path → entry). */
export function encodeStatCache(entries: ReadonlyMap<string, StatEntry>): Buffer {
  const paths = [...entries.keys()];
  const text = paths.length === 0 ? '' : `${paths.join('\0')}\0`;
  const pathBytes = Buffer.byteLength(text);
  // Not from the pool: the typed arrays below need an aligned offset.
  const out = Buffer.alloc(HEADER + paths.length * RECORD + pathBytes);
  MAGIC.copy(out, 0);
  new Uint32Array(out.buffer, out.byteOffset + 8, 4).set([
    VERSION,
    paths.length,
    pathBytes,
    BYTE_ORDER,
  ]);
  const words = new BigInt64Array(out.buffer, out.byteOffset + HEADER, paths.length * WORDS);
  const halves = new Uint32Array(words.buffer, words.byteOffset, words.length * 2);
  let w = 0;
  for (const e of entries.values()) {
    words[w] = e.size;
    words[w + 1] = e.mtimeNs;
    words[w + 2] = e.ctimeNs;
    words[w + 3] = e.ino;
    halves[2 * (w + 4)] = e.mode;
    halves[2 * (w + 4) + 1] = e.day;
    out.write(e.digest, HEADER + w * 8 + 40, 32, 'hex');
    w += WORDS;
  }
  out.write(text, HEADER + w * 8, 'utf8');
  return out;
}
