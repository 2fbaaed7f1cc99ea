/**
 * A COPY into a directory it makes writes straight into the overlay's upper dir
 * (copy-into.ts `redirect`): the image must be what the merged view would
 * have made — several sources into one new directory, a later source
 * replacing an earlier one's file, a destination under an existing directory
 * and through a symlink, hardlinks kept — and a rebuild with one file changed
 * reuses the others.
 */
import { lstatSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildIn, contextOf, flatten, storeWithBusybox } from './harness.js';
import { execFileSync } from 'node:child_process';

let root: string;
beforeAll(async () => {
  root = await storeWithBusybox();
}, 60_000);

describe('COPY into a directory it makes', () => {
  it('gives the image the merged view would: later sources win, links and owners kept', async () => {
    const ctx = contextOf({
      'a/x': 'a-x',
      'a/y': 'a-y',
      'a/sub/deep': 'deep',
      'b/x': 'b-x',
      'b/z': 'b-z',
      Dockerfile: [
        'FROM busybox',
        'RUN mkdir -p /opt/real && ln -s /opt/real /opt/link',
        'COPY a/ b/ /dest/',
        'COPY --chown=7:8 a/ /etc/new/',
        'COPY b/ /opt/link/made/',
        'RUN cat /dest/x /dest/y /dest/z /dest/sub/deep /opt/real/made/z > /seen',
      ].join('\n'),
    });
    execFileSync('ln', [join(ctx, 'a/y'), join(ctx, 'a/y2')]);
    await buildIn(root, { context: ctx, tags: ['upper:1'] });
    const fs = await flatten(root, 'upper:1');
    expect(readFileSync(join(fs, 'seen'), 'utf8')).toBe('b-xa-yb-zdeepb-z');
    expect(lstatSync(join(fs, 'dest/y')).ino).toBe(lstatSync(join(fs, 'dest/y2')).ino);
    expect(lstatSync(join(fs, 'etc/new/x'))).toMatchObject({ uid: 7, gid: 8 });
    expect(readFileSync(join(fs, 'etc/passwd'), 'utf8')).toContain('root:x:0:0');
    expect(readlinkSync(join(fs, 'opt/link'))).toBe('/opt/real');
    expect(readFileSync(join(fs, 'opt/real/made/x'), 'utf8')).toBe('b-x');

    // One file changed: the step runs again and the others come back unchanged.
    writeFileSync(join(ctx, 'b/z'), 'b-z2');
    const again = await buildIn(root, { context: ctx, tags: ['upper:2'] });
    expect(again.cached['COPY a/ b/ /dest/']).toBe(false);
    const fs2 = await flatten(root, 'upper:2');
    expect(readFileSync(join(fs2, 'seen'), 'utf8')).toBe('b-xa-yb-z2deepb-z2');
  }, 60_000);
});
