/**
 * native/xattr.c through src/layer/xattrs.ts: a path's last component is never
 * followed, a path may be any bytes, a descriptor reaches its file, and the
 * errors carry the errno's name as Node's do.
 */
import { closeSync, openSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  getXattr,
  hasXattrs,
  listXattrs,
  readXattrs,
  removeXattr,
  setXattr,
} from '../../src/layer/xattrs.js';
import { caught } from '../helpers/caught.js';
import { tempRoot } from '../helpers/tmp.js';

describe('extended attributes', () => {
  it('sets, lists, reads and removes on a path, a byte path and a descriptor', () => {
    const dir = tempRoot();
    const name = Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0x66, 0xff, 0x2e])]);
    writeFileSync(name, 'x');
    setXattr(name, 'user.a', Buffer.from('one'));
    const fd = openSync(name, 'r');
    setXattr(fd, 'user.b', Buffer.alloc(0));
    expect(listXattrs(fd).sort()).toEqual(['user.a', 'user.b']);
    closeSync(fd);
    expect(getXattr(name, 'user.a').toString()).toBe('one');
    expect(getXattr(name, 'user.b')).toEqual(Buffer.alloc(0));
    expect(readXattrs(name, ['user.b', 'user.c'])).toEqual(new Map([['user.b', Buffer.alloc(0)]]));
    removeXattr(name, 'user.a');
    removeXattr(name, 'user.b');
    expect(listXattrs(name)).toEqual([]);
    expect(hasXattrs(name)).toBe(false);
  });

  it("reads a symlink's own attributes, never its target's, and cannot set a user one on it", () => {
    const dir = tempRoot();
    writeFileSync(join(dir, 'f'), 'x');
    setXattr(join(dir, 'f'), 'user.a', Buffer.from('t'));
    symlinkSync('f', join(dir, 'l'));
    expect(listXattrs(join(dir, 'l'))).toEqual([]);
    expect(hasXattrs(Buffer.from(join(dir, 'l')))).toBe(false);
    const get = caught(() => getXattr(join(dir, 'l'), 'user.a'), Error);
    expect(get).toMatchObject({ code: 'ENODATA', syscall: 'lgetxattr', path: join(dir, 'l') });
    // The kernel allows user.* only on files and directories (xattr(7)).
    const set = caught(() => setXattr(join(dir, 'l'), 'user.a', Buffer.from('x')), Error);
    expect(set).toMatchObject({ code: 'EPERM', syscall: 'lsetxattr' });
    expect(getXattr(join(dir, 'f'), 'user.a').toString()).toBe('t');
  });

  it("fails as Node's calls do", () => {
    const missing = join(tempRoot(), 'missing');
    const e = caught(() => listXattrs(missing), Error);
    expect(e).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'llistxattr', path: missing });
    expect(e.message).toBe(`ENOENT: no such file or directory, llistxattr '${missing}'`);
    const bad = caught(() => listXattrs({} as unknown as string), TypeError);
    expect(bad).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });
});
