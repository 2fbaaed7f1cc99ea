// The four builders the build bench times, behind one shape:
//   { name, setup(busyboxTar), build(ctx, { noCache, cold }) → wall ms, teardown() }
// Each is timed as the process a user runs, from spawn to exit. `cold` asks
// the engine to forget what an earlier build left (outside the timing) and
// build without its cache.
import { spawn, spawnSync } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { URL, fileURLToPath } from 'node:url';

const TSBUILD = fileURLToPath(new URL('../../bin/tsbuild.js', import.meta.url));
/** Debian's 20.10 client; /usr/local/bin/docker here is a 28.x one (test/helpers/docker-cli.ts). */
const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

/**
 * Runs a command to completion; resolves { ms, start, out, pid }: its wall
 * time, when it was spawned (epoch ms), with capture its stdout, and its pid.
 * A non-zero exit rejects with the tail of its stderr: a failed build must
 * not be timed.
 */
export function exec(file, args, { env, input, capture = false } = {}) {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const t0 = process.hrtime.bigint();
    const stdio = ['pipe', capture ? 'pipe' : 'ignore', 'pipe'];
    const p = spawn(file, args, { env: env ?? process.env, stdio });
    let err = '';
    let out = '';
    p.stderr.on('data', (c) => (err = (err + c).slice(-4000)));
    p.stdout?.on('data', (c) => (out += c));
    p.on('error', reject);
    p.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code === 0) resolve({ ms, start, out, pid: p.pid });
      else reject(new Error(`${file} ${args.join(' ')} exited ${code}:\n${err.trim()}`));
    });
    if (input) pipeline(createReadStream(input), p.stdin).catch(reject);
    else p.stdin.end();
  });
}

/** exec's wall time in ms. */
export const timed = async (file, args, opts) => (await exec(file, args, opts)).ms;

const quiet = (file, args, opts = {}) => spawnSync(file, args, { stdio: 'ignore', ...opts });

/**
 * FRESH_INODES: nothing the cold scenario makes is deleted before the bench
 * ends. On this machine's file system (ext4 without a journal, as on these
 * VMs) an inode freed in the last minute or so is skipped when a new one is
 * allocated, so creating files right after deleting many is several times
 * slower: measured with one tsbuild binary, the cold 10,000-file build takes
 * 1.8-2.3 s (0.9 s system time) in a quiet file system and 4.5-9 s (3.8-8 s
 * system time) right after deleting the previous round's store. Deleting a
 * store or `docker builder prune` before each timed cold build measured that
 * allocator, for whichever engine came next, not the build.
 */

/** A copy of dir at to (untimed), written back; resolves to. */
function freshCopy(dir, to) {
  const cp = spawnSync('cp', ['-a', dir, to], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (cp.status !== 0) throw new Error(`cp -a ${dir} ${to}: ${cp.stderr}`);
  spawnSync('sync');
  return to;
}

/**
 * Preloaded (node --import) into a tsbuild process whose own peak RSS is
 * wanted: see build-maxrss.mjs.
 */
const MAXRSS = new URL('./build-maxrss.mjs', import.meta.url).href;

/** tsbuild's CLI against the built dist/, a store of its own under work. */
export function tsbuild(work) {
  let n = 0;
  let root = join(work, 'tsbuild-store');
  let tar;
  /** Imports busybox into a store; resolves the store's path. */
  const imported = async (dir) => {
    await timed(process.execPath, [TSBUILD, 'import', '--root', dir, tar, 'busybox']);
    return dir;
  };
  /**
   * Runs `tsbuild args`; node: flags for node itself; peak: also resolve
   * `peakKiB`, the tsbuild process's own peak RSS (its children's not counted).
   */
  const cli = async (args, { node = [], peak = false, capture = false } = {}) => {
    const pre = peak ? ['--import', MAXRSS] : [];
    const dir = peak ? mkdtempSync(join(work, 'maxrss-')) : undefined;
    const env = dir ? { ...process.env, TSBUILD_BENCH_MAXRSS_DIR: dir } : process.env;
    const r = await exec(process.execPath, [...pre, ...node, TSBUILD, ...args], { env, capture });
    if (!dir) return r;
    const peakKiB = Number(readFileSync(join(dir, String(r.pid)), 'utf8'));
    rmSync(dir, { recursive: true, force: true });
    return { ...r, peakKiB };
  };
  return {
    name: 'tsbuild',
    cli,
    async setup(busyboxTar) {
      tar = busyboxTar;
      await imported(root);
    },
    /** A new store at dir with busybox imported, for a measurement of its own. */
    fresh: (dir) => imported(dir),
    /** cold: a new, empty store (busybox imported, no cache records, no stat cache). */
    async build(ctx, opts = {}) {
      return (await this.run(ctx, opts)).ms;
    },
    /**
     * As build; json: `--progress=json` instead of -q, captured; node, peak: as
     * cli; store: this store instead of the engine's own; tag: instead of
     * `bench`. Resolves cli's { ms, start, out, pid, peakKiB }.
     */
    async run(
      ctx,
      { noCache = false, cold = false, json = false, node = [], peak, store, tag = 'bench' } = {},
    ) {
      // The earlier cold store stays until the bench ends (see FRESH_INODES).
      if (cold && !store) root = await imported(join(work, `tsbuild-cold-${++n}`));
      // --network=none, as docker's builds below: the same sandbox for every
      // engine (this daemon has no bridge, and no scenario downloads).
      const args = ['build', json ? '--progress=json' : '-q', '--network=none'];
      args.push('--root', store ?? root);
      args.push('-t', tag, ...(noCache ? ['--no-cache'] : []), ctx);
      return cli(args, { node, peak, capture: json });
    },
    async teardown() {},
  };
}

/**
 * `docker build` on daemon ({ host, private }: see build-dockerd.mjs);
 * builder 'buildkit' or 'classic'.
 */
export function docker(daemon, builder, work) {
  const host = daemon.host;
  const config = join(work, 'docker-config');
  mkdirSync(config, { recursive: true });
  const env = {
    ...process.env,
    DOCKER_HOST: host,
    DOCKER_CONFIG: config,
    DOCKER_BUILDKIT: builder === 'buildkit' ? '1' : '0',
  };
  const tag = `tsbuild-bench-${builder}`;
  let colds = 0;
  return {
    name: builder === 'buildkit' ? 'BuildKit' : 'classic',
    async setup(busyboxTar) {
      await timed(DOCKER, ['import', '-', 'busybox:latest'], { env, input: busyboxTar });
    },
    /**
     * cold: --no-cache on a copy of the context at a path BuildKit has not seen,
     * so it has no earlier copy of it to sync against; not `builder prune`, whose
     * deletions would slow the build that follows (see FRESH_INODES).
     */
    async build(ctx, { noCache = false, cold = false } = {}) {
      const dir = cold ? freshCopy(ctx, join(work, `${tag}-cold-${++colds}`)) : ctx;
      const args = ['build', '-q', '--network=none', '-t', tag];
      return timed(DOCKER, [...args, ...(noCache || cold ? ['--no-cache'] : []), dir], { env });
    },
    /** A private daemon's state goes with the bench's dir; a shared one keeps its images. */
    async teardown() {
      if (daemon.private) return;
      quiet(DOCKER, ['rmi', '-f', tag], { env });
      quiet(DOCKER, ['image', 'prune', '-f'], { env });
      if (builder === 'buildkit') quiet(DOCKER, ['builder', 'prune', '-af'], { env });
    },
  };
}

/**
 * `buildah bud --layers` (a cache record per step, as docker) with storage of
 * its own under work; runc, since crun 1.8 refuses this host's hybrid cgroups
 * (see src/runtime/run/cgroups.ts). undefined when buildah is not installed.
 */
export function buildah(work) {
  if (spawnSync('sh', ['-c', 'command -v buildah']).status !== 0) return undefined;
  const root = join(work, 'buildah');
  const global = ['--root', join(root, 'root'), '--runroot', join(root, 'run')];
  global.push('--storage-driver', 'overlay');
  const runc = spawnSync('sh', ['-c', 'command -v runc'], { encoding: 'utf8' }).stdout.trim();
  const bud = ['bud', '--isolation', 'oci', '--network', 'none', '--layers', '-q'];
  if (runc) bud.push('--runtime', runc);
  const env = { ...process.env, BUILDAH_LAYERS: 'true' };
  return {
    name: 'buildah',
    async setup(busyboxTar) {
      const base = join(root, 'base');
      mkdirSync(base, { recursive: true });
      spawnSync('cp', [busyboxTar, join(base, 'rootfs.tar')]);
      writeFileSync(join(base, 'Dockerfile'), 'FROM scratch\nADD rootfs.tar /\n');
      await timed('buildah', [...global, ...bud, '-t', 'busybox', base], { env });
    },
    /** cold: --no-cache (buildah keeps no copy of the context to forget). */
    async build(ctx, { noCache = false, cold = false } = {}) {
      const args = [...global, ...bud, '-t', 'tsbuild-bench-buildah'];
      return timed('buildah', [...args, ...(noCache || cold ? ['--no-cache'] : []), ctx], { env });
    },
    async teardown() {
      // Its images go with the bench's dir; containers and mounts must go first.
      quiet('buildah', [...global, 'rm', '--all']);
      quiet('umount', ['-R', join(root, 'root', 'overlay')]);
    },
  };
}
