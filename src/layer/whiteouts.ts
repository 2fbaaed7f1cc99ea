/**
 * OCI whiteouts: `.wh.<name>` deletes <name> from the layers below, and
 * `.wh..wh..opq` hides everything below in its directory. In 'apply' mode they
 * are carried out on the root (layers extracted into one tree); in 'overlay'
 * mode they become what overlayfs reads in a lower dir: a 0/0 character device
 * `<name>`, and the xattr trusted.overlay.opaque=y on the directory, as Docker's
 * overlay2 driver stores them.
 *
 * The OCI spec says a whiteout applies only to lower layers, so nothing this
 * layer itself wrote is deleted, whatever order the entries come in.
 */
import { lchownSync, lutimesSync, readdirSync } from 'node:fs';
import { timeOf, type ApplyContext } from './apply-context.js';
import { mknod } from './devices.js';
import { entryError } from './errors.js';
import { fsPath, utf8Path, type BytePath } from './paths.js';
import type { TarEntry } from './tar-reader.js';
import { OVERLAY_OPAQUE, writeXattr } from './xattrs.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE = '.wh..wh..opq';
/** aufs bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`): Docker skips these entries. */
const AUFS_META = '.wh..wh.';

/** Carry out the whiteout entry `e`, whose cleaned name is `parent`/`base`. */
export async function whiteout(
  ctx: ApplyContext,
  e: TarEntry,
  parent: readonly string[],
  base: string,
): Promise<void> {
  if (base === OPAQUE) return opaque(ctx, e, parent);
  if (base.startsWith(AUFS_META)) return;
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '..' || name === '.' || name === '') {
    throw entryError('LAYER_UNSAFE_PATH', e.label, 'whiteout names no file in its directory');
  }
  if (ctx.whiteouts === 'overlay') {
    const path = `${ctx.fs.dir(parent, e.label)}/${name}`;
    ctx.clear(path, false);
    await mknod(utf8Path(path, e.label), 'char', 0, 0, 0);
    if (ctx.asRoot) lchownSync(fsPath(path), e.uid, e.gid);
    // Docker leaves the time of creation; the whiteout's own keeps a re-tar identical.
    lutimesSync(fsPath(path), timeOf(e.mtime), timeOf(e.mtime));
    return;
  }
  const dir = ctx.fs.find(parent, e.label);
  if (dir === undefined) return; // nothing there to delete
  const path = `${dir}/${name}`;
  if (!ctx.isWritten(path)) ctx.remove(path);
}

async function opaque(ctx: ApplyContext, e: TarEntry, parent: readonly string[]): Promise<void> {
  const dir = ctx.fs.dir(parent, e.label);
  if (ctx.whiteouts === 'overlay') {
    writeXattr(fsPath(dir), OVERLAY_OPAQUE[0] as string, Buffer.from('y'));
    return;
  }
  emptyDir(ctx, dir);
}

/** Remove everything under `dir` that this layer did not write. */
function emptyDir(ctx: ApplyContext, dir: BytePath): void {
  for (const name of readdirSync(fsPath(dir), { encoding: 'buffer', withFileTypes: true })) {
    const path = `${dir}/${name.name.toString('latin1')}`;
    if (!ctx.isWritten(path)) ctx.remove(path);
    else if (name.isDirectory()) emptyDir(ctx, path);
  }
}
