/**
 * The state of one applyLayer call: the confined root, what this layer has
 * written so far (whiteouts and opaque markers must not delete it), and the
 * directory mtimes to set once their contents are complete.
 */
import { lstatSync, readdirSync, rmdirSync, unlinkSync, type Stats } from 'node:fs';
import { RootFs, fsPath, type BytePath } from './paths.js';

export type WhiteoutMode = 'apply' | 'overlay' | 'none';

/**
 * A tar mtime as the Date the utimes calls take: Node reads a negative number
 * of seconds as "now", but honours a Date before 1970.
 */
export const timeOf = (seconds: number): Date => new Date(seconds * 1000);

export class ApplyContext {
  readonly fs: RootFs;
  /** Real absolute paths this layer created or updated, with their ancestors. */
  private readonly written = new Set<BytePath>();
  private readonly dirTimes: [BytePath, number][] = [];
  /** chown needs root; without it files stay owned by whoever applies the layer. */
  readonly asRoot = process.getuid?.() === 0;

  constructor(
    root: string,
    readonly whiteouts: WhiteoutMode,
  ) {
    this.fs = new RootFs(root);
  }

  markWritten(path: BytePath): void {
    for (let p = path; p.length > this.fs.root.length && !this.written.has(p);) {
      this.written.add(p);
      p = p.slice(0, p.lastIndexOf('/'));
    }
  }

  isWritten(path: BytePath): boolean {
    return this.written.has(path);
  }

  deferDirTime(path: BytePath, mtime: number): void {
    this.dirTimes.push([path, mtime]);
  }

  takeDirTimes(): [BytePath, number][] {
    return this.dirTimes.splice(0).reverse();
  }

  /**
   * Make room for an entry at `path`: what is there is removed, except a
   * directory when `keepDir` (a directory entry over a directory merges into it,
   * as containerd does). Returns the stat of what was kept, if anything.
   */
  clear(path: BytePath, keepDir: boolean): Stats | undefined {
    const st = lstatSync(fsPath(path), { throwIfNoEntry: false });
    if (st === undefined) return undefined;
    if (keepDir && st.isDirectory()) return st;
    this.remove(path, st);
    return undefined;
  }

  /** Remove `path` and everything under it, never following a symlink. */
  remove(path: BytePath, st = lstatSync(fsPath(path), { throwIfNoEntry: false })): void {
    if (st === undefined) return;
    if (st.isDirectory()) {
      for (const name of readdirSync(fsPath(path), { encoding: 'buffer' })) {
        this.remove(`${path}/${name.toString('latin1')}`);
      }
      rmdirSync(fsPath(path));
    } else {
      unlinkSync(fsPath(path));
    }
    // A removed directory or symlink may be a step in a cached resolution.
    if (st.isDirectory() || st.isSymbolicLink()) this.fs.invalidate();
  }
}
