/**
 * The snapshot tests' material: two hand-made lower dirs in overlay lower-dir
 * format, a "RUN" made of fs calls on a snapshot's rootfs, and a description
 * of a tree that two trees are compared by.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { getXattr, setXattr } from '../../../src/layer/xattrs.js';

/** A v2 file capability (cap_net_raw | cap_setfcap), as test/layer/trees.ts uses. */
export const CAP_BYTES = Buffer.from('0100000200200080000000000000000000000000', 'hex');

function put(path: string, content: string, mode = 0o644): void {
  writeFileSync(path, content);
  chmodSync(path, mode);
}

/** The bottom layer. */
export function lowerBottom(root: string): void {
  for (const d of ['bin', 'etc', 'data', 'data/sub', 'dir2file', 'swap', 'opq']) {
    mkdirSync(join(root, d));
  }
  put(join(root, 'bin/app'), '#!/bin/sh\necho app\n', 0o755);
  put(join(root, 'bin/su'), 'setuid\n', 0o4755);
  chownSync(join(root, 'bin/su'), 0, 0);
  chmodSync(join(root, 'bin/su'), 0o4755); // chown cleared the setuid bit
  put(join(root, 'bin/ping'), 'ping\n', 0o755);
  setXattr(join(root, 'bin/ping'), 'security.capability', CAP_BYTES);
  put(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  put(join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
  put(join(root, 'data/a.txt'), 'a\n');
  put(join(root, 'data/sub/c.txt'), 'c\n');
  put(join(root, 'dir2file/x'), 'x\n');
  put(join(root, 'file2dir'), 'a file\n');
  put(join(root, 'swap/old'), 'old\n');
  put(join(root, 'opq/old'), 'hidden by the opaque dir above\n');
  symlinkSync('bin/app', join(root, 'link'));
  put(join(root, 'hl1'), 'hardlinked\n');
  linkSync(join(root, 'hl1'), join(root, 'hl2'));
  put(join(root, 'hidden.txt'), 'whited out by the layer above\n');
  put(join(root, 'owned.txt'), 'owned\n');
  put(join(root, 'modify.txt'), 'v1\n');
  put(join(root, 'delete.txt'), 'bye\n');
  put(join(root, 'linkme.txt'), 'gets a second name\n');
}

/** The top layer: a whiteout, an opaque dir, a new file in a shared dir. */
export function lowerTop(root: string): void {
  mkdirSync(join(root, 'etc'));
  put(join(root, 'etc/extra'), 'from the top layer\n');
  execFileSync('mknod', [join(root, 'hidden.txt'), 'c', '0', '0']);
  mkdirSync(join(root, 'opq'));
  setXattr(join(root, 'opq'), 'trusted.overlay.opaque', Buffer.from('y'));
  put(join(root, 'opq/new'), 'only this shows\n');
}

/** What a RUN might do, as fs calls on the rootfs. */
export function simulateRun(rootfs: string): void {
  const at = (p: string) => join(rootfs, p);
  put(at('new.txt'), 'created\n');
  mkdirSync(at('newdir/deep'), { recursive: true });
  put(at('newdir/deep/f'), 'deep\n', 0o600);
  appendFileSync(at('modify.txt'), 'v2\n');
  unlinkSync(at('delete.txt'));
  rmSync(at('data/sub'), { recursive: true });
  rmSync(at('dir2file'), { recursive: true });
  put(at('dir2file'), 'was a dir\n');
  unlinkSync(at('file2dir'));
  mkdirSync(at('file2dir'));
  put(at('file2dir/inside'), 'was a file\n');
  // A directory replaced by a file and back: the old contents must stay gone.
  rmSync(at('swap'), { recursive: true });
  put(at('swap'), 'for a moment\n');
  unlinkSync(at('swap'));
  mkdirSync(at('swap'));
  put(at('swap/fresh'), 'fresh\n');
  chownSync(at('owned.txt'), 1000, 1000);
  chmodSync(at('owned.txt'), 0o600);
  symlinkSync('../etc/passwd', at('bin/newlink'));
  linkSync(at('linkme.txt'), at('linkme2.txt'));
  chmodSync(at('bin/app'), 0o4755);
  put(at('bin/cap'), 'cap\n', 0o755);
  setXattr(at('bin/cap'), 'security.capability', CAP_BYTES);
  chmodSync(at('data'), 0o700);
}

export interface Desc {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size?: number;
  sha?: string;
  target?: string;
  rdev?: number;
  cap?: string;
}

/** Every entry under `root` (not the root), and the groups of names that share an inode. */
export function describe(root: string): { entries: Record<string, Desc>; links: string[][] } {
  const entries: Record<string, Desc> = {};
  const byIno = new Map<number, string[]>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = join(root, r);
      const st = lstatSync(abs);
      const d: Desc = { type: '?', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
      if (st.isDirectory()) d.type = 'dir';
      else if (st.isSymbolicLink())
        Object.assign(d, { type: 'symlink', target: readlinkSync(abs) });
      else if (st.isCharacterDevice()) Object.assign(d, { type: 'char', rdev: st.rdev });
      else if (st.isFile()) {
        const content = readFileSync(abs);
        const sha = createHash('sha256').update(content).digest('hex');
        Object.assign(d, { type: 'file', size: st.size, sha, cap: capOf(abs) });
        if (st.nlink > 1) byIno.set(st.ino, [...(byIno.get(st.ino) ?? []), r]);
      }
      entries[r] = d;
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  const links = [...byIno.values()].filter((g) => g.length > 1).sort();
  return { entries, links };
}

function capOf(path: string): string | undefined {
  try {
    return getXattr(path, 'security.capability').toString('hex');
  } catch {
    return undefined;
  }
}
