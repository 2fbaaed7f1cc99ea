// The stat cache on a 10,000-file / 80 MiB context: open + lstat + hash of every
// file, cold (empty cache) and warm (cache saved by the cold run), beside a
// bare lstat of every file, the floor a warm run cannot beat.
import { lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileHasher } from '../../dist/context/statcache.js';
import { lstatExisting } from '../../dist/util/lstat.js';

const FILES = 10_000;
const dir = mkdtempSync(join(tmpdir(), 'tsbuild-bench-statcache-'));
const paths = [];
for (let d = 0; d < 100; d++) {
  mkdirSync(join(dir, `d${d}`));
  for (let f = 0; f < FILES / 100; f++) {
    const p = join(dir, `d${d}`, `f${f}`);
    writeFileSync(p, Buffer.alloc(8192, (d * 131 + f) % 251));
    paths.push(p);
  }
}
await sleep(200); // older than the racily-clean window, as a real context is

// Synchronous lstats, as the walker makes them (util/lstat.ts, through native/stat.c when
// built): 10,000 promise-based lstats cost 4x more.
async function run(cache) {
  const t0 = performance.now();
  const h = await FileHasher.open(cache);
  const opened = performance.now();
  await Promise.all(paths.map((p) => h.hash(p, lstatExisting(p))));
  const hashed = performance.now();
  await h.save();
  const end = performance.now();
  const ms = (a, b) => (b - a).toFixed(0);
  const parts = `open ${ms(t0, opened)} + stat&hash ${ms(opened, hashed)} + save ${ms(hashed, end)}`;
  return { ms: end - t0, parts, ...h.stats };
}

const cache = join(dir, 'statcache.json');
try {
  const t0 = performance.now();
  for (const p of paths) lstatSync(p, { bigint: true });
  const t1 = performance.now();
  for (const p of paths) lstatExisting(p);
  const t2 = performance.now();
  const cold = await run(cache);
  const warm = await run(cache);
  console.log(
    `lstat only: ${(t1 - t0).toFixed(0)} ms lstatSync, ${(t2 - t1).toFixed(0)} ms util/lstat`,
  );
  console.log(`cold: ${cold.ms.toFixed(0)} ms = ${cold.parts} (${cold.misses} read)`);
  console.log(
    `warm: ${warm.ms.toFixed(0)} ms = ${warm.parts} (${warm.hits} hits, ${warm.misses} read)`,
  );
  console.log(`warm / cold: ${(warm.ms / cold.ms).toFixed(3)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
