/**
 * The trees the golden tars are made from. Every property that reaches a tar
 * header is set explicitly (mode, owner, mtime), so the tar depends on nothing
 * but this file: not the umask, the clock, or the temp dir's name.
 */
import { symlinkSync, linkSync } from 'node:fs';
import { join } from 'node:path';
import { setXattr } from '../../src/layer/xattrs.js';
import { dir, fixTimes, mknod, own, put } from './helpers.js';

export const T0 = 1_600_000_000; // 2020-09-13T12:26:40Z

/**
 * A v2 file capability: effective, permitted = cap_net_raw | cap_setfcap. Bit 31
 * makes a 0x80 byte, so a reader that decodes PAX values as UTF-8 would break it.
 */
export const CAP_BYTES = Buffer.from('0100000200200080000000000000000000000000', 'hex');

export function basicTree(root: string): void {
  dir(join(root, 'bin'));
  put(join(root, 'bin/app'), '#!/bin/sh\necho app\n', { mode: 0o755 });
  put(join(root, 'bin/su'), 'setuid\n', { mode: 0o4755 });
  put(join(root, 'bin/wall'), 'setgid\n', { mode: 0o2755, gid: 5 });
  dir(join(root, 'etc'));
  put(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  put(join(root, 'etc/shadow'), 'root:*:19000::::::\n', { mode: 0o640, gid: 42 });
  symlinkSync('../bin/app', join(root, 'etc/alt'));
  symlinkSync('/etc/passwd', join(root, 'etc/abs'));
  symlinkSync('nowhere', join(root, 'etc/dangling'));
  dir(join(root, 'tmp'), { mode: 0o1777 });
  dir(join(root, 'home/user'), { mode: 0o700, uid: 1000, gid: 1000 });
  own(join(root, 'home'), {}, 0o755);
  put(join(root, 'home/user/.profile'), 'PS1=$\n', { mode: 0o600, uid: 1000, gid: 1000 });
  put(join(root, 'home/user/nobody'), '', { uid: 65534, gid: 65534 });
  put(join(root, 'usr/lib/liba.so'), Buffer.alloc(1500, 7));
  own(join(root, 'usr'), {}, 0o755);
  linkSync(join(root, 'usr/lib/liba.so'), join(root, 'usr/lib/liba.so.1'));
  dir(join(root, 'usr/share'));
  linkSync(join(root, 'usr/lib/liba.so'), join(root, 'usr/share/same'));
  dir(join(root, 'run'));
  mknod(join(root, 'run/fifo'), 'p');
  own(join(root, 'run/fifo'), {}, 0o600);
  dir(join(root, 'dev'));
  mknod(join(root, 'dev/null'), 'c', 1, 3);
  own(join(root, 'dev/null'), {}, 0o666);
  mknod(join(root, 'dev/loop0'), 'b', 7, 0);
  own(join(root, 'dev/loop0'), { gid: 6 }, 0o660);
  dir(join(root, 'empty'));
  // Sort order: per directory, bytewise: "a" (and then a/b), "a-b", "a.b".
  put(join(root, 'a/b'), 'in a\n');
  own(join(root, 'a'), {}, 0o755);
  put(join(root, 'a-b'), 'dash\n');
  put(join(root, 'a.b'), 'dot\n');
  fixTimes(root, T0, { 'bin/app': T0 + 3600, 'etc/abs': T0 - 3600 });
}

export function longNamesTree(root: string): void {
  const x = 'x'.repeat(60);
  const y = 'y'.repeat(60);
  dir(join(root, `deep/${x}/${y}`));
  own(join(root, 'deep'), {}, 0o755);
  own(join(root, `deep/${x}`), {}, 0o755);
  put(join(root, `deep/${x}/${y}/file`), 'fits ustar prefix+name\n');
  const p = 'p'.repeat(90);
  const q = 'q'.repeat(110);
  dir(join(root, p));
  put(join(root, `${p}/${q}`), 'needs a PAX path\n');
  linkSync(join(root, `${p}/${q}`), join(root, 'zz-hardlink'));
  dir(join(root, 'é'));
  put(join(root, 'é/日本語.txt'), 'non-ASCII\n');
  put(join(root, 'ü'), 'umlaut\n');
  symlinkSync('z'.repeat(150), join(root, 'long-target'));
  symlinkSync('é/日本語.txt', join(root, 'unicode-target'));
  fixTimes(root, T0);
}

export function xattrTree(root: string): void {
  dir(join(root, 'bin'));
  put(join(root, 'bin/ping'), 'ping\n', { mode: 0o755 });
  setXattr(join(root, 'bin/ping'), 'security.capability', CAP_BYTES);
  put(join(root, 'bin/plain'), 'no xattrs recorded\n', { mode: 0o755 });
  setXattr(join(root, 'bin/plain'), 'user.comment', Buffer.from('ignored'));
  fixTimes(root, T0);
}

export function bigNumbersTree(root: string): void {
  put(join(root, 'big-ids'), 'uid over 0o7777777\n', { uid: 3_000_000, gid: 3_000_001 });
  put(join(root, 'future'), 'mtime past 0o77777777777\n');
  put(join(root, 'past'), 'mtime before 1970\n');
  fixTimes(root, T0, { future: 9_000_000_000, past: -86_400 });
}

/** An overlayfs upper dir: whiteouts as 0/0 char devices, opaque dirs as xattrs. */
export function upperTree(root: string): void {
  dir(join(root, 'etc'));
  mknod(join(root, 'etc/gone'), 'c', 0, 0);
  own(join(root, 'etc/gone'), {}, 0o644);
  put(join(root, 'etc/kept'), 'kept\n');
  dir(join(root, 'var'), { mode: 0o750 });
  setXattr(join(root, 'var'), 'trusted.overlay.opaque', Buffer.from('y'));
  put(join(root, 'var/-first'), 'sorts before .wh..wh..opq\n');
  put(join(root, 'var/new'), 'new\n');
  dir(join(root, 'opt'));
  setXattr(join(root, 'opt'), 'user.overlay.opaque', Buffer.from('y'));
  mknod(join(root, 'null'), 'c', 1, 3);
  own(join(root, 'null'), {}, 0o666);
  mknod(join(root, 'zz-gone'), 'c', 0, 0);
  own(join(root, 'zz-gone'), { uid: 7, gid: 8 }, 0o600);
  fixTimes(root, T0);
}
