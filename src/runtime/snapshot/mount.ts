/**
 * Mounting and unmounting the snapshots' overlays, and /proc/self/mountinfo.
 * mount(2) and umount2(2) come from the addon npm builds (native/syscalls.c):
 * spawning mount(8) and umount(8) forked the whole Node process twice per
 * RUN step. Without the addon (installed with --ignore-scripts) the tools
 * are spawned as before, by absolute path.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { syscalls } from '../native.js';
import { SnapshotError } from './errors.js';

const MOUNT = existsSync('/usr/bin/mount') ? '/usr/bin/mount' : '/bin/mount';
const UMOUNT = existsSync('/usr/bin/umount') ? '/usr/bin/umount' : '/bin/umount';

/** The kernel copies at most one page of mount data, with a terminating NUL. */
const MAX_DATA = 4095;
/**
 * overlayfs's `volatile` (Linux 5.10+): no sync of the upper directory's
 * whole file system at unmount. Each snapshot is a build's scratch, and what
 * it keeps reaches the disk with the store's one sync before a build reports
 * success; without it every RUN step's unmount flushed every dirty page of
 * that file system (hundreds of milliseconds after a step that wrote much).
 */
const VOLATILE = ',volatile';
/** Whether this kernel took `volatile`; undefined until a mount says. */
let volatileWorks: boolean | undefined;

interface Ran {
  code: number;
  stderr: string;
}

function run(cmd: string, args: string[], cwd?: string): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd }, (err, _stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 127) : 0;
      resolve({ code, stderr: String(stderr || err?.message || '').trim() });
    });
  });
}

/**
 * Mount an overlay at `target` with mount data `data` (plus `volatile` where
 * the kernel has it, the page has room and `opts.volatile` is not false). Relative lowerdir paths resolve
 * against `cwd` (the kernel resolves them in the mounting thread).
 */
export async function mountOverlay(
  target: string,
  data: string,
  cwd?: string,
  opts: { volatile?: boolean } = {},
): Promise<void> {
  // A container's overlay is mounted again after it stops (commit, a restart) and
  // must keep what it wrote: overlayfs refuses a volatile upper's second mount.
  const tryVolatile = opts.volatile !== false;
  if (tryVolatile && volatileWorks !== false && data.length + VOLATILE.length <= MAX_DATA) {
    const err = await mountOnce(target, data + VOLATILE, cwd);
    if (err === undefined) {
      volatileWorks = true;
      return;
    }
    if (volatileWorks === true) throw failed(target, data, err);
    // An older kernel refuses the option: try without it; if that works, stop asking.
    const plain = await mountOnce(target, data, cwd);
    if (plain !== undefined) throw failed(target, data, plain);
    volatileWorks = false;
    return;
  }
  const err = await mountOnce(target, data, cwd);
  if (err !== undefined) throw failed(target, data, err);
}

/** One mount; the reason when it failed. */
async function mountOnce(target: string, data: string, cwd?: string): Promise<string | undefined> {
  const native = syscalls();
  if (native === undefined) {
    const r = await run(MOUNT, ['-t', 'overlay', 'overlay', '-o', data, target], cwd);
    return r.code === 0 ? undefined : r.stderr;
  }
  try {
    native.mount('overlay', target, 'overlay', data, cwd);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function failed(target: string, data: string, why: string): SnapshotError {
  const msg = `cannot mount overlayfs at ${JSON.stringify(target)}: ${why}`;
  return new SnapshotError('SNAPSHOT_MOUNT', msg, { target, data });
}

/** Unmount `target`; when it is busy, detach it lazily (`umount -l`). Not mounted is fine. */
export async function unmount(target: string): Promise<void> {
  if (!isMountPoint(target)) return;
  const first = await umountOnce(target, false);
  if (first === undefined || !isMountPoint(target)) return;
  const lazy = await umountOnce(target, true);
  if (lazy !== undefined && isMountPoint(target)) {
    const msg = `cannot unmount ${JSON.stringify(target)}: ${lazy || first}`;
    throw new SnapshotError('SNAPSHOT_UNMOUNT', msg, { target });
  }
}

/** One umount; the reason when it failed. */
async function umountOnce(target: string, detach: boolean): Promise<string | undefined> {
  const native = syscalls();
  if (native === undefined) {
    const r = await run(UMOUNT, detach ? ['-l', target] : [target]);
    return r.code === 0 ? undefined : r.stderr;
  }
  try {
    native.umount(target, detach);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The mount points of this mount namespace, in mount order. */
export function mountPoints(): string[] {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (field !== undefined) out.push(unescapeOctal(field));
  }
  return out;
}

export function isMountPoint(path: string): boolean {
  return mountPoints().includes(path);
}

/** Mount points strictly under `dir`, deepest (latest) first, so they can be unmounted in order. */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return mountPoints()
    .filter((m) => m.startsWith(prefix))
    .reverse();
}

/** mountinfo writes space, tab, newline and backslash as \040, \011, \012, \134. */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
