// Issue 5's build benchmarks: six scenarios, each built by tsbuild (its CLI,
// `node bin/tsbuild.js build -q`, against dist/), by `docker build` with
// BuildKit and with the classic builder, and by `buildah bud --layers`, in the
// same run, rounds interleaved (every engine builds round r before any builds
// round r+1, each round starting with the next engine) so a noisy moment
// hurts all alike, and `sync` and a 250 ms pause (untimed) before each build
// so no engine pays for the writeback or the daemons' cleanup of the one
// before it.
// Wall time of each process, median of the scenario's rounds (5 for the
// sub-second warm one, 3 for the rest; BENCH_BUILD_N sets them all) for
// tsbuild and BuildKit, whose ratio is held against the target; the
// classic builder and buildah, slower and for reference only, build
// BENCH_BUILD_PEER_N (default 1; 0 skips them) rounds, so the bench stays
// near 6 minutes. Then, for each missed target, one more tsbuild run with
// --progress=json says where its time went (BENCH_BUILD_CPUPROF=1: under
// node --cpu-prof too, with the top functions by self time).
// BENCH_BUILD_ONLY=2,6 measures only those scenarios (1-based, in the
// issue's order), for a quick look at one target.
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
  twentyRuns,
  twoStages,
} from './build-fixtures.mjs';
import { profile } from './build-profile.mjs';

const N = process.env.BENCH_BUILD_N ? Number(process.env.BENCH_BUILD_N) : undefined;
const PEER_N = Number(process.env.BENCH_BUILD_PEER_N ?? 1);
const ONLY = process.env.BENCH_BUILD_ONLY?.split(',').map(Number);
/** Timed rounds of engine e in scenario s. */
const rounds = (s, e) =>
  e.name === 'tsbuild' || e.name === 'BuildKit' ? (N ?? s.n ?? 3) : Math.min(PEER_N, N ?? 3);
/** The context file that scenario 2 changes between rounds. */
const CHANGED = 4242;

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
 * In the order; `order` is the order they run in: cold first, so its
 * last build leaves each engine's cache warm for the warm one.
 */
const scenarios = (ctx) => [
  { order: 2, name: 'warm no-op, 10k files', ctx: ctx.big, target: 0.37, warmup: true, n: 5 },
  {
    order: 3,
    name: 'one file changed',
    ctx: ctx.big,
    target: 0.31,
    before: (round) => changeFile(ctx.big, CHANGED, round),
  },
  { order: 1, name: 'cold, 10k files', ctx: ctx.big, target: 0.39, opts: { cold: true } },
  { order: 4, name: 'twenty 1-line RUNs', ctx: ctx.twenty, target: 0.48, opts: { noCache: true } },
  { order: 5, name: 'two 2 s stages', ctx: ctx.stages, target: 0.96, opts: { noCache: true } },
  { order: 6, name: 'RUN writes 512 MiB', ctx: ctx.write, target: 0.49, opts: { noCache: true } },
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

/** rows: { s, t: Map engine name → median ms } */
function table(rows) {
  const head = ['scenario', 'tsbuild', 'BuildKit', 'classic', 'buildah', 'ratio', 'target', 'met?'];
  const lines = rows.map(({ s, t }) => {
    const ratio =
      t.get('tsbuild') !== undefined && t.get('BuildKit')
        ? t.get('tsbuild') / t.get('BuildKit')
        : undefined;
    const met = ratio === undefined ? '—' : ratio <= s.target ? 'yes' : 'NO';
    const cells = ['tsbuild', 'BuildKit', 'classic', 'buildah'].map((n) => secs(t.get(n)));
    return [s.name, ...cells, ratio === undefined ? '—' : ratio.toFixed(2), `≤ ${s.target}`, met];
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
  };
  await setupEngines(tar);
  const list = scenarios(ctx).filter((_, i) => !ONLY || ONLY.includes(i + 1));
  const runs = new Map();
  const t0 = Date.now();
  for (const s of [...list].sort((a, b) => a.order - b.order)) {
    runs.set(s, await measure(s));
    console.error(`build bench: "${s.name}" done at ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  const medians = (t) =>
    new Map([...t].map(([name, ms]) => [name, ms?.length ? median(ms) : undefined]));
  const rows = list.map((s) => ({ s, t: medians(runs.get(s)) }));
  console.log(
    `wall seconds, median of ${N ?? '3 (warm: 5)'} runs (classic, buildah: ${Math.min(PEER_N, N ?? 3)}); cold = a new tsbuild store, docker --no-cache after ` +
      '`docker builder prune -af`, buildah --no-cache; scenarios 4–6 --no-cache for all; ' +
      'the 512 MiB are /dev/zero',
  );
  table(rows);
  console.log('every timed run, in seconds (the spread says how far to trust a median):');
  for (const s of list) {
    const each = [...runs.get(s)].map(
      ([name, ms]) => `${name} ${ms ? ms.map(secs).join(' ') || 'not run' : 'failed'}`,
    );
    console.log(`  ${s.name}: ${each.join(' · ')}`);
  }
  const missed = rows.filter(
    ({ s, t }) => t.get('BuildKit') && t.get('tsbuild') / t.get('BuildKit') > s.target,
  );
  const ts = ready.find((e) => e.name === 'tsbuild');
  for (const { s } of missed) {
    s.before?.(1000); // one more change, for scenario 2
    await profile(s, ts, work).catch((e) => console.log(`${s.name}: no profile (${firstLine(e)})`));
  }
} finally {
  await cleanup();
  // run.mjs imports the other benches into this process next.
  for (const sig of ['SIGINT', 'SIGTERM']) process.off(sig, interrupted);
}
