/**
 * Carrying out a CopyPlan in a writable rootfs (the engine's snapshot of the
 * parent, or an empty one for --link), as BuildKit does; Docker 20.10
 * confirmed:
 * - a directory source copies its *contents* into the destination, which is
 *   created 0755 (not with the source directory's mode) when missing;
 * - a file goes inside a destination that is a directory (or ends in '/'),
 *   else becomes the destination, replacing what is there — a symlink at the
 *   destination is followed inside the rootfs, as the container would;
 * - ADD extracts local tar archives into the destination (always a directory
 *   then: `ADD t.tar /tfile` makes /tfile/…), copies downloads as 0600 files;
 * - a heredoc source is a 0644 file (BuildKit's Mkfile).
 * Nothing is written outside `rootfs`: destinations resolve inside it, and
 * below a destination no symlink is ever followed (copy-tree.ts).
 */
import { constants, lstatSync } from 'node:fs';
import { chmod, copyFile, lchown, unlink, utimes, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { TsbuildError } from '../../errors.js';
import { lstatExisting } from '../../util/lstat.js';
import type { ResolvedSource } from '../../context/sources.js';
import {
  followInRoot,
  hostPath,
  realRoot,
  walkSource,
  type SourceEntry,
} from '../../context/walk.js';
import { extractArchive, isArchive } from './archive.js';
import { writeEntry, type EntryWriter } from './copy-tree.js';
import { DestRoot, notADirectory } from './dest.js';
import type { CopyPlan } from './plan.js';

export interface CopyOptions {
  signal?: AbortSignal;
  /** The mtime of heredoc files and of downloads without Last-Modified; default now. */
  now?: Date;
  /** Files to hardlink rather than copy (EntryWriter.reuse); the links are returned, not made. */
  reuse?: EntryWriter['reuse'];
  onFile?: EntryWriter['onFile'];
  /**
   * For a source whose destination directory this copy makes (nothing of the lower
   * layers is under it), where to write instead of the merged view: the same path in
   * the overlay's upper dir, or undefined to stay. Creating a file through overlayfs
   * cost ~130 µs a file here, several times a plain create; the caller must not read
   * what it wrote through the merged view afterwards (it unmounts).
   */
  redirect?: (host: string) => string | undefined;
}

interface Target {
  host: string;
  /** The path in the container, for messages. */
  shown: string;
}

/**
 * @example
 * const { plan } = await planCopy(ins, planOptions);
 * const links = await copyInto('/var/lib/tsbuild/snapshots/x/merged', plan, { signal });
 */
export async function copyInto(
  rootfs: string,
  plan: CopyPlan,
  opts: CopyOptions = {},
): Promise<[string, string][]> {
  // Directories the copy makes, downloads and heredoc files are 0:0 unless --chown.
  const root = new DestRoot(rootfs, plan.owner ?? { uid: 0, gid: 0 });
  const deferred: [string, string][] = [];
  const w: EntryWriter = {
    owner: plan.owner,
    chmod: plan.chmod,
    asRoot: root.asRoot,
    links: new Map(),
    made: new Set(),
    ...(opts.reuse ? { reuse: opts.reuse, deferred } : {}),
    ...(opts.onFile ? { onFile: opts.onFile } : {}),
  };
  const now = opts.now ?? new Date();
  for (const src of plan.sources) {
    opts.signal?.throwIfAborted();
    if (plan.unpack && !src.dir && (await isArchive(src.abs))) {
      await extractArchive(src.abs, root.mkdirp(plan.dest));
    } else {
      await copySource(root, plan, src, w, opts.signal, opts.redirect);
    }
  }
  for (const g of plan.gits) {
    opts.signal?.throwIfAborted();
    await copySource(root, { ...plan, tree: g.tree }, g.source, w, opts.signal, opts.redirect);
  }
  for (const d of plan.downloads) {
    const t = fileTarget(root, plan, d.name);
    await fresh(t, (host) => copyFile(d.path, host, constants.COPYFILE_EXCL));
    await finish(root, t.host, plan.chmod?.apply(0o100600) ?? 0o600, d.mtime ?? now);
  }
  for (const h of plan.inline) {
    const t = fileTarget(root, plan, h.name);
    await fresh(t, (host) => writeFile(host, h.content, { flag: 'wx' }));
    await finish(root, t.host, plan.chmod?.apply(0o100644) ?? 0o644, now);
  }
  return deferred;
}

async function copySource(
  root: DestRoot,
  plan: CopyPlan,
  src: ResolvedSource,
  w: EntryWriter,
  signal: AbortSignal | undefined,
  redirect?: (host: string) => string | undefined,
): Promise<void> {
  const walk = walkSource(src.abs, {
    ignore: plan.tree.ignore,
    base: src.real,
    exclude: plan.exclude,
    excludeBase: src.keep,
  });
  let top: Target | undefined;
  // Hardlinks are kept within one source, as BuildKit runs one copier per source.
  w = { ...w, links: new Map(), made: new Set() };
  for (const e of walk) {
    signal?.throwIfAborted();
    if (top === undefined) {
      top = await prepare(root, plan, src, w);
      const there = src.dir && w.made.has(top.host) ? redirect?.(top.host) : undefined;
      if (there !== undefined) {
        top = { host: there, shown: top.shown };
        w.made.add(there);
      }
    }
    if (!src.dir) await writeEntry(e, top.host, top.shown, w);
    else if (e.rel !== '')
      await writeEntry(e, `${top.host}/${e.rel}`, posix.join(top.shown, e.rel), w);
  }
}

/** A directory source's destination directory, or a file source's target; made when first needed. */
async function prepare(
  root: DestRoot,
  plan: CopyPlan,
  src: ResolvedSource,
  w: EntryWriter,
): Promise<Target> {
  if (src.keep !== undefined) return keptPath(root, plan, src, w);
  if (!src.dir) return fileTarget(root, plan, posix.basename(src.path));
  const existed = root.locate(plan.dest).stat !== undefined;
  const host = root.mkdirp(plan.dest);
  // A destination this source made holds nothing but what it puts there.
  if (!existed) w.made.add(host);
  return { host, shown: plan.dest };
}

/**
 * COPY --parents: the directories of the kept path are copies of the source's
 * (mode, and owner as any entry), as BuildKit's copier creates an included
 * file's parents; the destination itself is a plain `mkdir -p`.
 */
async function keptPath(
  root: DestRoot,
  plan: CopyPlan,
  src: ResolvedSource,
  w: EntryWriter,
): Promise<Target> {
  const keep = (src.keep ?? '').split('/').filter((c) => c !== '');
  const named = src.path.split('/').filter((c) => c !== '');
  const pivot = named.slice(0, named.length - keep.length);
  const tree = realRoot(plan.tree.root);
  let host = root.mkdirp(plan.dest);
  const dirs = src.dir ? keep.length : keep.length - 1;
  for (let i = 0; i < dirs; i++) {
    const real = followInRoot(tree, [...pivot, ...keep.slice(0, i + 1)]);
    if (real === undefined) throw new Error(`BUG: ${src.path} resolved but its parent did not`);
    const abs = hostPath(tree, real);
    const entry: SourceEntry = {
      rel: '',
      abs,
      kind: 'dir',
      stat: lstatExisting(abs),
    };
    host = `${host}/${keep[i]}`;
    await writeEntry(entry, host, posix.join(plan.dest, ...keep.slice(0, i + 1)), w);
  }
  const shown = posix.join(plan.dest, ...keep);
  return { host: src.dir ? host : `${host}/${keep[keep.length - 1]}`, shown };
}

/** Where a file named `name` lands (`name` may be a relative path under --parents). */
function fileTarget(root: DestRoot, plan: CopyPlan, name: string): Target {
  if (plan.destIsDir) {
    const shown = posix.join(plan.dest, name);
    const parent = root.mkdirp(posix.dirname(shown));
    return { host: `${parent}/${posix.basename(shown)}`, shown };
  }
  const at = root.locate(plan.dest);
  if (at.stat?.isDirectory())
    return { host: `${at.host}/${name}`, shown: posix.join(plan.dest, name) };
  if (at.stat !== undefined) return { host: at.host, shown: plan.dest };
  // Missing: create its parents where it resolves (a dangling symlink's target included).
  if (!lstatSync(at.host).isDirectory()) throw notADirectory(plan.dest);
  let host = at.host;
  for (const n of at.missing.slice(0, -1)) {
    host = `${host}/${n}`;
    root.mkdir(host);
  }
  return { host: `${host}/${at.missing[at.missing.length - 1]}`, shown: plan.dest };
}

/** Make room for a new file at `t` (never a directory's place), then create it with `write`. */
async function fresh(t: Target, write: (host: string) => Promise<void>): Promise<void> {
  const there = lstatSync(t.host, { throwIfNoEntry: false });
  if (there?.isDirectory()) {
    throw new TsbuildError(
      'COPY_REPLACES_DIRECTORY',
      `cannot replace directory ${t.shown} with a file`,
      {
        path: t.shown,
      },
    );
  }
  if (there !== undefined) await unlink(t.host);
  await write(t.host);
}

async function finish(root: DestRoot, host: string, mode: number, mtime: Date): Promise<void> {
  if (root.asRoot) await lchown(host, root.owner.uid, root.owner.gid);
  await chmod(host, mode);
  await utimes(host, mtime, mtime);
}
