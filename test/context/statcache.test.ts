import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FileHasher } from '../../src/context/statcache.js';
import { tempRoot } from '../helpers/tmp.js';

const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const st = (p: string) => lstat(p, { bigint: true });

/** A file whose ctime is old enough to be remembered (statcache.ts RACY_NS). */
async function settled(path: string, content: string | Buffer): Promise<string> {
  await writeFile(path, content);
  await sleep(150);
  return path;
}

describe('FileHasher', () => {
  it('hashes small and streamed big files', async () => {
    const dir = tempRoot();
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 'xyz');
    await writeFile(join(dir, 'big'), big);
    await writeFile(join(dir, 'small'), 'hello\n');
    const h = await FileHasher.open();
    expect(await h.hash(join(dir, 'big'), await st(join(dir, 'big')))).toBe(sha256(big));
    expect(await h.hash(join(dir, 'small'), await st(join(dir, 'small')))).toBe(sha256('hello\n'));
    expect(h.stats).toEqual({ hits: 0, misses: 2 });
  });

  it('does not read an unchanged file again, across a save and re-open', async () => {
    const dir = tempRoot();
    const f = await settled(join(dir, 'a.txt'), 'one\n');
    const cache = join(dir, 'cache', 'statcache.json');
    const first = await FileHasher.open(cache);
    expect(await first.hash(f, await st(f))).toBe(sha256('one\n'));
    await first.save();

    const second = await FileHasher.open(cache);
    expect(await second.hash(f, await st(f))).toBe(sha256('one\n'));
    expect(second.stats).toEqual({ hits: 1, misses: 0 });
  });

  it('re-reads a touched file and gets the same digest', async () => {
    const dir = tempRoot();
    const f = await settled(join(dir, 'a'), 'same\n');
    const h = await FileHasher.open();
    await h.hash(f, await st(f));
    const later = new Date(Date.now() + 5000);
    await utimes(f, later, later);
    expect(await h.hash(f, await st(f))).toBe(sha256('same\n'));
    expect(h.stats).toEqual({ hits: 0, misses: 2 });
  });

  it('sees a same-size rewrite even with the mtime put back (ctime moved)', async () => {
    const dir = tempRoot();
    const f = await settled(join(dir, 'a'), 'aaaa');
    const before = await st(f);
    const h = await FileHasher.open();
    expect(await h.hash(f, before)).toBe(sha256('aaaa'));
    await writeFile(f, 'bbbb');
    // touch -d keeps the nanoseconds a JS Date would round away.
    const ns = before.mtimeNs % 1_000_000_000n;
    const sec = before.mtimeNs / 1_000_000_000n;
    execFileSync('touch', ['-m', '-d', `@${sec}.${String(ns).padStart(9, '0')}`, f]);
    const after = await st(f);
    expect(after.size).toBe(before.size);
    expect(after.mtimeNs).toBe(before.mtimeNs);
    expect(after.ctimeNs).not.toBe(before.ctimeNs);
    expect(await h.hash(f, after)).toBe(sha256('bbbb'));
  });

  it('remembers nothing about a file written a moment ago (racily clean)', async () => {
    const dir = tempRoot();
    const f = join(dir, 'fresh');
    await writeFile(f, 'new');
    const h = await FileHasher.open();
    await h.hash(f, await st(f));
    await h.hash(f, await st(f));
    expect(h.stats).toEqual({ hits: 0, misses: 2 });
  });

  it('reads a file once for parallel requests', async () => {
    const dir = tempRoot();
    const f = await settled(join(dir, 'a'), Buffer.alloc(1024 * 1024, 1));
    const h = await FileHasher.open();
    const s = await st(f);
    const all = await Promise.all([h.hash(f, s), h.hash(f, s), h.hash(f, s)]);
    expect(new Set(all).size).toBe(1);
    expect(h.stats.misses).toBe(1);
  });

  it('treats a corrupt or foreign cache file as empty, and replaces it', async () => {
    const dir = tempRoot();
    const f = await settled(join(dir, 'a'), 'x');
    const cache = join(dir, 'statcache.json');
    for (const junk of ['{"v":1,"entries":', '[]', '{"v":99,"entries":{}}', '\0\0\0']) {
      await writeFile(cache, junk);
      const h = await FileHasher.open(cache);
      expect(await h.hash(f, await st(f))).toBe(sha256('x'));
      expect(h.stats.misses).toBe(1);
    }
    const h = await FileHasher.open(cache);
    await h.hash(f, await st(f));
    await h.save();
    const again = await FileHasher.open(cache);
    await again.hash(f, await st(f));
    expect(again.stats.hits).toBe(1);
  });

  it('writes only when something changed', async () => {
    const dir = tempRoot();
    const cache = join(dir, 'statcache.json');
    await (await FileHasher.open(cache)).save();
    expect(existsSync(cache)).toBe(false);

    const f = await settled(join(dir, 'a'), 'x');
    const h = await FileHasher.open(cache);
    await h.hash(f, await st(f));
    await h.save();
    const written = (await lstat(cache)).mtimeMs;
    const warm = await FileHasher.open(cache);
    await warm.hash(f, await st(f));
    await sleep(20);
    await warm.save();
    expect((await lstat(cache)).mtimeMs).toBe(written);
  });

  it('drops entries unused for a month when it saves', async () => {
    const dir = tempRoot();
    const cache = join(dir, 'statcache.json');
    const day = Math.floor(Date.now() / 86_400_000);
    const digest = sha256('');
    await writeFile(
      cache,
      JSON.stringify({
        v: 1,
        entries: {
          '/gone/old': ['0:0:0:0:0', digest, day - 40],
          '/gone/recent': ['0:0:0:0:0', digest, day - 3],
        },
      }),
    );
    const f = await settled(join(dir, 'a'), 'x');
    const h = await FileHasher.open(cache);
    await h.hash(f, await st(f));
    await h.save();
    const kept = Object.keys(JSON.parse(await readFile(cache, 'utf8')).entries).sort();
    expect(kept).toEqual(['/gone/recent', f].sort());
  });
});
