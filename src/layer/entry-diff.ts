/**
 * What two layer tars differ in, file by file, for `build --verify`: each tar is
 * read once as a stream and every entry reduced to its header facts and the
 * sha256 of its content, so a layer of any size is compared in memory that
 * grows with its number of entries, never its bytes.
 *
 *   /t written by `date +%s%N > /t` in two runs  →
 *     { path: 't', change: 'changed', fields: ['content'], first: {…}, rebuilt: {…} }
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import type { EntryType } from './tar-format.js';
import { readTar } from './tar-reader.js';

/** One tar entry as compared: its header and a digest of its content. */
export interface EntryFacts {
  type: EntryType;
  /** Permission bits with setuid/setgid/sticky, in octal as `ls` shows them: `0755`. */
  mode: string;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since 1970 (a fraction when the tar's PAX header has one). */
  mtime: number;
  /** A symlink's or hardlink's target. */
  link?: string;
  /** A device's `major,minor`. */
  device?: string;
  /** Extended attributes, their values in base64. */
  xattrs?: Record<string, string>;
  /** A regular file's content. */
  sha256?: string;
}

/** What may differ between two entries of one path. */
export type EntryField =
  'type' | 'content' | 'size' | 'mode' | 'uid' | 'gid' | 'mtime' | 'xattrs' | 'link' | 'device';

export interface EntryDifference {
  /** The path in the layer, relative, no leading `./` or `/` (`.wh.` whiteouts as written). */
  path: string;
  /** `added`: only the rebuild's layer has it; `removed`: only the build's. */
  change: 'added' | 'removed' | 'changed';
  /** For `changed`: what differs, in this order. */
  fields?: EntryField[];
  first?: EntryFacts;
  rebuilt?: EntryFacts;
}

/** Every entry of an uncompressed layer tar, by path. */
export async function layerEntries(input: Readable): Promise<Map<string, EntryFacts>> {
  const out = new Map<string, EntryFacts>();
  for await (const e of readTar(input)) {
    const facts: EntryFacts = {
      type: e.type,
      mode: `0${(e.mode & 0o7777).toString(8).padStart(3, '0')}`,
      uid: e.uid,
      gid: e.gid,
      size: e.size,
      mtime: e.mtime,
    };
    if (e.type === 'symlink' || e.type === 'link') facts.link = e.linkname.toString();
    if (e.type === 'char' || e.type === 'block') facts.device = `${e.devmajor},${e.devminor}`;
    if (e.xattrs.size > 0)
      facts.xattrs = Object.fromEntries(
        [...e.xattrs.entries()]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([k, v]) => [k, v.toString('base64')]),
      );
    const hash = createHash('sha256');
    for await (const chunk of e.body) hash.update(chunk);
    if (e.type === 'file') facts.sha256 = `sha256:${hash.digest('hex')}`;
    out.set(entryPath(e.label), facts);
  }
  return out;
}

/**
 * The entries that differ between a build's layer (`first`) and the rebuild's,
 * sorted by path.
 * @example
 *   diffEntries(await layerEntries(a), await layerEntries(b));
 *   // [{ path: 'out/t', change: 'changed', fields: ['content'], … }]
 */
export function diffEntries(
  first: ReadonlyMap<string, EntryFacts>,
  rebuilt: ReadonlyMap<string, EntryFacts>,
): EntryDifference[] {
  const paths = [...new Set([...first.keys(), ...rebuilt.keys()])].sort();
  const out: EntryDifference[] = [];
  for (const path of paths) {
    const a = first.get(path);
    const b = rebuilt.get(path);
    if (!a) out.push({ path, change: 'added', rebuilt: b! });
    else if (!b) out.push({ path, change: 'removed', first: a });
    else {
      const fields = differingFields(a, b);
      if (fields.length > 0) out.push({ path, change: 'changed', fields, first: a, rebuilt: b });
    }
  }
  return out;
}

function differingFields(a: EntryFacts, b: EntryFacts): EntryField[] {
  const fields: EntryField[] = [];
  if (a.type !== b.type) fields.push('type');
  if (a.sha256 !== b.sha256) fields.push('content');
  if (a.size !== b.size) fields.push('size');
  if (a.mode !== b.mode) fields.push('mode');
  if (a.uid !== b.uid) fields.push('uid');
  if (a.gid !== b.gid) fields.push('gid');
  if (a.mtime !== b.mtime) fields.push('mtime');
  if (!isDeepStrictEqual(a.xattrs ?? {}, b.xattrs ?? {})) fields.push('xattrs');
  if (a.link !== b.link) fields.push('link');
  if (a.device !== b.device) fields.push('device');
  return fields;
}

/** `./usr/bin/` → `usr/bin`: the same path however the tar spelled it. */
function entryPath(label: string): string {
  const p = label.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
  return p === '' || p === '.' ? '.' : p;
}
