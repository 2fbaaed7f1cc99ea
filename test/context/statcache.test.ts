import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync } from 'node:fs';
import { lstat, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { FileHasher, StampWatch } from '../../src/context/statcache.js';
import { lstatExisting, nanoseconds } from '../../src/util/lstat.js';
import { tempRoot } from '../helpers/tmp.js';

const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const st = async (p: string) => lstatExisting(p);

/** A file whose ctime is old enough to be remembered (statcache.ts RACY_NS). */
async function settled(path: string, content: string | Buffer): Promise<string> {
  await writeFile(path, content);
  await sleep(150);
  return path;
}

/** The bytes of a saved cache that knows `file`. */
async function cacheFileFor(file: string, cache: string): Promise<Buffer> {
  const h = await FileHasher.open(cache);
  await h.hash(file, await st(file));
  await h.save();
  return readFile(cache);
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
    const cache = join(dir, 'cache', 'statcache.bin');
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
    const ns = String(before.mtimeNsec).padStart(9, '0');
    execFileSync('touch', ['-m', '-d', `@${before.mtimeSec}.${ns}`, f]);
    const after = await st(f);
    expect(after.size).toBe(before.size);
    expect([after.mtimeSec, after.mtimeNsec]).toEqual([before.mtimeSec, before.mtimeNsec]);
    expect(nanoseconds(after.ctimeSec, after.ctimeNsec)).not.toBe(
      nanoseconds(before.ctimeSec, before.ctimeNsec),
    );
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
    const cache = join(dir, 'statcache.bin');
    const valid = await cacheFileFor(f, join(dir, 'valid.bin'));
    const junks: (string | Buffer)[] = [
      '{"v":1,"entries":',
      '[]',
      '{"v":99,"entries":{}}',
      '\0\0\0',
      valid.subarray(0, valid.length - 1),
      Buffer.concat([valid, Buffer.from('x')]),
      // Another version, and another byte order, of the same bytes.
      Buffer.concat([valid.subarray(0, 8), Buffer.from([3]), valid.subarray(9)]),
      Buffer.concat([
        valid.subarray(0, 20),
        Buffer.from(valid.subarray(20, 24)).reverse(),
        valid.subarray(24),
      ]),
    ];
    for (const junk of junks) {
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
    const cache = join(dir, 'statcache.bin');
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

  it('drops entries unused for a month when it saves, and keeps those used since', async () => {
    const dir = tempRoot();
    const cache = join(dir, 'statcache.bin');
    const old = await settled(join(dir, 'old'), 'o');
    const recent = await settled(join(dir, 'recent'), 'r');
    const used = await settled(join(dir, 'used'), 'u');
    const now = Date.now();
    const day = 86_400_000;
    const visit = async (files: string[], at: number) => {
      vi.useFakeTimers({ toFake: ['Date'], now: at });
      try {
        const h = await FileHasher.open(cache);
        for (const f of files) await h.hash(f, await st(f));
        await h.save();
      } finally {
        vi.useRealTimers();
      }
    };
    // Days later (the clock goes forward: a file is remembered only once its ctime is past).
    await visit([old, used], now);
    await visit([recent], now + 28 * day);
    // Saved 40 days on (a new file makes it write): `old` was last used 40 days before.
    const fresh = await settled(join(dir, 'fresh'), 'f');
    await visit([used, fresh], now + 40 * day);
    const h = await FileHasher.open(cache);
    for (const f of [old, recent, used, fresh]) await h.hash(f, await st(f));
    expect(h.stats).toEqual({ hits: 3, misses: 1 });
    expect(await h.hash(recent, await st(recent))).toBe(sha256('r'));
  });

  it('a file saved in the first format (JSON) is no cache at all, never a wrong digest', async () => {
    const dir = tempRoot();
    const f = await settled(join(dir, 'a'), 'real content');
    const s = await st(f);
    const cache = join(dir, 'statcache.bin');
    // What version 1 wrote for this very file, with a digest that is not its content's.
    const stamp = `${s.size}:${nanoseconds(s.mtimeSec, s.mtimeNsec)}:${nanoseconds(s.ctimeSec, s.ctimeNsec)}:${s.ino}:${s.mode}`;
    const day = Math.floor(Date.now() / 86_400_000);
    await writeFile(cache, JSON.stringify({ v: 1, entries: { [f]: [stamp, sha256('lie'), day] } }));
    const h = await FileHasher.open(cache);
    expect(await h.hash(f, s)).toBe(sha256('real content'));
    expect(h.stats).toEqual({ hits: 0, misses: 1 });
  });

  it('a file changed after it was saved is a miss; the others still hit', async () => {
    const dir = tempRoot();
    const files = await Promise.all(['a', 'b', 'c'].map((n) => settled(join(dir, n), `${n}\n`)));
    const cache = join(dir, 'statcache.bin');
    const first = await FileHasher.open(cache);
    for (const f of files) await first.hash(f, await st(f));
    await first.save();
    // Same size, same mtime: only ctime (and the content) tell.
    const before = await st(files[1]!);
    await writeFile(files[1]!, 'B\n');
    const ns = String(before.mtimeNsec).padStart(9, '0');
    execFileSync('touch', ['-m', '-d', `@${before.mtimeSec}.${ns}`, files[1]!]);
    const second = await FileHasher.open(cache);
    const digests = [];
    for (const f of files) digests.push(await second.hash(f, await st(f)));
    expect(digests).toEqual([sha256('a\n'), sha256('B\n'), sha256('c\n')]);
    expect(second.stats).toEqual({ hits: 2, misses: 1 });
  });
});

describe('the saved table', () => {
  it('matches a file at any time lstat can give, and nothing one nanosecond or byte off', async () => {
    const dir = tempRoot();
    // Before 1970, one nanosecond before it, the last nanosecond of a second, past 2038,
    // past 2^32 seconds, and ext4's last second (2446).
    const times = [
      '-2147483648.5',
      '-1.5',
      '-0.000000001',
      '0',
      '1700000000.999999999',
      '2147483648.000000001',
      '4294967296.25',
      '15032385535.999999999',
    ];
    const files = times.map((t, i) => {
      const f = join(dir, `f${i}`);
      execFileSync('sh', ['-c', 'printf x > "$1" && touch -m -d "@$2" "$1"', 'sh', f, t]);
      return f;
    });
    await sleep(150);
    const cache = join(dir, 'statcache.bin');
    const first = await FileHasher.open(cache);
    for (const f of files) await first.hash(f, await st(f));
    await first.save();
    const h = await FileHasher.open(cache);
    for (const [i, f] of files.entries()) {
      const s = await st(f);
      expect([times[i], nanoseconds(s.mtimeSec, s.mtimeNsec)]).toEqual([
        times[i],
        lstatSync(f, { bigint: true }).mtimeNs,
      ]);
      expect([times[i], h.cached(f, s)]).toEqual([times[i], sha256('x')]);
      // The same answer the slow way, as for a file whose inode number is past 2^53.
      const exact = { ...s, exact: lstatSync(f, { bigint: true }) };
      expect([times[i], h.cached(f, exact)]).toEqual([times[i], sha256('x')]);
      const off = [
        { mtimeNsec: s.mtimeNsec === 0 ? 1 : s.mtimeNsec - 1 },
        { mtimeSec: s.mtimeSec + 1 },
        { mtimeSec: s.mtimeSec - 65536 },
        { ctimeNsec: (s.ctimeNsec + 1) % 1e9 },
        { ctimeSec: s.ctimeSec - 1 },
        { size: s.size + 1 },
        { size: s.size + 2 ** 32 },
        { ino: s.ino + 1 },
        { ino: s.ino + 2 ** 32 },
        { mode: s.mode ^ 1 },
      ];
      for (const change of off) {
        expect([times[i], change, h.cached(f, { ...s, ...change })]).toEqual([
          times[i],
          change,
          undefined,
        ]);
      }
    }
    expect(h.stats.hits).toBe(2 * times.length);
  });
});

describe('StampWatch', () => {
  it('names the files that changed since they were hashed, gone ones too', async () => {
    const dir = tempRoot();
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((n) => settled(join(dir, n), n)));
    const watch = new StampWatch(await FileHasher.open());
    for (const f of [a!, b!, c!]) await watch.hash(f, await st(f));
    expect(watch.changedSince()).toEqual([]);
    await writeFile(c!, 'C');
    await rm(a!);
    expect(watch.changedSince()).toEqual([a, c]);
  });
});
