import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TsbuildError } from '../../../src/errors.js';
import { resolveUser } from '../../../src/runtime/run/users.js';
import { tempRoot } from '../../helpers/tmp.js';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
  'app:x:1000:1000:app:/home/app:/bin/sh',
  'nohome:x:1001:1001::',
  'dup:x:1000:5:second entry for uid 1000:/dup:/bin/sh',
].join('\n');
const GROUP = [
  'root:x:0:',
  'wheel:x:10:root,app',
  'staff:x:50:app',
  'app:x:1000:',
  'nogroup:x:65534:',
].join('\n');

let root: string;
beforeAll(() => {
  root = tempRoot('tsbuild-users-');
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/passwd'), `${PASSWD}\n`);
  writeFileSync(join(root, 'etc/group'), `${GROUP}\n`);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('resolveUser', () => {
  // spec | uid | gid | additional gids | home — moby/sys/user GetExecUser semantics.
  const table: [string, number, number, number[], string][] = [
    ['', 0, 0, [10], '/root'],
    ['root', 0, 0, [10], '/root'],
    ['app', 1000, 1000, [10, 50], '/home/app'],
    ['1000', 1000, 1000, [10, 50], '/home/app'], // first passwd entry for the uid wins
    ['app:staff', 1000, 50, [], '/home/app'], // an explicit group: no supplementary ones
    ['app:77', 1000, 77, [], '/home/app'], // numeric gid need not exist
    ['1000:1000', 1000, 1000, [], '/home/app'],
    ['4242', 4242, 0, [], '/'], // numeric uid need not exist: gid 0, HOME /
    ['4242:staff', 4242, 50, [], '/'],
    ['nohome', 1001, 1001, [], '/'],
    ['nobody', 65534, 65534, [], '/nonexistent'],
  ];
  it.each(table)('%j → %i:%i %j %s', (spec, uid, gid, additionalGids, home) => {
    expect(resolveUser(root, spec)).toEqual({ uid, gid, additionalGids, home });
  });

  it("refuses an unknown name with Docker's message", () => {
    const e = catchError(() => resolveUser(root, 'app2'));
    expect(e.code).toBe('UNKNOWN_USER');
    expect(e.message).toBe('unable to find user app2: no matching entries in passwd file');
  });

  it('refuses an unknown group name', () => {
    const e = catchError(() => resolveUser(root, 'app:nope'));
    expect(e.code).toBe('UNKNOWN_GROUP');
    expect(e.message).toBe('unable to find group nope: no matching entries in group file');
  });

  it('refuses an id out of range', () => {
    expect(catchError(() => resolveUser(root, '4294967296')).code).toBe('INVALID_USER');
  });

  it('runs a rootfs without /etc/passwd as root, and a numeric user as given', () => {
    const empty = tempRoot('tsbuild-users-');
    try {
      expect(resolveUser(empty, '')).toEqual({ uid: 0, gid: 0, additionalGids: [], home: '/' });
      expect(resolveUser(empty, '5:6')).toEqual({ uid: 5, gid: 6, additionalGids: [], home: '/' });
      expect(catchError(() => resolveUser(empty, 'app')).code).toBe('UNKNOWN_USER');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('reads a symlinked /etc/passwd inside the rootfs, never the host file it names', () => {
    const r = tempRoot('tsbuild-users-');
    try {
      mkdirSync(join(r, 'etc'));
      mkdirSync(join(r, 'data'));
      // Absolute and climbing targets both stay in the rootfs.
      symlinkSync('/data/passwd', join(r, 'etc/passwd'));
      symlinkSync('../../../../../../etc/group', join(r, 'etc/group'));
      writeFileSync(join(r, 'data/passwd'), 'inside:x:7:8::/in:/bin/sh\n');
      expect(resolveUser(r, 'inside')).toEqual({ uid: 7, gid: 8, additionalGids: [], home: '/in' });
      // etc/group -> (root)/etc/group is itself: a loop, read as no group file.
      expect(catchError(() => resolveUser(r, 'root')).code).toBe('UNKNOWN_USER');
      rmSync(join(r, 'etc/passwd'));
      symlinkSync('/etc/shadow', join(r, 'etc/passwd')); // the host's shadow has root
      expect(catchError(() => resolveUser(r, 'root')).code).toBe('UNKNOWN_USER');
    } finally {
      rmSync(r, { recursive: true, force: true });
    }
  });
});

function catchError(fn: () => unknown): TsbuildError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TsbuildError) return e;
    throw e;
  }
  throw new Error('expected a TsbuildError');
}
