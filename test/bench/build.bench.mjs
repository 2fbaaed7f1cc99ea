// Issue 15's build benchmarks: six scenarios, each built by tsbuild (its CLI,
// `node bin/tsbuild.js build -q`, against dist/), by `docker build` with
// BuildKit and with the classic builder, and by `buildah bud --layers` when
// buildah is installed, in the same run, rounds interleaved (every engine
// builds round r before any builds round r+1, each round starting with the
// next engine) so a noisy moment hurts all alike, and `sync` and a 250 ms
// pause (untimed) before each build so no engine pays for the writeback or
// the daemons' cleanup of the one before it.
// Wall time of each process, median of the scenario's rounds (5 for the fast
// ones: warm no-op, one file changed, twenty RUNs; 3 for the rest;
// BENCH_BUILD_N sets them all) for tsbuild and BuildKit, whose ratio is held
// against the issue's target; the classic builder and buildah, slower and for
// reference only, build BENCH_BUILD_PEER_N (default 1; 0 skips them) rounds.
// Then, untimed, each scenario's builds again in a store of their own, for
// the disk figure (store bytes / unpacked bytes, target <= 1.1; see
// build-disk.mjs), and tsbuild's peak RSS building and saving a 1 GiB layer
// (target < 200 MiB). For the warm no-op, the machine's floor: node starting
// and doing nothing, and node starting and lstat-ing the context. Then, for
// each missed time target, one more tsbuild run with --progress=json says
// where its time went (BENCH_BUILD_CPUPROF=1: under node --cpu-prof too, with
// the top functions by self time).
// BENCH_BUILD_ONLY=2,6 measures only those scenarios (1-based, in the
// issue's order; 7 is the 1 GiB memory figure), for a quick look at one
// target. The docker engine is DOCKER_HOST's, else /var/run/docker.sock's,
// else a private dockerd the bench starts (build-dockerd.mjs).
// Everything lives under one /tmp dir that is removed at the end, with the
// private dockerd (if the bench started one) stopped.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout } from 'node:timers';
import { buildah, docker, tsbuild } from './build-engines.mjs';
import { dockerEngine } from './build-dockerd.mjs';
import {
  bigContext,
  bigWrite,
  busyboxTar,
  changeFile,
  oneGiB,
  twentyRuns,
  twoStages,
} from './build-fixtures.mjs';
import { diskFigure, peakMemory } from './build-disk.mjs';
import { floor } from './build-floor.mjs';
import { profile } from './build-profile.mjs';

const N = process.env.BENCH_BUILD_N ? Number(process.env.BENCH_BUILD_N) : undefined;
const PEER_N = Number(process.env.BENCH_BUILD_PEER_N ?? 1);
const ONLY = process.env.BENCH_BUILD_ONLY?.split(',').map(Number);
/** Timed rounds of engine e in scenario s. */
const rounds = (s, e) =>
  e.name === 'tsbuild' || e.name === 'BuildKit' ? (N ?? s.n ?? 3) : Math.min(PEER_N, N ?? 3);
/** The context file that scenario 2 changes between rounds. */
const CHANGED = 4242;
/** The disk target: store bytes / unpacked bytes of what it holds. */
const DISK_TARGET = 1.1;
/** The peak RSS target for a 1 GiB layer, MiB. */
const RSS_TARGET = 200;
/** BENCH_BUILD_ONLY's number for the memory figure. */
const MEMORY = 7;

/** Literal /tmp, not os.tmpdir(): dockerd's socket path must stay under 108 bytes. */
const work = mkdtempSync('/tmp/tsbuild-bb-');
let daemon;
let ready = [];
let cleaned = false;
/** Engines' teardown, the private dockerd stopped, anything still mounted under work unmounted, work removed. */
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const e of ready) await e.teardown().catch(() => {});
  await daemon?.stop?.();
  const mounts = spawnSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' }).stdout ?? '';
  for (const t of mounts
    .split('\n')
    .filter((m) => m.startsWith(`${work}/`))
    .sort()
    .reverse()) {
    spawnSync('umount', ['-l', t], { stdio: 'ignore' });
  }
  rmSync(work, { recursive: true, force: true });
}
const interrupted = () => void cleanup().finally(() => process.exit(130));
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, interrupted);

/**
 * In the issue's order; `order` is the order they run in: cold first, so its
 * last build leaves each engine's cache warm for the warm one. n: timed rounds
 * (default 3); disk: the builds the disk figure makes in its own store, each
 * after its `before` (default: one build).
 */
const scenarios = (ctx) => [
  {
    order: 2,
    name: 'warm no-op, 10k files',
    ctx: ctx.big,
    target: 0.5,
    warmup: true,
    n: 5,
    disk: [{}, {}],
  },
  {
    order: 3,
    name: 'one file changed',
    ctx: ctx.big,
    target: 0.5,
    n: 5,
    before: (round) => changeFile(ctx.big, CHANGED, round),
    disk: [{}, { before: () => changeFile(ctx.big, CHANGED, 2000) }],
  },
  { order: 1, name: 'cold, 10k files', ctx: ctx.big, target: 0.6, opts: { cold: true } },
  {
    order: 4,
    name: 'twenty 1-line RUNs',
    ctx: ctx.twenty,
    target: 0.6,
    n: 5,
    opts: { noCache: true },
  },
  { order: 5, name: 'two 2 s stages', ctx: ctx.stages, target: 0.95, opts: { noCache: true } },
  { order: 6, name: 'RUN writes 512 MiB', ctx: ctx.write, target: 0.7, opts: { noCache: true } },
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const secs = (ms) => (ms === undefined ? '—' : (ms / 1000).toFixed(2));
const settle = () => new Promise((r) => setTimeout(r, 250));
const firstLine = (e) => e.message.split('\n').find((l) => l.trim() !== '') ?? String(e);

/** Fills `ready` with every engine that sets up here; prints why any other is left out. */
async function setupEngines(tar) {
  const all = [tsbuild(work)];
  mkdirSync(join(work, 'd'));
  daemon = await dockerEngine(join(work, 'd'));
  if (daemon.host) {
    if (!daemon.private)
      console.log(`docker: the engine at ${daemon.host} (its BuildKit cache is pruned)`);
    all.push(docker(daemon, 'buildkit', work), docker(daemon, 'classic', work));
  } else console.log(`docker: not measured (${daemon.reason})`);
  const b = buildah(work);
  if (b) all.push(b);
  else console.log('buildah: not installed, not measured');
  for (const e of all) {
    try {
      ready.push(e); // before setup: an interrupted setup is torn down too
      await e.setup(tar);
    } catch (err) {
      ready.pop();
      await e.teardown().catch(() => {});
      console.log(`${e.name}: not measured (${firstLine(err)})`);
    }
  }
}

/** Engine name → the wall ms of its timed builds (undefined where one failed). */
async function measure(s) {
  const times = new Map(ready.map((e) => [e.name, []]));
  const failed = new Set();
  const once = async (e, round) => {
    if (failed.has(e.name) || round >= rounds(s, e)) return;
    spawnSync('sync');
    await settle(); // what the daemons do after a build (gc, unmounts) lands before the next one starts
    try {
      const ms = await e.build(s.ctx, s.opts ?? {});
      if (round >= 0) times.get(e.name).push(ms);
    } catch (err) {
      failed.add(e.name);
      console.log(
        `${s.name}: ${e.name} failed: ${err.message.split('\n').slice(0, 4).join(' | ')}`,
      );
    }
  };
  if (s.warmup) for (const e of ready.filter((x) => rounds(s, x) > 0)) await once(e, -1);
  const most = Math.max(...ready.map((e) => rounds(s, e)));
  for (let round = 0; round < most; round++) {
    s.before?.(round);
    // Each round starts with the next engine, so none always follows the same one.
    const order = ready.map((_, i) => ready[(i + round) % ready.length]);
    for (const e of order) await once(e, round);
  }
  return new Map(ready.map((e) => [e.name, failed.has(e.name) ? undefined : times.get(e.name)]));
}

/** rows: { s, t: Map engine name → median ms, disk: storeFigure's { ratio } } */
function table(rows) {
  const head = ['scenario', 'tsbuild', 'BuildKit', 'classic', 'buildah', 'ratio', 'target', 'met?'];
  head.push('store/unpacked', 'met?');
  const lines = rows.map(({ s, t, disk }) => {
    const ratio =
      t.get('tsbuild') !== undefined && t.get('BuildKit')
        ? t.get('tsbuild') / t.get('BuildKit')
        : undefined;
    const met = ratio === undefined ? '—' : ratio <= s.target ? 'yes' : 'NO';
    const cells = ['tsbuild', 'BuildKit', 'classic', 'buildah'].map((n) => secs(t.get(n)));
    const d = disk?.ratio;
    return [
      s.name,
      ...cells,
      ratio === undefined ? '—' : ratio.toFixed(2),
      `≤ ${s.target.toFixed(2)}`,
      met,
      d === undefined ? '—' : `${d.toFixed(2)} (≤ ${DISK_TARGET})`,
      d === undefined ? '—' : d <= DISK_TARGET ? 'yes' : 'NO',
    ];
  });
  const width = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join(' | ')} |`;
  console.log(row(head));
  console.log(
    `|${width.map((w, i) => (i === 0 ? ':' : '-') + '-'.repeat(w) + (i === 0 ? '-' : ':')).join('|')}|`,
  );
  for (const l of lines) console.log(row(l));
}

try {
  const tar = await busyboxTar(work);
  const ctx = {
    big: bigContext(join(work, 'ctx-big')),
    twenty: twentyRuns(join(work, 'ctx-twenty')),
    stages: twoStages(join(work, 'ctx-stages')),
    write: bigWrite(join(work, 'ctx-write')),
    gib: oneGiB(join(work, 'ctx-1g')),
  };
  await setupEngines(tar);
  const list = scenarios(ctx).filter((_, i) => !ONLY || ONLY.includes(i + 1));
  const runs = new Map();
  const t0 = Date.now();
  const progress = (what) =>
    console.error(`build bench: ${what} done at ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  for (const s of [...list].sort((a, b) => a.order - b.order)) {
    runs.set(s, await measure(s));
    progress(`"${s.name}"`);
  }
  const ts = ready.find((e) => e.name === 'tsbuild');
  const disks = new Map();
  for (const [i, s] of list.entries()) {
    if (!ts) break;
    disks.set(s, await diskFigure(s, ts, work, i).catch((e) => ({ error: firstLine(e) })));
  }
  if (list.length) progress('disk figures');
  const warm = list.find((s) => s.warmup);
  const warmFloor = warm && (await floor(warm.ctx, N ?? warm.n));
  const medians = (t) =>
    new Map([...t].map(([name, ms]) => [name, ms?.length ? median(ms) : undefined]));
  const rows = list.map((s) => ({ s, t: medians(runs.get(s)), disk: disks.get(s) }));
  const peers = Math.min(PEER_N, N ?? 3);
  if (list.length) {
    console.log(
      `wall seconds, median of ${N ?? '5 (warm no-op, one file changed, twenty RUNs) or 3 (the rest)'} ` +
        `runs (classic, buildah: ${peers}; — = not installed or not run); cold = a new tsbuild store, ` +
        'docker --no-cache on a copy of the context at a new path, buildah --no-cache, nothing ' +
        'deleted before the bench ends (build-engines.mjs FRESH_INODES); scenarios 4–6 ' +
        '--no-cache for all; the 512 MiB are /dev/zero. ratio = tsbuild / BuildKit.',
    );
    console.log(
      `store/unpacked: tsbuild's store after that scenario's builds, run again untimed in a store ` +
        'of their own (busybox imported, nothing else), `du -sB1` (allocated blocks, hardlinks once), ' +
        "over the unpacked size of the distinct layers of every image in it (Docker's Size: file " +
        'bytes), the busybox base layer in both.',
    );
    table(rows);
    console.log('every timed run, in seconds (the spread says how far to trust a median):');
    for (const s of list) {
      const each = [...runs.get(s)].map(
        ([name, ms]) => `${name} ${ms ? ms.map(secs).join(' ') || 'not run' : 'failed'}`,
      );
      console.log(`  ${s.name}: ${each.join(' · ')}`);
    }
    console.log(
      "tsbuild's store after each scenario, in MiB (snapshots/ are the layers unpacked: over " +
        'the unpacked size they show what blocks cost on this filesystem; the ratio of apparent ' +
        'sizes leaves blocks out):',
    );
    for (const s of list) {
      const d = disks.get(s);
      console.log(`  ${s.name}: ${d ? (d.error ?? `${d.ratio.toFixed(2)} = ${d.text}`) : '—'}`);
    }
  }
  if (warmFloor) {
    const t = rows.find((r) => r.s === warm).t;
    const bk = t.get('BuildKit');
    const ofBk = bk ? ` (${(warmFloor.walk / bk).toFixed(2)} of BuildKit's ${secs(bk)} s)` : '';
    console.log(
      `floor of this machine, warm no-op (median of ${warmFloor.n}): node -e 0 ` +
        `${secs(warmFloor.node)} s; node + lstat of the context's ${warmFloor.entries} entries ` +
        `${secs(warmFloor.walk)} s${ofBk}; tsbuild ${secs(t.get('tsbuild'))} s`,
    );
  }
  const stages = rows.find((r) => r.s.name === 'two 2 s stages');
  if (warmFloor && stages?.t.get('BuildKit')) {
    // The stages sleep 2 s side by side: no engine can finish before node has
    // started and 2 s have passed.
    const least = warmFloor.node + 2000;
    const bk = stages.t.get('BuildKit');
    console.log(
      `floor of this machine, two 2 s stages: node -e 0 + 2 s = ${secs(least)} s ` +
        `(${(least / bk).toFixed(2)} of BuildKit's ${secs(bk)} s); tsbuild ${secs(stages.t.get('tsbuild'))} s`,
    );
  }
  if (ts && (!ONLY || ONLY.includes(MEMORY))) {
    await peakMemory(ctx.gib, ts, work, RSS_TARGET).catch((e) =>
      console.log(`peak RSS, 1 GiB layer: not measured (${firstLine(e)})`),
    );
  }
  const missed = rows.filter(
    ({ s, t }) => t.get('BuildKit') && t.get('tsbuild') / t.get('BuildKit') > s.target,
  );
  for (const { s } of missed) {
    // Scenario 2's disk builds changed the context since the store's last build.
    if (s.warmup) await ts.build(s.ctx, s.opts ?? {});
    s.before?.(1000); // one more change, for scenario 2
    await profile(s, ts, work).catch((e) => console.log(`${s.name}: no profile (${firstLine(e)})`));
  }
} finally {
  await cleanup();
  // run.mjs imports the other benches into this process next.
  for (const sig of ['SIGINT', 'SIGTERM']) process.off(sig, interrupted);
}
