/**
 * What a layer that comes from elsewhere (`load`, `import`) may hold, checked
 * entry by entry while it streams into the store, so that a layer the applier
 * would refuse, or that two extractors would unpack differently, never gets
 * in: the image is refused with the entry and the layer named, and nothing is
 * stored (Docker's load refuses such a tar too: "Error processing tar file").
 *
 * Refused:
 * - an absolute name, or a `..` in a name (`a/../b` included): Docker and
 *   containerd clamp them, a plain `tar -x` may not;
 * - an entry under a symlink, of this layer or an earlier one of the image
 *   (`link -> /etc`, then `link/passwd`): Docker's overlay2 makes `link` a
 *   directory in the upper layer, containerd writes through the link, so one
 *   image would be two filesystems; and under a non-directory of this layer;
 * - a hard link whose target is absolute, has a `..`, or is not a
 *   non-directory earlier in the same layer (overlay2 applies each layer into
 *   an empty directory, so a link to another layer's file fails there);
 * - a whiteout that names nothing (`.wh.`, `.wh..`).
 *
 * Memory: the names of one layer at a time (to resolve links and parents),
 * plus the symlinks of the image's earlier layers. Regular files of earlier
 * layers are not remembered, so `f` in one layer and `f/x` in the next is left
 * to the applier, which refuses it when the image is used ("not a directory").
 * Whiteouts apply to earlier layers only, as the OCI spec says; a whiteout
 * later in the tar than an entry it would unblock does not unblock it (writers
 * put them first: `.wh.` sorts early, an opaque marker follows its directory).
 */
import { TsbuildError } from '../errors.js';
import { bytePath, shown } from './paths.js';
import type { TarEntry } from './tar-reader.js';
import { OPAQUE, WHITEOUT_PREFIX } from './whiteouts.js';

type Kind = 'dir' | 'symlink' | 'other';

/** aufs bookkeeping (`.wh..wh.plnk`): skipped by every applier, ours included. */
const AUFS_META = '.wh..wh.';

/** The layers of one image, checked in order. */
export class ImageCheck {
  /** Symlinks the layers checked so far leave in the image (paths without a leading '/'). */
  private readonly links = new Set<string>();

  /** A check for the image's next layer; `source` names the layer in errors. */
  layer(source: string): LayerCheck {
    return new LayerCheck(this.links, source);
  }
}

/** One layer's entries, in tar order; `end()` once the layer is read. */
export class LayerCheck {
  /** What this layer made at each path. */
  private readonly kinds = new Map<string, Kind>();
  /** Paths this layer whites out, and directories it makes opaque ('' is the root). */
  private readonly whiteouts: string[] = [];
  private readonly opaques: string[] = [];

  constructor(
    private readonly links: Set<string>,
    private readonly source: string,
  ) {}

  entry(e: TarEntry): void {
    const refuse = (why: string) =>
      new TsbuildError(
        'UNSAFE_LAYER',
        `${this.source}: layer entry ${JSON.stringify(e.label)}: ${why}`,
        { source: this.source, entry: e.label },
      );
    const comps = components(bytePath(e.name), refuse, '');
    const base = comps.pop();
    if (base === undefined) return; // the root itself
    this.parents(comps, refuse);
    const parent = comps.join('/');
    const path = parent === '' ? base : `${parent}/${base}`;
    if (base.startsWith(WHITEOUT_PREFIX)) return this.whiteout(base, parent, refuse);
    if (e.type === 'link') this.hardlink(bytePath(e.linkname), path, refuse);
    const kind: Kind = e.type === 'dir' ? 'dir' : e.type === 'symlink' ? 'symlink' : 'other';
    // A directory replaced by anything else takes what this layer put in it along.
    if (kind !== 'dir' && this.kinds.get(path) === 'dir') {
      for (const p of this.kinds.keys()) if (p.startsWith(`${path}/`)) this.kinds.delete(p);
    }
    this.kinds.set(path, kind);
  }

  /** Fold this layer into the image: which symlinks are left after it. */
  end(): void {
    for (const l of [...this.links]) {
      if (this.kinds.has(l) || this.hidden(l) || this.underNonDir(l)) this.links.delete(l);
    }
    for (const [p, k] of this.kinds) if (k === 'symlink') this.links.add(p);
  }

  private parents(comps: string[], refuse: (why: string) => Error): void {
    let q = '';
    for (const c of comps) {
      q = q === '' ? c : `${q}/${c}`;
      const k = this.kinds.get(q);
      if (k === 'symlink') throw refuse(`under the symlink ${JSON.stringify(shown(q))}`);
      if (k === 'other') throw refuse(`its parent ${JSON.stringify(shown(q))} is not a directory`);
      if (k === undefined && this.links.has(q) && !this.hidden(q))
        throw refuse(`under the symlink ${JSON.stringify(shown(q))} (from an earlier layer)`);
    }
  }

  private whiteout(base: string, parent: string, refuse: (why: string) => Error): void {
    if (base === OPAQUE) {
      this.opaques.push(parent);
      return;
    }
    if (base.startsWith(AUFS_META)) return;
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..')
      throw refuse('whiteout names no file in its directory');
    this.whiteouts.push(parent === '' ? name : `${parent}/${name}`);
  }

  private hardlink(target: string, path: string, refuse: (why: string) => Error): void {
    const named = `hardlink target ${JSON.stringify(shown(target))}`;
    const comps = components(target, refuse, `${named}: `);
    const to = comps.join('/');
    const kind = this.kinds.get(to);
    if (kind === undefined) throw refuse(`${named} is not earlier in this layer`);
    if (kind === 'dir') throw refuse(`${named} is a directory`);
    if (to === path) throw refuse(`${named} is the entry itself`);
  }

  /** Whether this layer's whiteouts hide the earlier layers' `p`. */
  private hidden(p: string): boolean {
    return (
      this.whiteouts.some((w) => p === w || p.startsWith(`${w}/`)) ||
      this.opaques.some((o) => o === '' || p.startsWith(`${o}/`))
    );
  }

  /** Whether this layer put a non-directory above `p`, which hides the earlier layers' `p`. */
  private underNonDir(p: string): boolean {
    for (let at = p.indexOf('/'); at >= 0; at = p.indexOf('/', at + 1)) {
      const k = this.kinds.get(p.slice(0, at));
      if (k !== undefined && k !== 'dir') return true;
    }
    return false;
  }
}

/** A name's components, refusing what could leave the root (`what` prefixes the reason). */
function components(name: string, refuse: (why: string) => Error, what: string): string[] {
  if (name.includes('\0')) throw refuse(`${what}a NUL byte in the name`);
  if (name.startsWith('/')) throw refuse(`${what}an absolute name`);
  const comps = name.split('/').filter((c) => c !== '' && c !== '.');
  if (comps.includes('..')) throw refuse(`${what}".." in the name`);
  return comps;
}
