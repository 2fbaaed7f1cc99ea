// Snapshotter overhead per RUN step and diff throughput, for the overlayfs and
// copy snapshotters (needs root; overlay skipped where it does not work).
// 1. prepare + diff + release over a parent of 5 layers (200 small files each,
//    BENCH_SNAPSHOT_FILES to change it), with no process run (the runner's own
//    cost comes on top): median and p90 of BENCH_SNAPSHOT_RUNS (default 30).
// 2. A "RUN" that writes BENCH_SNAPSHOT_MB (default 512) MiB into the rootfs:
//    diff + layer digest throughput in MB/s, and the process's peak RSS.
import { randomFillSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CopySnapshotter,
  OverlaySnapshotter,
  overlaySupported,
} from '../../dist/runtime/snapshot/index.js';
import { DigestStream } from '../../dist/util/digest.js';

const MiB = 1 << 20;
const files = Number(process.env.BENCH_SNAPSHOT_FILES ?? 200);
const runs = Number(process.env.BENCH_SNAPSHOT_RUNS ?? 30);
const writeMiB = Number(process.env.BENCH_SNAPSHOT_MB ?? 512);

const nullSink = () => new Writable({ write: (_c, _e, done) => done() });
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

function makeLowers(root) {
  const buf = Buffer.alloc(4096, 7);
  return Array.from({ length: 5 }, (_, l) => {
    const dir = join(root, `layer${l}`);
    for (let i = 0; i < files; i++) {
      const sub = join(dir, `d${i % 10}`);
      if (i < 10) mkdirSync(sub, { recursive: true });
      writeFileSync(join(sub, `f${l}-${i}`), buf.subarray(0, 100 + ((i * 37) % 4000)));
    }
    return dir;
  });
}

async function digestOf(stream) {
  const digest = new DigestStream();
  await pipeline(stream, digest, nullSink());
  return digest;
}

async function overhead(snapshotter, lowers, workRoot) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const snap = await snapshotter.prepare(lowers, { workRoot });
    try {
      writeFileSync(join(snap.rootfs, 'ran'), 'x');
      await digestOf(snap.diff());
    } finally {
      await snap.release();
    }
    times.push(ms(t0));
  }
  times.sort((a, b) => a - b);
  return { median: pct(times, 0.5), p90: pct(times, 0.9) };
}

async function throughput(snapshotter, lowers, workRoot) {
  const snap = await snapshotter.prepare(lowers, { workRoot });
  try {
    const chunk = randomFillSync(Buffer.allocUnsafe(8 * MiB));
    const per = 64;
    for (let f = 0; f < Math.ceil(writeMiB / per); f++) {
      const path = join(snap.rootfs, `big${f}`);
      writeFileSync(path, '');
      for (let m = 0; m < per; m += 8) writeFileSync(path, chunk, { flag: 'a' });
    }
    globalThis.gc?.();
    const t0 = process.hrtime.bigint();
    const digest = await digestOf(snap.diff());
    const s = ms(t0) / 1000;
    return { mbs: digest.size / MiB / s, peak: process.resourceUsage().maxRSS / 1024 };
  } finally {
    await snap.release();
  }
}

const work = mkdtempSync(join(tmpdir(), 'tsbuild-snapshot-bench-'));
try {
  const lowers = makeLowers(join(work, 'lowers'));
  const workRoot = join(work, 'snapshots');
  const kinds = [new CopySnapshotter()];
  if (await overlaySupported(workRoot)) kinds.unshift(new OverlaySnapshotter());
  else console.log('overlayfs not available here: overlay skipped');
  for (const s of kinds) {
    const o = await overhead(s, lowers, workRoot);
    console.log(
      `${s.kind.padEnd(8)} prepare+diff+release, 5 layers × ${files} files: ` +
        `median ${o.median.toFixed(1)} ms, p90 ${o.p90.toFixed(1)} ms (${runs} runs)`,
    );
  }
  for (const s of kinds) {
    const t = await throughput(s, lowers, workRoot);
    console.log(
      `${s.kind.padEnd(8)} diff+digest of a ${writeMiB} MiB RUN: ${t.mbs.toFixed(0)} MB/s, ` +
        `peak RSS ${t.peak.toFixed(0)} MiB`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
