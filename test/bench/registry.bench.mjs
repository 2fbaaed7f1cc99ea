// Registry client (issue 7): push and pull of a 5-layer, 500 MiB image
// (incompressible) to Debian's distribution registry on loopback, against
// `skopeo copy` of the same image in the same run; wall time, median of 3
// (BENCH_REGISTRY_N).
// Then, if `build --help` lists --cache-to, the cold build on one store that
// exports its cache to the registry, and the warm build on a fresh store (a
// "second machine") that imports it with --cache-from.
//
// Every push goes to an empty registry started for it, so neither tool can
// skip a layer the registry already has (tsbuild mounts blobs across
// repositories of one registry; skopeo's blob-info cache does the same).
// tsbuild's store keeps a layer it built as its snapshot only; its first push
// makes the tar again from the snapshot and gzips it, keeping the gzip:
// "first push" (a fresh copy of the store: tar + gzip + upload) and "second
// push" (same copy, to another empty registry: upload only) show the two
// costs apart. skopeo pushes the same image from an OCI layout `tsbuild save`
// wrote (untimed), gzipping on every push. The store's disk usage after the
// build and after the first push is printed too: the kept gzip is a second
// copy of each layer.
// Everything lives under one /tmp dir, removed at the end with every registry
// stopped, even when a step fails or on Ctrl-C.
/* global fetch -- Node 20's; the lint config lists only process, console, Buffer */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { URL, fileURLToPath } from 'node:url';
import { busyboxTar } from './build-fixtures.mjs';
import {
  LAYERS,
  LAYER_BYTES,
  bigImageContext,
  killRegistries,
  startRegistry,
} from './registry-fixtures.mjs';

const TSBUILD = fileURLToPath(new URL('../../bin/tsbuild.js', import.meta.url));
/** Rounds of each timed operation; BENCH_REGISTRY_N sets it (a quick check of the bench: 1). */
const ROUNDS = Number(process.env.BENCH_REGISTRY_N ?? 3);
const MIB = LAYERS * (LAYER_BYTES >> 20);

const work = mkdtempSync('/tmp/tsbuild-registrybench-');
const running = new Set();
const cleanup = () => {
  for (const p of running) p.kill('SIGKILL');
  killRegistries();
  rmSync(work, { recursive: true, force: true });
};
process.once('SIGINT', () => {
  cleanup();
  process.exit(130);
});

/** Runs a command to completion; resolves its wall time in s, or rejects with its stderr. */
function timed(file, args) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(file, args, { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
    running.add(p);
    let err = '';
    p.stderr.on('data', (c) => (err = (err + c).slice(-4000)));
    p.on('error', reject);
    p.on('close', (code) => {
      running.delete(p);
      if (code === 0) resolve(Number(process.hrtime.bigint() - t0) / 1e9);
      else reject(new Error(`${file} ${args.join(' ')}: ${err.trim() || `exited ${code}`}`));
    });
  });
}

const tsbuild = (...args) => timed(process.execPath, [TSBUILD, ...args]);
const skopeo = (src, dest) =>
  timed('skopeo', [
    'copy',
    '-q',
    '--insecure-policy',
    '--src-tls-verify=false',
    '--dest-tls-verify=false',
    src,
    dest,
  ]);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secs = (s) => s.toFixed(2);
const rate = (s) => (MIB / s).toFixed(0);

/**
 * image saved by `tsbuild save` from store and unpacked into an OCI layout
 * (untimed); resolves the `oci:` reference skopeo reads it by.
 */
async function savedLayout(store, image) {
  const tar = join(work, 'saved.tar');
  const dir = join(work, 'saved');
  await tsbuild('save', '--root', store, '-o', tar, image);
  mkdirSync(dir);
  await timed('tar', ['-xf', tar, '-C', dir]);
  rmSync(tar);
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const name = index.manifests[0]?.annotations?.['org.opencontainers.image.ref.name'];
  if (!name) throw new Error(`no ref name in the index.json tsbuild save wrote for ${image}`);
  return `oci:${dir}:${name}`;
}

/** A store's disk usage in MiB: allocated blocks, hardlinks once. */
function storeMiB(store) {
  const r = spawnSync('du', ['-sB1', store], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`du ${store}: ${r.stderr.trim()}`);
  return (Number(r.stdout.split(/\s/)[0]) / (1 << 20)).toFixed(0);
}

/** What a pushed manifest's layers are: media types and total size, to show both gzipped. */
async function layerTypes(host, repo) {
  const res = await fetch(`http://${host}/v2/${repo}/manifests/1`, {
    headers: {
      accept: [
        'application/vnd.docker.distribution.manifest.v2+json',
        'application/vnd.oci.image.manifest.v1+json',
      ].join(', '),
    },
  });
  if (!res.ok) throw new Error(`GET ${repo} manifest: ${res.status}`);
  const { layers } = await res.json();
  const types = [...new Set(layers.map((l) => l.mediaType))].join(', ');
  const mib = layers.reduce((n, l) => n + l.size, 0) / (1 << 20);
  return `${types} (${layers.length} layers, ${mib.toFixed(1)} MiB)`;
}

/** Each push to an empty registry of its own, stopped (and its storage removed) after. */
async function intoEmptyRegistry(name, fn) {
  const reg = await startRegistry(join(work, name));
  try {
    return await fn(reg.host);
  } finally {
    await reg.stop();
  }
}

async function bench() {
  const main = await startRegistry(join(work, 'registry-main'));
  const busybox = await busyboxTar(work);
  const ctx = bigImageContext(join(work, 'ctx'));
  const image = `${main.host}/bench/big:1`;
  const built = join(work, 'store-built');
  await tsbuild('import', '--root', built, busybox, 'busybox');
  const cold = await tsbuild('build', '-q', '--root', built, '-t', image, ctx);
  console.log(
    `fixture: ${LAYERS} RUN layers x ${LAYER_BYTES >> 20} MiB urandom, built in ${secs(cold)} s`,
  );
  const ociSource = await savedLayout(built, image);
  const disk = { built: storeMiB(built) };

  const first = [];
  const second = [];
  const skopeoPush = [];
  let pushedAs = '';
  for (let r = 0; r < ROUNDS; r++) {
    // A copy of the store as built, so this round's first push gzips again.
    const store = join(work, `store-push-${r}`);
    await timed('cp', ['-a', built, store]);
    // Written back before the clock starts: the copy's gigabyte of dirty pages is
    // the bench's setup, not push's work (a push that syncs would flush it too).
    await timed('sync', ['-f', store]);
    for (const [name, times] of [
      ['first', first],
      ['second', second],
    ]) {
      await intoEmptyRegistry(`registry-${name}-${r}`, async (host) => {
        const ref = `${host}/bench/big:${r + 1}`;
        await tsbuild('tag', '--root', store, image, ref);
        times.push(await tsbuild('push', '--root', store, ref));
      });
      if (r === 0 && name === 'first') disk.pushed = storeMiB(store);
    }
    rmSync(store, { recursive: true, force: true });
    await intoEmptyRegistry(`registry-skopeo-${r}`, async (host) => {
      skopeoPush.push(await skopeo(ociSource, `docker://${host}/bench/skopeo-${r + 1}:1`));
      if (r === 0) pushedAs = await layerTypes(host, `bench/skopeo-${r + 1}`);
    });
  }

  // The pull source: the built image in the main registry (not timed).
  await tsbuild('push', '--root', built, image);
  console.log(`tsbuild pushed layers as ${await layerTypes(main.host, 'bench/big')}`);
  console.log(`skopeo pushed layers as ${pushedAs}`);
  const pull = [];
  const skopeoPull = [];
  for (let r = 0; r < ROUNDS; r++) {
    const store = join(work, `store-pull-${r}`);
    pull.push(await tsbuild('pull', '--root', store, image));
    rmSync(store, { recursive: true, force: true });
    const dir = join(work, `oci-pull-${r}`);
    skopeoPull.push(await skopeo(`docker://${image}`, `oci:${dir}:big`));
    rmSync(dir, { recursive: true, force: true });
  }

  const rows = [
    ['push, first (tar + gzip + upload)', median(first), median(skopeoPush)],
    ['push, second (gzip kept: upload only)', median(second), median(skopeoPush)],
    ['pull (into a fresh store / oci dir)', median(pull), median(skopeoPull)],
  ];
  console.log(`\nmedian of ${ROUNDS}, ${MIB} MiB per image, MiB/s = ${MIB} MiB / s\n`);
  console.log(
    '| operation | tsbuild s | skopeo s | tsbuild MiB/s | skopeo MiB/s | ratio (tsbuild/skopeo time) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [op, t, s] of rows) {
    console.log(
      `| ${op} | ${secs(t)} | ${secs(s)} | ${rate(t)} | ${rate(s)} | ${(t / s).toFixed(2)} |`,
    );
  }
  console.log(
    `\nall rounds (s): first ${first.map(secs)}; second ${second.map(secs)}; ` +
      `skopeo push ${skopeoPush.map(secs)}; pull ${pull.map(secs)}; skopeo pull ${skopeoPull.map(secs)}`,
  );
  console.log(
    [
      '',
      'notes:',
      '- every push goes to an empty registry of its own: no tool can mount or skip a blob.',
      '- tsbuild keeps a layer it built as its snapshot; its first push makes the tar again',
      '  from the snapshot and gzips it once, keeping the result (deterministic): "first" is a',
      '  fresh copy of the store (tar + gzip + upload), "second" the same copy to another empty',
      '  registry (upload only). skopeo gzips the uncompressed layers of the OCI layout',
      '  `tsbuild save` wrote on every push, so both rows compare with the same skopeo figure.',
      `- tsbuild's store (du -sB1): ${disk.built} MiB after the build, ${disk.pushed} MiB after`,
      '  the first push (the kept gzip is a second copy of each layer).',
      '- pull: skopeo writes the gzip blobs into the oci dir as they come (verify only);',
      '  tsbuild also gunzips each layer on the way in, checking it against its diff ID.',
      '- skopeo records blob locations in its blob-info cache (/var/lib/containers/cache as',
      '  root); the fresh registry per push keeps those from being reused.',
    ].join('\n'),
  );

  await cacheRebuild(main.host, busybox, ctx, cold);
  await main.stop();
}

/** Cold build exporting its cache to the registry; warm build on a fresh store importing it. */
async function cacheRebuild(host, busybox, ctx, cold) {
  const help = await new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [TSBUILD, 'build', '--help'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (c) => (out += c));
    p.on('error', reject);
    p.on('close', () => resolve(out));
  });
  if (!help.includes('--cache-to')) {
    console.log('\ncache: --cache-to not available yet');
    return;
  }
  const cache = `type=registry,ref=${host}/bench/cache:1`;
  const a = join(work, 'store-cache-a');
  const b = join(work, 'store-cache-b');
  for (const s of [a, b]) await tsbuild('import', '--root', s, busybox, 'busybox');
  const exported = await tsbuild(
    'build',
    '-q',
    '--root',
    a,
    '--cache-to',
    cache,
    '-t',
    'bench/cached:1',
    ctx,
  );
  const imported = await tsbuild(
    'build',
    '-q',
    '--root',
    b,
    '--cache-from',
    cache,
    '-t',
    'bench/cached:1',
    ctx,
  );
  console.log('\n| build | s |');
  console.log('|---|---:|');
  console.log(`| cold, no cache options (fixture build) | ${secs(cold)} |`);
  console.log(`| cold, store A, --cache-to registry | ${secs(exported)} |`);
  console.log(`| warm, fresh store B, --cache-from registry | ${secs(imported)} |`);
}

try {
  await bench();
} finally {
  cleanup();
}
