/**
 * An image's flattened filesystem as one line per path, read straight from its
 * layer tars: whiteouts and opaque directories applied in order, without
 * unpacking anything. The conformance test reads Docker's layers and ours with
 * this same function, so neither side goes through tsbuild's layer applier, and
 * the host's umask or owner rules cannot blur the comparison.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { readTar } from '../../src/layer/tar-reader.js';

/** Path (no leading `/`) → `type mode uid:gid detail`; mtimes are left out. */
export type Listing = Record<string, string>;

const TYPES: Record<string, string> = {
  file: 'f',
  dir: 'd',
  symlink: 'l',
  link: 'h',
  char: 'c',
  block: 'b',
  fifo: 'p',
};

const clean = (name: string) =>
  name
    .replace(/^(\.\/|\/)+/, '')
    .replace(/\/+$/, '')
    .replace(/\/\.\//g, '/');

/** A short file content: the text itself when small and printable, else size and digest. */
function content(data: Buffer): string {
  const text = data.toString('utf8');
  if (data.length <= 400 && /^[\x20-\x7e\n\t]*$/.test(text)) return JSON.stringify(text);
  return `${data.length}B sha256:${createHash('sha256').update(data).digest('hex').slice(0, 16)}`;
}

function dropBelow(listing: Listing, dir: string, andSelf: boolean): void {
  for (const p of Object.keys(listing))
    if (p.startsWith(`${dir}/`) || (andSelf && p === dir)) delete listing[p];
}

/** Apply one layer to `listing` (in place), as overlay would stack it on the ones before. */
export async function applyToListing(listing: Listing, layer: Readable): Promise<void> {
  const added: [string, string][] = [];
  const whiteouts: { path: string; opaque: boolean }[] = [];
  for await (const e of readTar(layer)) {
    const chunks: Buffer[] = [];
    for await (const c of e.body) chunks.push(c);
    const path = clean(e.name.toString('utf8'));
    if (path === '' || path === '.') continue;
    const base = path.split('/').pop()!;
    const parent = path.slice(0, path.length - base.length - 1);
    if (base === '.wh..wh..opq') {
      whiteouts.push({ path: parent, opaque: true });
      continue;
    }
    if (base.startsWith('.wh.')) {
      whiteouts.push({ path: (parent ? `${parent}/` : '') + base.slice(4), opaque: false });
      continue;
    }
    const type = TYPES[e.type] ?? e.type;
    let detail = '';
    if (type === 'f') detail = content(Buffer.concat(chunks));
    if (type === 'l') detail = `-> ${e.linkname.toString('utf8')}`;
    if (type === 'h') detail = `=> ${clean(e.linkname.toString('utf8'))}`;
    if (type === 'c' || type === 'b') detail = `${e.devmajor},${e.devminor}`;
    const mode = (e.mode & 0o7777).toString(8).padStart(4, '0');
    added.push([path, `${type} ${mode} ${e.uid}:${e.gid} ${detail}`.trimEnd()]);
  }
  // Whiteouts hide what the layers below had, never what this layer adds.
  for (const w of whiteouts) dropBelow(listing, w.path, !w.opaque);
  for (const [path, line] of added) {
    // Anything but a directory replaces a lower directory with all it held.
    if (!line.startsWith('d ')) dropBelow(listing, path, false);
    listing[path] = line;
  }
}

/** The flattened filesystem of layers given in order (bottom first), sorted by path. */
export async function listLayers(layers: (() => Readable)[]): Promise<Listing> {
  const listing: Listing = {};
  for (const open of layers) await applyToListing(listing, open());
  return Object.fromEntries(Object.entries(listing).sort(([a], [b]) => (a < b ? -1 : 1)));
}
