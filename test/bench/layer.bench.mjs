// Layer throughput on a generated tree of ~1 GiB (BENCH_LAYER_MB to change it):
// 50k small files of 1–16 KiB (scaled with the size) plus a few large ones, all
// random, so gzip works as hard as on real binaries. Prints MB/s for
// tar+sha256, tar+sha256+gzip, apply, and sha256sum / GNU tar on the same data
// as yardsticks, then the process's peak RSS (flat memory: it should not grow
// with BENCH_LAYER_MB).
import { execFileSync, execSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { applyLayer } from '../../dist/layer/apply.js';
import { gzipStream } from '../../dist/layer/compress.js';
import { tarDirectory } from '../../dist/layer/writer.js';
import { DigestStream } from '../../dist/util/digest.js';

const MiB = 1 << 20;
const totalMiB = Number(process.env.BENCH_LAYER_MB ?? 1024);
const smallCount = Math.round((50_000 * totalMiB) / 1024);

function generate(root) {
  let bytes = 0;
  const buf = Buffer.allocUnsafe(16 * 1024);
  for (let i = 0; i < smallCount; i++) {
    const dir = join(root, 'small', String(Math.floor(i / 100)));
    if (i % 100 === 0) mkdirSync(dir, { recursive: true });
    const size = 1024 + Math.floor(Math.random() * 15 * 1024);
    writeFileSync(join(dir, `f${i}`), randomFillSync(buf, 0, size).subarray(0, size));
    bytes += size;
  }
  const rest = Math.max(0, totalMiB * MiB - bytes);
  const large = Math.max(1, Math.ceil(rest / (256 * MiB)));
  mkdirSync(join(root, 'large'));
  const chunk = Buffer.allocUnsafe(8 * MiB);
  for (let f = 0; f < large; f++) {
    let left = Math.floor(rest / large);
    const path = join(root, 'large', `blob${f}`);
    writeFileSync(path, '');
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      writeFileSync(path, randomFillSync(chunk).subarray(0, n), { flag: 'a' });
      left -= n;
    }
  }
  return { files: smallCount + large };
}

const nullSink = () => new Writable({ write: (_c, _e, done) => done() });

const peakMiB = () => (process.resourceUsage().maxRSS / 1024).toFixed(0);

async function timed(fn) {
  globalThis.gc?.();
  const t0 = process.hrtime.bigint();
  const out = await fn();
  return { s: Number(process.hrtime.bigint() - t0) / 1e9, out, peak: peakMiB() };
}

function shellSeconds(cmd) {
  const t0 = process.hrtime.bigint();
  execSync(cmd, { stdio: ['ignore', 'ignore', 'inherit'], shell: '/bin/bash' });
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const work = mkdtempSync(join(tmpdir(), 'tsbuild-layer-bench-'));
try {
  const tree = join(work, 'tree');
  const gen = await timed(() => generate(tree));
  const genPeak = peakMiB();
  execFileSync('sync');
  const tarFile = join(work, 'layer.tar');

  const tar = await timed(async () => {
    const digest = new DigestStream();
    await pipeline(tarDirectory(tree), digest, nullSink());
    return digest;
  });
  const size = tar.out.size;
  const gz = await timed(async () => {
    const digest = new DigestStream();
    const gzDigest = new DigestStream();
    await pipeline(tarDirectory(tree), digest, gzipStream(), gzDigest, nullSink());
    return gzDigest.size;
  });
  await pipeline(tarDirectory(tree), createWriteStream(tarFile));
  execFileSync('sync'); // start the write-heavy phases with no writeback pending
  const dest = join(work, 'applied');
  mkdirSync(dest);
  const apply = await timed(() =>
    applyLayer(dest, createReadStream(tarFile, { highWaterMark: MiB })),
  );
  const sum = shellSeconds(`sha256sum ${tarFile}`);
  const gnuTar = shellSeconds(`tar -C ${tree} -cf - . | sha256sum`);
  const gnuDest = join(work, 'gnu-applied');
  mkdirSync(gnuDest);
  execFileSync('sync');
  const gnuExtract = shellSeconds(`tar -C ${gnuDest} -xf ${tarFile}`);
  const gzipCli = shellSeconds(`gzip -6 -c ${tarFile} > /dev/null`);

  const mbs = (s) => (size / MiB / s).toFixed(0).padStart(6);
  console.log(
    `tree: ${gen.out.files} files, tar ${(size / MiB).toFixed(0)} MiB (generated in ${gen.s.toFixed(1)} s; peak RSS ${genPeak} MiB)`,
  );
  console.log(
    `tar + sha256            ${mbs(tar.s)} MB/s  (${tar.s.toFixed(2)} s; peak RSS so far ${tar.peak} MiB)`,
  );
  console.log(
    `tar + sha256 + gzip     ${mbs(gz.s)} MB/s  (${gz.s.toFixed(2)} s, ${(gz.out / MiB).toFixed(0)} MiB out; peak RSS so far ${gz.peak} MiB)`,
  );
  console.log(
    `apply from file         ${mbs(apply.s)} MB/s  (${apply.s.toFixed(2)} s, ${apply.out.entries} entries; peak RSS so far ${apply.peak} MiB)`,
  );
  console.log(`sha256sum of the tar    ${mbs(sum)} MB/s  (${sum.toFixed(2)} s)`);
  console.log(`GNU tar -c | sha256sum  ${mbs(gnuTar)} MB/s  (${gnuTar.toFixed(2)} s)`);
  console.log(`GNU tar -x              ${mbs(gnuExtract)} MB/s  (${gnuExtract.toFixed(2)} s)`);
  console.log(`gzip -6 of the tar      ${mbs(gzipCli)} MB/s  (${gzipCli.toFixed(2)} s)`);
  console.log(
    `tar+sha256 vs sha256sum: ${(sum / tar.s).toFixed(2)}x; apply vs GNU tar -x: ${(gnuExtract / apply.s).toFixed(2)}x`,
  );
  console.log(
    `tar file ${statSync(tarFile).size === size ? 'matches' : 'DIFFERS from'} the streamed size`,
  );
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
