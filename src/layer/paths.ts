/**
 * Where a layer entry lands under the root, without ever leaving it.
 *
 * Paths are held as "byte strings" (one char per byte, latin1) so names that
 * are not UTF-8 survive path arithmetic; `fsPath` turns one back into the
 * Buffer the fs calls take.
 *
 * The rules, and whose they are:
 * - A leading '/' is dropped and the name read relative to the root, as
 *   containerd does ("/etc/x" is "etc/x").
 * - `..` is resolved lexically; a name that climbs above the root is refused,
 *   as Docker refuses it ("breakout"), rather than clamped as containerd does.
 * - Symlinks among the parent directories are followed *inside* the root, as
 *   if the root were '/': what containerd's fs.RootPath does, and what Docker
 *   gets by extracting inside a chroot. So `lib -> /usr/lib` then `lib/x`
 *   writes usr/lib/x in the root, and `evil -> /tmp/outside` then `evil/x`
 *   writes tmp/outside/x in the root. Refusing would break real layers (a
 *   merged-/usr base under a layer that still says lib/...).
 * - The last component is never followed: it is replaced (see apply-entry.ts).
 * - Missing parent directories are created with mode 0755, as both engines do.
 *
 * This relies on nothing else changing the tree while a layer is applied.
 */
import { isUtf8 } from 'node:buffer';
import { chmodSync, lstatSync, mkdirSync, readlinkSync, realpathSync } from 'node:fs';
import { entryError } from './errors.js';

export type BytePath = string;

export const fsPath = (p: BytePath): Buffer => Buffer.from(p, 'latin1');
export const bytePath = (b: Buffer): BytePath => b.toString('latin1');
export const shown = (p: BytePath): string => fsPath(p).toString('utf8');

/** `p` as the UTF-8 string a child process argument must be; throws when it is not UTF-8. */
export function utf8Path(p: BytePath, label: string): string {
  const b = fsPath(p);
  if (!isUtf8(b)) throw entryError('LAYER_UNSUPPORTED', label, 'device or fifo name is not UTF-8');
  return b.toString('utf8');
}

/** Linux stops at 40; continuity's RootPath at 255. */
const MAX_LINKS = 255;

/** The components of a layer entry name, cleaned; throws when it climbs out of the root. */
export function cleanName(name: BytePath, label: string, what = 'path'): string[] {
  if (name.includes('\0')) throw entryError('LAYER_CORRUPT', label, `${what} contains a NUL byte`);
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c !== '..') out.push(c);
    else if (out.pop() === undefined) {
      throw entryError('LAYER_UNSAFE_PATH', label, `${what} escapes the root`);
    }
  }
  return out;
}

export class RootFs {
  /** The root's real path, as a byte string. */
  readonly root: BytePath;
  /** Cleaned parent components joined by '/' → the real directory they resolve to. */
  private readonly cache = new Map<string, BytePath>();

  constructor(root: string) {
    this.root = bytePath(realpathSync(root, { encoding: 'buffer' }));
  }

  /** Forget resolutions; call after removing anything that may be a directory or symlink. */
  invalidate(): void {
    this.cache.clear();
  }

  /**
   * The real directory `comps` names, symlinks resolved inside the root;
   * missing directories are created.
   */
  dir(comps: readonly string[], label: string): BytePath {
    return this.resolve(comps, label, true) as BytePath;
  }

  /** The real directory `comps` names, or undefined when it does not exist (or is not a directory). */
  find(comps: readonly string[], label: string): BytePath | undefined {
    return this.resolve(comps, label, false);
  }

  private resolve(comps: readonly string[], label: string, create: boolean): BytePath | undefined {
    const key = comps.join('/');
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    let real: string[] = [];
    let done = 0;
    // Start from the longest cached prefix: most entries share their parents.
    for (let i = comps.length - 1; i > 0; i--) {
      const prefix = this.cache.get(comps.slice(0, i).join('/'));
      if (prefix !== undefined) {
        real = this.components(prefix);
        done = i;
        break;
      }
    }
    const resolved = this.walk(real, comps.slice(done), label, create);
    if (resolved === undefined) return undefined;
    const abs = this.join(resolved);
    this.cache.set(key, abs);
    return abs;
  }

  join(real: readonly string[]): BytePath {
    return real.length === 0 ? this.root : `${this.root}/${real.join('/')}`;
  }

  /** The path of `abs` under the root, e.g. "usr/lib" (empty for the root). */
  relative(abs: BytePath): string {
    return abs === this.root ? '' : abs.slice(this.root.length + 1);
  }

  private components(abs: BytePath): string[] {
    const rel = this.relative(abs);
    return rel === '' ? [] : rel.split('/');
  }

  private walk(
    start: string[],
    comps: readonly string[],
    label: string,
    create: boolean,
  ): string[] | undefined {
    const real = [...start];
    const queue = [...comps];
    let links = 0;
    for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
      if (c === '' || c === '.') continue;
      if (c === '..') {
        real.pop(); // '..' of the root is the root, as in a chroot
        continue;
      }
      const abs = fsPath(this.join([...real, c]));
      const st = lstatSync(abs, { throwIfNoEntry: false });
      if (st === undefined) {
        if (!create) return undefined;
        mkdirSync(abs);
        chmodSync(abs, 0o755); // whatever the umask
      } else if (st.isSymbolicLink()) {
        if (++links > MAX_LINKS) {
          throw entryError('LAYER_UNSAFE_PATH', label, 'too many levels of symbolic links');
        }
        const target = bytePath(readlinkSync(abs, { encoding: 'buffer' }));
        if (target.startsWith('/')) real.length = 0;
        queue.unshift(...target.split('/'));
        continue;
      } else if (!st.isDirectory()) {
        if (!create) return undefined; // nothing can exist under a non-directory
        const where = JSON.stringify(shown([...real, c].join('/')));
        throw entryError('LAYER_IO', label, `${where} is not a directory`);
      }
      real.push(c);
    }
    return real;
  }
}
