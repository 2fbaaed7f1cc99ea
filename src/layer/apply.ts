/**
 * applyLayer: extract a layer tar into a root directory, as containerd's
 * archive.Apply does, and never write outside the root.
 *
 * Names are confined as paths.ts describes (a leading '/' dropped, `..` above
 * the root refused, parent symlinks followed inside the root); entries replace
 * what is there as apply-entry.ts describes; whiteouts are carried out or kept
 * for overlayfs as whiteouts.ts describes. An entry naming the root itself
 * ("./") is skipped, as containerd skips it.
 *
 * Memory stays flat in the layer's size: content streams from the tar into
 * each file; what grows with the number of entries is the set of paths written
 * (which whiteouts must spare) and the directory mtimes to set at the end.
 */
import { lstatSync, lutimesSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { ApplyContext, timeOf, type WhiteoutMode } from './apply-context.js';
import { createEntry } from './apply-entry.js';
import { LayerError, entryError, sysReason } from './errors.js';
import { bytePath, cleanName, fsPath } from './paths.js';
import { readTar, type TarEntry } from './tar-reader.js';
import { WHITEOUT_PREFIX, whiteout } from './whiteouts.js';

export interface ApplyOptions {
  /**
   * 'apply' (default): OCI whiteouts delete what they name from `root`, opaque dirs are emptied,
   * as when extracting a stack of layers into one tree. 'overlay': keep the layer as an overlayfs
   * lower/upper dir: `.wh.x` becomes a 0/0 char device `x`, `.wh..wh..opq` becomes xattr
   * trusted.overlay.opaque=y on its dir. 'none': not a layer but a plain archive (a build
   * context): `.wh.` names are files like any other, as Docker extracts a context tar.
   */
  whiteouts?: WhiteoutMode;
}

export interface ApplyResult {
  /** Tar entries read (extended headers not counted), including whiteouts and skipped ones. */
  entries: number;
  /** Bytes of regular-file content written: the layer's unpacked size, as containerd counts it. */
  bytes: number;
}

/**
 * Extract an uncompressed tar stream into `root` (which must exist). Rejects with a LayerError
 * naming the entry for an unsafe, corrupt or truncated layer; entries before it stay applied.
 *
 * @example
 * // pipeline, not .pipe(): a failing blob read must fail the apply, not stall it.
 * const { kind, stream } = await sniffCompression(createReadStream(blobPath));
 * const tar = decompressStream(kind === 'gzip' ? 'gzip' : 'none');
 * const [result] = await Promise.all([applyLayer(rootfs, tar), pipeline(stream, tar)]);
 */
export async function applyLayer(
  root: string,
  tar: Readable,
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  const ctx = openRoot(root, tar, opts.whiteouts ?? 'apply');
  let entries = 0;
  let bytes = 0;
  for await (const e of readTar(tar)) {
    entries++;
    if (e.type === 'file') bytes += e.size;
    try {
      await applyEntry(ctx, e);
    } catch (err) {
      if (err instanceof LayerError) throw err;
      throw entryError('LAYER_IO', e.label, sysReason(err), err);
    }
  }
  for (const [path, mtime] of ctx.takeDirTimes()) {
    // A later entry of this layer may have replaced the directory.
    if (lstatSync(fsPath(path), { throwIfNoEntry: false })?.isDirectory()) {
      lutimesSync(fsPath(path), timeOf(mtime), timeOf(mtime));
    }
  }
  return { entries, bytes };
}

function openRoot(root: string, tar: Readable, mode: WhiteoutMode): ApplyContext {
  if (!lstatSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    tar.destroy();
    throw new LayerError('LAYER_IO', `layer root ${JSON.stringify(root)} is not a directory`, {
      root,
    });
  }
  return new ApplyContext(root, mode);
}

async function applyEntry(ctx: ApplyContext, e: TarEntry): Promise<void> {
  const comps = cleanName(bytePath(e.name), e.label);
  const base = comps.pop();
  if (base === undefined) return;
  if (ctx.whiteouts !== 'none' && base.startsWith(WHITEOUT_PREFIX))
    return whiteout(ctx, e, comps, base);
  const path = `${ctx.fs.dir(comps, e.label)}/${base}`;
  await createEntry(ctx, e, path);
  ctx.markWritten(path);
}
