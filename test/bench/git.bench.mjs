// Git build contexts (issue 6) on a 5,000-file / 200-commit repo served by
// git http-backend on loopback: wall time of `git clone --depth 1`, the floor
// for fetching a context; of tsbuild doing the same (resolve, fetch depth 1,
// write the tree: git-fetch.mjs); and of tsbuild building `<url>#main` into a
// new store (first: fetch, then a 5,000-file COPY) and again into the same
// store (second, cached); median of 3.
// tsbuild is measured only if its CLI takes git URLs; otherwise the bench says
// why and measures git alone.
// Everything lives under one /tmp dir that is removed at the end, with the
// server stopped, even when a step fails.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { URL, fileURLToPath } from 'node:url';
import { bigRepo, serveGit } from './git-fixtures.mjs';

const TSBUILD = fileURLToPath(new URL('../../bin/tsbuild.js', import.meta.url));
const ROUNDS = 3;

/**
 * Runs a command to completion; resolves its wall time in ms, or rejects with
 * its stderr. Asynchronous on purpose: the server answering it runs in this
 * process, and a sync spawn would starve it.
 */
function timed(file, args, cwd) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0' };
    const p = spawn(file, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (c) => (err = (err + c).slice(-4000)));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code === 0) resolve(Number(process.hrtime.bigint() - t0) / 1e6);
      else reject(new Error(err.trim() || `${file} exited ${code}`));
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(0)} ms`;

const work = mkdtempSync('/tmp/tsbuild-gitbench-');
let server;
try {
  const t0 = performance.now();
  bigRepo(join(work, 'repos'), { files: 5000, commits: 200 });
  console.log(`fixture: 5,000 files, 200 commits in ${fmt(performance.now() - t0)}`);
  server = await serveGit(join(work, 'repos'));
  const url = `${server.url}/big.git`;

  const clones = [];
  for (let r = 0; r < ROUNDS; r++) {
    clones.push(await timed('git', ['clone', '-q', '--depth', '1', url, `clone-${r}`], work));
  }
  const rows = [['`git clone --depth 1`', median(clones)]];
  // The same work in tsbuild: resolve the ref, fetch depth 1, write the tree.
  const FETCH = fileURLToPath(new URL('./git-fetch.mjs', import.meta.url));
  const fetches = [];
  for (let r = 0; r < ROUNDS; r++) {
    fetches.push(
      await timed(process.execPath, [FETCH, `${url}#main`, join(work, `fetch-${r}`)], work),
    );
  }
  rows.push(['tsbuild fetch + tree (no build)', median(fetches)]);

  const build = (r) => [TSBUILD, 'build', '-q', '--root', join(work, `store-${r}`), `${url}#main`];
  const first = [];
  const second = [];
  let available = true;
  for (let r = 0; r < ROUNDS && available; r++) {
    try {
      first.push(await timed(process.execPath, build(r), work));
    } catch (err) {
      if (r > 0) throw err;
      available = false;
      const line = String(err.message).split('\n')[0];
      console.log(`tsbuild: git contexts not available (${line})`);
      break;
    }
    second.push(await timed(process.execPath, build(r), work));
  }
  if (available) {
    rows.push(['tsbuild build, first', median(first)], ['tsbuild build, cached', median(second)]);
  }
  console.log(`\n| ${ROUNDS} rounds, median | wall |\n|---|---:|`);
  for (const [name, ms] of rows) console.log(`| ${name} | ${fmt(ms)} |`);
} finally {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
}
