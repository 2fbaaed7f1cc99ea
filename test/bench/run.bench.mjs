// Per-RUN overhead with a real process (needs root): `true` over a parent of
// busybox + 5 small layers, prepare + run + diff (through sha256) + release,
// on the overlay snapshotter, for each runner found (runc, crun, and the
// built-in sandbox when src/runtime/run exports one). Median and p90 of
// BENCH_RUN_N (default 20) runs after 2 warm-ups.
// Beside it, the same step through `docker build` (classic builder, 20 lines
// `RUN true`, --no-cache, total / 20) when an engine answers on DOCKER_HOST or
// /var/run/docker.sock, and `buildah bud` when installed; the issue's target is
// half of the faster of the two.
// Then a RUN that writes BENCH_RUN_MB (default 512) MiB: diff + sha256 MB/s
// and this process's peak RSS.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as run from '../../dist/runtime/run/index.js';
import { OverlaySnapshotter, overlaySupported } from '../../dist/runtime/snapshot/index.js';
import { tarDirectory } from '../../dist/layer/writer.js';
import { DigestStream } from '../../dist/util/digest.js';

const MiB = 1 << 20;
const N = Number(process.env.BENCH_RUN_N ?? 20);
const WARMUP = 2;
const writeMiB = Number(process.env.BENCH_RUN_MB ?? 512);
const DOCKER_STEPS = 20;
/** The issue's figures on the reference machine, when neither engine can be measured here. */
const ISSUE_FIGURES = { docker: 270, buildah: 330 };

const nullSink = () => new Writable({ write: (_c, _e, done) => done() });
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const spec = (args) => ({ args, env: [], cwd: '/', user: '', network: 'none' });
const io = () => ({ stdout: nullSink(), stderr: process.stderr });

/** Busybox with its applets as symlinks, and the files a RUN expects. */
function busyboxLower(dir) {
  for (const d of ['bin', 'dev', 'etc', 'proc', 'sys', 'root', 'tmp']) {
    mkdirSync(join(dir, d), { recursive: true, mode: 0o755 });
  }
  copyFileSync('/bin/busybox', join(dir, 'bin/busybox'));
  execFileSync('chmod', ['0755', join(dir, 'bin/busybox')]);
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n');
  for (const a of applets.filter((x) => x !== '' && x !== 'busybox')) {
    execFileSync('ln', ['-s', 'busybox', join(dir, 'bin', a)]);
  }
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\n');
  return dir;
}

function smallLowers(root) {
  const buf = Buffer.alloc(4096, 7);
  return Array.from({ length: 5 }, (_, l) => {
    const dir = join(root, `layer${l}`);
    for (let i = 0; i < 100; i++) {
      const sub = join(dir, `d${i % 10}`);
      if (i < 10) mkdirSync(sub, { recursive: true });
      writeFileSync(join(sub, `f${l}-${i}`), buf.subarray(0, 100 + ((i * 37) % 4000)));
    }
    return dir;
  });
}

/** Runner name → instance, for those that exist here. */
async function runners() {
  const out = [];
  for (const kind of ['runc', 'crun']) {
    try {
      out.push([kind, new run.OciRunner(run.findRuntime(kind))]);
    } catch {
      console.log(`${kind}: not installed`);
    }
  }
  try {
    if (typeof run.BuiltinRunner === 'function') out.push(['builtin', new run.BuiltinRunner()]);
    else if (typeof run.pickRunner === 'function')
      out.push(['builtin', await run.pickRunner('builtin')]);
    else console.log('builtin: not exported by dist/runtime/run/index.js yet');
  } catch (e) {
    console.log(`builtin: not available (${e.message})`);
  }
  return out;
}

async function oneRun(runner, lowers, workRoot, args) {
  const snap = await new OverlaySnapshotter().prepare(lowers, { workRoot, exclude: isEtcBind });
  try {
    const code = await runner.run(snap.rootfs, spec(args), io(), { workRoot });
    if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}`);
    const digest = new DigestStream();
    await pipeline(snap.diff(), digest, nullSink());
    return digest;
  } finally {
    await snap.release();
  }
}

function isEtcBind(p) {
  return p === 'etc/hosts' || p === 'etc/resolv.conf' || p === 'etc/hostname';
}

async function overhead(runner, lowers, workRoot) {
  const times = [];
  let size = 0;
  for (let i = 0; i < WARMUP + N; i++) {
    const t0 = process.hrtime.bigint();
    size = (await oneRun(runner, lowers, workRoot, ['true'])).size;
    if (i >= WARMUP) times.push(ms(t0));
  }
  times.sort((a, b) => a - b);
  return { median: pct(times, 0.5), p90: pct(times, 0.9), size };
}

function dockerHost() {
  if (process.env.DOCKER_HOST) return process.env.DOCKER_HOST;
  if (existsSync('/var/run/docker.sock')) return 'unix:///var/run/docker.sock';
  return undefined;
}

/** Run a command, its stdin from `input`; resolves when it exits 0. */
function sh(file, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(file, args, { stdio: ['pipe', 'ignore', 'pipe'], ...opts });
    let err = '';
    p.stderr.on('data', (c) => (err += c));
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${file} ${args[0]}: ${err.trim()}`)),
    );
    if (opts.input) pipeline(opts.input, p.stdin).catch(reject);
    else p.stdin.end(opts.text ?? '');
  });
}

/** ms per `RUN true` step of the classic docker builder, or undefined. */
async function dockerStep(busybox, work) {
  const host = dockerHost();
  if (host === undefined)
    return console.log('docker: not measured (no DOCKER_HOST, no /var/run/docker.sock)');
  // Debian's 20.10 client matches the daemon the tests start (test/helpers/docker-cli.ts).
  const cli = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
  const env = { ...process.env, DOCKER_HOST: host, DOCKER_BUILDKIT: '0' };
  const image = 'tsbuild-bench-busybox:latest';
  try {
    await sh(cli, ['import', '-', image], { env, input: tarDirectory(busybox) });
    const ctx = join(work, 'docker-ctx');
    mkdirSync(ctx);
    const lines = Array.from({ length: DOCKER_STEPS }, (_, i) => `RUN true #${i}`);
    writeFileSync(join(ctx, 'Dockerfile'), [`FROM ${image}`, ...lines, ''].join('\n'));
    const build = () =>
      sh(cli, ['build', '--network=none', '--no-cache', '--rm', '-q', ctx], { env });
    await build(); // warm-up
    const t0 = process.hrtime.bigint();
    await build();
    const step = ms(t0) / DOCKER_STEPS;
    console.log(
      `docker classic: ${step.toFixed(1)} ms a RUN step (${DOCKER_STEPS} steps, --no-cache)`,
    );
    return step;
  } catch (e) {
    console.log(`docker: not measured (${e.message.split('\n')[0]})`);
    return undefined;
  } finally {
    spawnSync(cli, ['image', 'prune', '-f'], { env, stdio: 'ignore' });
    spawnSync(cli, ['rmi', '-f', image], { env, stdio: 'ignore' });
  }
}

/**
 * ms per `RUN true` step of `buildah bud --layers` (a commit per step, as
 * docker classic), or undefined. Its own storage under `work`; runc, since
 * crun 1.8 refuses this host's hybrid cgroups (see src/runtime/run/cgroups.ts).
 */
async function buildahStep(busybox, work) {
  const found = spawnSync('sh', ['-c', 'command -v buildah'], { encoding: 'utf8' });
  if (found.status !== 0) return console.log('buildah: not installed, not measured');
  const root = join(work, 'buildah');
  const global = [
    '--root',
    join(root, 'root'),
    '--runroot',
    join(root, 'run'),
    '--storage-driver',
    'overlay',
  ];
  const runtime = spawnSync('sh', ['-c', 'command -v runc'], { encoding: 'utf8' }).stdout.trim();
  const bud = [
    'bud',
    '--isolation',
    'oci',
    '--network',
    'none',
    ...(runtime ? ['--runtime', runtime] : []),
  ];
  try {
    const base = join(root, 'base');
    mkdirSync(base, { recursive: true });
    await pipeline(tarDirectory(busybox), createWriteStream(join(base, 'rootfs.tar')));
    writeFileSync(join(base, 'Dockerfile'), 'FROM scratch\nADD rootfs.tar /\n');
    await sh('buildah', [...global, ...bud, '-q', '-t', 'bench-busybox', base]);
    const ctx = join(root, 'ctx');
    mkdirSync(ctx);
    const lines = Array.from({ length: DOCKER_STEPS }, (_, i) => `RUN true #${i}`);
    writeFileSync(join(ctx, 'Dockerfile'), ['FROM bench-busybox', ...lines, ''].join('\n'));
    const build = () => sh('buildah', [...global, ...bud, '--layers', '--no-cache', '-q', ctx]);
    await build(); // warm-up
    const t0 = process.hrtime.bigint();
    await build();
    const step = ms(t0) / DOCKER_STEPS;
    console.log(
      `buildah bud --layers: ${step.toFixed(1)} ms a RUN step (${DOCKER_STEPS} steps, --no-cache)`,
    );
    return step;
  } catch (e) {
    console.log(`buildah: not measured (${e.message.split('\n')[0]})`);
    return undefined;
  } finally {
    spawnSync('buildah', [...global, 'rm', '--all'], { stdio: 'ignore' });
    spawnSync('buildah', [...global, 'rmi', '--all', '--force'], { stdio: 'ignore' });
    spawnSync('umount', ['-R', join(root, 'root', 'overlay')], { stdio: 'ignore' });
  }
}

async function throughput(runner, lowers, workRoot) {
  const snap = await new OverlaySnapshotter().prepare(lowers, { workRoot, exclude: isEtcBind });
  try {
    const dd = `dd if=/dev/urandom of=/big bs=1M count=${writeMiB} 2>/dev/null`;
    const code = await runner.run(snap.rootfs, spec(['sh', '-c', dd]), io(), { workRoot });
    if (code !== 0) throw new Error(`dd exited ${code}`);
    globalThis.gc?.();
    const t0 = process.hrtime.bigint();
    const digest = new DigestStream();
    await pipeline(snap.diff(), digest, nullSink());
    const s = ms(t0) / 1000;
    return { mbs: digest.size / MiB / s, s, peak: process.resourceUsage().maxRSS / 1024 };
  } finally {
    await snap.release();
  }
}

const work = mkdtempSync(join(tmpdir(), 'tsbuild-run-bench-'));
try {
  const workRoot = join(work, 'work');
  if (!(await overlaySupported(workRoot))) {
    console.log('overlayfs not available here: RUN bench skipped');
  } else {
    const busybox = busyboxLower(join(work, 'busybox'));
    const lowers = [busybox, ...smallLowers(join(work, 'lowers'))];
    const found = await runners();
    for (const [name, runner] of found) {
      const o = await overhead(runner, lowers, workRoot);
      console.log(
        `${name.padEnd(8)} prepare+run(true)+diff+release, busybox + 5 layers: ` +
          `median ${o.median.toFixed(1)} ms, p90 ${o.p90.toFixed(1)} ms (${N} runs; diff ${o.size} B)`,
      );
    }
    const docker = await dockerStep(busybox, work);
    const buildah = await buildahStep(busybox, work);
    const measured = [docker, buildah].filter((x) => x !== undefined);
    const base =
      measured.length > 0 ? Math.min(...measured) : Math.min(...Object.values(ISSUE_FIGURES));
    const from =
      measured.length > 0
        ? 'measured here'
        : "the issue's figures (docker ~270 ms, buildah ~330 ms)";
    console.log(
      `target: at most ${(base / 2).toFixed(1)} ms a RUN (half the faster engine, ${from})`,
    );
    if (found.length > 0) {
      const [name, runner] = found.find(([n]) => n === 'crun') ?? found[0];
      const t = await throughput(runner, lowers, workRoot);
      console.log(
        `${name.padEnd(8)} diff+sha256 of a RUN writing ${writeMiB} MiB: ${t.mbs.toFixed(0)} MB/s ` +
          `(${t.s.toFixed(2)} s), peak RSS ${t.peak.toFixed(0)} MiB`,
      );
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
