/**
 * Shared by the layer tests: temp dirs, tars built with tar-stream (so the
 * applier is tested against an encoder that is not ours), tar decoding, and a
 * snapshot of a tree that round trips compare.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  lchownSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { getXattr } from '../../src/layer/xattrs.js';
import tar from 'tar-stream';
import { afterEach } from 'vitest';

const made: string[] = [];

/** A fresh directory under os.tmpdir(), removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsbuild-layer-'));
  made.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** `buf` as a stream of `size`-byte chunks, to exercise every chunk boundary. */
export function chunked(buf: Buffer, size = 65536): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts, { objectMode: false });
}

export interface PackEntry {
  header: Partial<Omit<tar.Header, 'pax'>> & { name: string; pax?: Record<string, string> };
  body?: string | Buffer;
}

/** A tar made by tar-stream's pack: names and links exactly as given, however hostile. */
export async function makeTar(entries: PackEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const out = collect(pack);
  for (const { header, body } of entries) {
    const full = { mtime: new Date(0), ...header };
    const isFile = full.type === undefined || full.type === 'file';
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body === undefined && !isFile) pack.entry(full, done);
      else pack.entry(full, body ?? '', done);
    });
  }
  pack.finalize();
  return out;
}

export interface Decoded {
  header: tar.Header;
  body: Buffer;
}

/** Every entry of a tar as tar-stream's extract reads it. */
export async function decodeTar(buf: Buffer): Promise<Decoded[]> {
  const extract = tar.extract();
  const out: Decoded[] = [];
  const done = (async () => {
    for await (const entry of extract)
      out.push({ header: entry.header, body: await collect(entry) });
  })();
  extract.end(buf);
  await done;
  return out;
}

/** mknod(1): Node.js has none. */
export function mknod(path: string, type: 'c' | 'b' | 'p', major = 0, minor = 0): void {
  execFileSync('mknod', type === 'p' ? [path, 'p'] : [path, type, String(major), String(minor)]);
}

export interface FileSpec {
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
}

/** Write a file with exact mode and owner (umask does not matter). */
export function put(path: string, content: string | Buffer, spec: FileSpec = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  own(path, spec, 0o644);
}

export function dir(path: string, spec: FileSpec = {}): void {
  mkdirSync(path, { recursive: true });
  own(path, spec, 0o755);
}

export function own(path: string, spec: FileSpec, mode: number): void {
  lchownSync(path, spec.uid ?? 0, spec.gid ?? 0);
  if (!lstatSync(path).isSymbolicLink()) chmodSync(path, spec.mode ?? mode);
}

/** Set every mtime under `root` (children before parents) to `mtime`, or a per-path override. */
export function fixTimes(root: string, mtime: number, overrides: Record<string, number> = {}) {
  const visit = (abs: string, rel: string) => {
    if (lstatSync(abs).isDirectory()) {
      for (const name of readdirSync(abs)) visit(join(abs, name), rel ? `${rel}/${name}` : name);
    }
    // A Date, because Node reads a negative number of seconds as "now".
    const when = new Date((overrides[rel] ?? mtime) * 1000);
    if (rel) lutimesSync(abs, when, when);
  };
  visit(root, '');
}

export interface Node {
  path: string;
  type: string;
  mode: string;
  uid: number;
  gid: number;
  mtime: number;
  content?: string;
  link?: string;
  rdev?: number;
  capability?: string;
  /** The first path (in walk order) sharing this inode, for files with several links. */
  inode?: string;
}

/** Everything about a tree that a layer carries, in a comparable form. */
export function snapshot(root: string, opts: { dirTimes?: boolean } = {}): Node[] {
  const out: Node[] = [];
  const inodes = new Map<number, string>();
  const visit = (abs: string, rel: string) => {
    const st = lstatSync(abs);
    const type = st.isDirectory()
      ? 'dir'
      : st.isFile()
        ? 'file'
        : st.isSymbolicLink()
          ? 'symlink'
          : st.isFIFO()
            ? 'fifo'
            : st.isCharacterDevice()
              ? 'char'
              : 'block';
    const node: Node = {
      path: rel,
      type,
      mode: (st.mode & 0o7777).toString(8),
      uid: st.uid,
      gid: st.gid,
      mtime: type === 'dir' && !opts.dirTimes ? 0 : Math.floor(st.mtimeMs / 1000),
    };
    if (type === 'file') {
      node.content = sha256(readFileSync(abs));
      node.capability = capability(abs);
      if (st.nlink > 1) {
        node.inode = inodes.get(st.ino) ?? rel;
        inodes.set(st.ino, node.inode);
      }
    }
    if (type === 'symlink') node.link = readlinkSync(abs);
    if (type === 'char' || type === 'block') node.rdev = st.rdev;
    if (rel) out.push(node);
    if (type === 'dir') {
      for (const name of readdirSync(abs).sort())
        visit(join(abs, name), rel ? `${rel}/${name}` : name);
    }
  };
  visit(root, '');
  return out;
}

function capability(path: string): string | undefined {
  try {
    return getXattr(path, 'security.capability').toString('hex');
  } catch {
    return undefined;
  }
}
