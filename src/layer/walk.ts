/**
 * The deterministic walk behind tarDirectory: depth first, a directory before
 * its contents, the children of each directory in bytewise order of the name
 * they get in the tar (Go's filepath.Walk order, which BuildKit's and
 * containerd's diff writers follow). Paths are bytes throughout, so names that
 * are not UTF-8 survive, and the order is the same as `LC_ALL=C sort`.
 *
 * In a layer's tree (`overlay`), a file of its own called `.wh.*` is refused:
 * the tar has no way to say it is not a whiteout.
 *
 * One exception to the order: an opaque directory's `.wh..wh..opq` comes
 * straight after the directory itself, where Docker and containerd put it, so
 * that a reader that empties the directory when it sees the marker never
 * deletes this layer's own entries.
 */
import { readdirSync } from 'node:fs';
import { fileType, lstatExisting, type FileStat } from '../util/lstat.js';
import { LayerError, sourceError, sysReason } from './errors.js';
import { OVERLAY_OPAQUE, isAddonMissing, readXattrs } from './xattrs.js';

export type WalkKind =
  'dir' | 'file' | 'symlink' | 'char' | 'block' | 'fifo' | 'whiteout' | 'opaque';

export interface WalkEntry {
  kind: WalkKind;
  /** The path in the tar, relative, without a trailing slash. */
  name: Buffer;
  /** The file on disk this entry comes from (for `opaque`: the directory). */
  abs: Buffer;
  stat: FileStat;
  /**
   * Which tree of a merged walk (merged-tree.ts) the entry comes from: two names
   * of one inode are a hardlink only within one tree. Unset in a plain walk.
   */
  tree?: number;
}

export interface WalkOptions {
  overlay?: boolean;
  exclude?: (relPath: string) => boolean;
}

interface Frame {
  children: WalkEntry[];
  next: number;
}

const SLASH = Buffer.from('/');
const WH = Buffer.from('.wh.');
const OPAQUE = Buffer.from('.wh..wh..opq');

/** Every entry under `dir` (not `dir` itself), in tar order. Sockets are left out. */
export function* walkTree(dir: string, opts: WalkOptions): Generator<WalkEntry> {
  const stack: Frame[] = [{ children: listDir(Buffer.from(dir), undefined, opts), next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as Frame;
    const child = top.children[top.next++];
    if (child === undefined) {
      stack.pop();
      continue;
    }
    yield child;
    if (child.kind === 'dir') {
      stack.push({ children: listDir(child.abs, child.name, opts), next: 0 });
    }
  }
}

function listDir(abs: Buffer, rel: Buffer | undefined, opts: WalkOptions): WalkEntry[] {
  const shown = () => (rel ?? abs).toString();
  let names: Buffer[];
  try {
    names = readdirSync(abs, { encoding: 'buffer' });
  } catch (e) {
    throw sourceError('LAYER_IO', shown(), `cannot list the directory: ${sysReason(e)}`, e);
  }
  const out: WalkEntry[] = [];
  for (const base of names) {
    const name = rel ? Buffer.concat([rel, SLASH, base]) : base;
    if (opts.exclude?.(name.toString('utf8'))) continue;
    const path = Buffer.concat([abs, SLASH, base]);
    const entry = classify(path, name, base, opts);
    if (entry) out.push(entry);
  }
  out.sort((a, b) => Buffer.compare(a.name, b.name));
  if (opts.overlay && rel !== undefined && isOpaque(abs, shown)) {
    const stat = lstatExisting(abs);
    out.unshift({ kind: 'opaque', name: Buffer.concat([rel, SLASH, OPAQUE]), abs, stat });
  }
  return out;
}

function classify(path: Buffer, name: Buffer, base: Buffer, opts: WalkOptions): WalkEntry | null {
  let stat: FileStat;
  try {
    stat = lstatExisting(path);
  } catch (e) {
    const reason = `changed while being archived: ${sysReason(e)}`;
    throw sourceError('LAYER_CHANGED', name.toString(), reason, e);
  }
  const type = fileType(stat);
  // A socket cannot be archived and means nothing in an image.
  if (type === undefined || type === 'socket') return null;
  let kind: WalkKind = type;
  if (kind === 'char' && opts.overlay && stat.rdev === 0) kind = 'whiteout';
  if (kind === 'whiteout') {
    const at = name.length - base.length;
    name = Buffer.concat([name.subarray(0, at), WH, base]);
  } else if (opts.overlay && base.subarray(0, WH.length).equals(WH)) {
    throw reservedName(name);
  }
  return { kind, name, abs: path, stat };
}

/**
 * A file or directory called `.wh.*` in a layer's tree (`ADD` of an archive holding
 * `.wh.bin`, `COPY .wh.x`, `RUN touch /.wh.x`): in the tar it would *be* a whiteout
 * (or an opaque marker) to whoever loads the image, so one image ID would mean two
 * filesystems. Docker 20.10 writes it anyway; we refuse, naming it.
 */
function reservedName(name: Buffer): LayerError {
  const shown = JSON.stringify(`/${name.toString()}`);
  return new LayerError(
    'LAYER_RESERVED_NAME',
    `${shown}: a name starting with ".wh." cannot be put in a layer (OCI reserves it for whiteouts)`,
    { path: `/${name.toString()}` },
  );
}

function isOpaque(abs: Buffer, shown: () => string): boolean {
  try {
    return [...readXattrs(abs, OVERLAY_OPAQUE).values()].some((v) => v.toString() === 'y');
  } catch (e) {
    if (isAddonMissing(e)) throw e;
    throw sourceError('LAYER_IO', shown(), `cannot read its xattrs: ${sysReason(e)}`, e);
  }
}
