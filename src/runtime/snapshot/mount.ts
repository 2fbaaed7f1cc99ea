/**
 * mount(8)/umount(8) from util-linux, and /proc/self/mountinfo. Node.js has no
 * mount(2); spawning the tools costs a few milliseconds per call.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { SnapshotError } from './errors.js';

const MOUNT = existsSync('/usr/bin/mount') ? '/usr/bin/mount' : 'mount';
const UMOUNT = existsSync('/usr/bin/umount') ? '/usr/bin/umount' : 'umount';

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
 * `mount -t overlay overlay -o <data> <target>`, run in `cwd` so that relative lowerdir paths
 * resolve against it (the kernel resolves them in the mounting process).
 */
export async function mountOverlay(target: string, data: string, cwd?: string): Promise<void> {
  const r = await run(MOUNT, ['-t', 'overlay', 'overlay', '-o', data, target], cwd);
  if (r.code !== 0) {
    const msg = `cannot mount overlayfs at ${JSON.stringify(target)}: ${r.stderr}`;
    throw new SnapshotError('SNAPSHOT_MOUNT', msg, { target, data });
  }
}

/** Unmount `target`; when it is busy, detach it lazily (`umount -l`). Not mounted is fine. */
export async function unmount(target: string): Promise<void> {
  if (!isMountPoint(target)) return;
  const r = await run(UMOUNT, [target]);
  if (r.code === 0 || !isMountPoint(target)) return;
  const lazy = await run(UMOUNT, ['-l', target]);
  if (lazy.code !== 0 && isMountPoint(target)) {
    const msg = `cannot unmount ${JSON.stringify(target)}: ${lazy.stderr || r.stderr}`;
    throw new SnapshotError('SNAPSHOT_UNMOUNT', msg, { target });
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
