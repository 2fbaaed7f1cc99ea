// The build bench's disk and memory figures for tsbuild.
//
// Disk: a scenario's builds are run again, untimed, in a store of their own
// (busybox imported, nothing else), and the store's disk usage after them is
// divided by the unpacked size of what it holds. The store's usage is `du -sB1`:
// allocated blocks, every hardlinked file once. The unpacked size is Docker's
// (what `tsbuild inspect` shows as Size): the bytes of the files of each layer,
// summed over the distinct layers of every image in the store, the busybox base
// layer included. Blocks rounding up small files and directories count against
// tsbuild here, as they would for any store that keeps files unpacked.
//
// Memory: tsbuild's own peak RSS (see build-maxrss.mjs) while it builds a
// 1 GiB layer and while it saves that image.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../dist/api/store.js';
import { layerSize } from '../../dist/api/size.js';

const MiB = 1 << 20;
const mib = (bytes) => (bytes / MiB).toFixed(1);

/** du's bytes of paths together: -B1 for allocated blocks, -b for apparent sizes. */
function du(flag, path) {
  const r = spawnSync('du', ['-s', flag, path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`du ${flag} ${path}: ${r.stderr.trim()}`);
  return Number(r.stdout.split(/\s/)[0]);
}

/** Unpacked bytes of the distinct layers of every image in the store at root. */
async function unpacked(root) {
  const store = await openStore({ root, env: {} });
  const sizes = new Map();
  for (const image of await store.images()) {
    for (const l of (await store.manifest(image)).layers) {
      if (!sizes.has(l.digest)) sizes.set(l.digest, await layerSize(store, l));
    }
  }
  return [...sizes.values()].reduce((a, b) => a + b, 0);
}

/**
 * The store at root measured: { ratio, text }; text says what the store's
 * bytes are (its top-level entries of 1 MiB or more, the rest as "other").
 */
export async function storeFigure(root) {
  const store = du('-B1', root);
  const apparent = du('-b', root);
  const size = await unpacked(root);
  const parts = readdirSync(root).map((name) => ({ name, bytes: du('-B1', join(root, name)) }));
  const big = parts.filter((p) => p.bytes >= MiB).sort((a, b) => b.bytes - a.bytes);
  const other = store - big.reduce((a, p) => a + p.bytes, 0);
  const split = [...big.map((p) => `${p.name}/ ${mib(p.bytes)}`), `other ${mib(other)}`];
  return {
    ratio: store / size,
    text:
      `store ${mib(store)} MiB allocated (${split.join(', ')}) / ${mib(size)} MiB unpacked; ` +
      `apparent sizes: ${mib(apparent)} MiB, ${(apparent / size).toFixed(2)}`,
  };
}

/**
 * Scenario s's builds (s.disk: one { before } per build, default one build) in
 * a new store under work; resolves storeFigure's { ratio, text }. The store is
 * removed after.
 */
export async function diskFigure(s, ts, work, n) {
  const root = await ts.fresh(join(work, `disk-${n}`));
  try {
    for (const b of s.disk ?? [{}]) {
      b.before?.();
      await ts.run(s.ctx, { ...(s.opts ?? {}), cold: false, store: root });
    }
    return await storeFigure(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * tsbuild's peak RSS building ctx (one RUN writing 1 GiB) in a new store, then
 * saving the image to a file; prints both, and the store's disk figure.
 */
export async function peakMemory(ctx, ts, work, target) {
  const root = await ts.fresh(join(work, 'memory'));
  const out = join(work, 'memory.tar');
  try {
    const built = await ts.run(ctx, { noCache: true, store: root, tag: 'bench-1g', peak: true });
    const disk = await storeFigure(root);
    const saved = await ts.cli(['save', '--root', root, '-o', out, 'bench-1g'], { peak: true });
    const line = (what, r) =>
      `peak RSS, 1 GiB layer, ${what}: ${(r.peakKiB / 1024).toFixed(0)} MiB ` +
      `(target < ${target} MiB: ${r.peakKiB / 1024 < target ? 'yes' : 'NO'}; ` +
      `${(r.ms / 1000).toFixed(2)} s)`;
    console.log(line('tsbuild build', built));
    console.log(line('tsbuild save', saved));
    console.log(`  disk after the build: ${disk.ratio.toFixed(2)} = ${disk.text}`);
  } finally {
    rmSync(out, { force: true });
    rmSync(root, { recursive: true, force: true });
  }
}
