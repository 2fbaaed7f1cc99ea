/**
 * Builds' work dirs in tmp/: a killed build's mounts are swept by the next build,
 * and prune never touches a live one.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { tempRoot } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { prune } from '../../src/api/prune.js';
import { buildIn, contextOf, flatten, storeWithBusybox } from './harness.js';

const mountsUnder = (dir: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.split(' ')[4]?.startsWith(dir));

afterAll(() => {
  spawnSync('pkill', ['-KILL', '-f', 'sleep 4343']);
});

it('cleans up after a build that was killed', async () => {
  const root = await storeWithBusybox();
  const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN sleep 4343\n' });
  // A separate process, so that it can die without running any finally block.
  const script = join(tempRoot('tsbuild-sweep-'), 'build.ts');
  writeFileSync(
    script,
    `import { build } from ${JSON.stringify(join(process.cwd(), 'src/api/build.ts'))};\n` +
      `await build({ root: ${JSON.stringify(root)}, env: {}, context: ${JSON.stringify(ctx)} });\n`,
  );
  const child = spawn(join(process.cwd(), 'node_modules/.bin/vite-node'), [script], {
    stdio: 'ignore',
  });
  const tmp = join(root, 'tmp');
  await until(() => mountsUnder(tmp).length > 0);
  // The step itself running: only then is there a container to kill (SIGKILL: its
  // pid 1 ignores SIGTERM), and none is left behind.
  await until(() => spawnSync('pgrep', ['-f', 'sleep 4343']).status === 0);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  spawnSync('pkill', ['-KILL', '-f', 'sleep 4343']);

  await buildIn(root, { context: contextOf({ Dockerfile: 'FROM busybox\nLABEL next=1\n' }) });
  expect(mountsUnder(tmp)).toEqual([]);
  expect(readdirSync(tmp).filter((n) => n.startsWith('build-'))).toEqual([]);
}, 60_000);

it('prune leaves a running build alone, however old its work dir looks', async () => {
  const root = await storeWithBusybox();
  const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN sleep 1.5; ls /bin > /bins\n' });
  let ended = false;
  const building = buildIn(root, { context: ctx, tags: ['long'] }).finally(() => (ended = true));
  const tmp = join(root, 'tmp');
  // The RUN's snapshot mounted (or, on a machine too slow to look in time, the build over).
  await until(() => mountsUnder(tmp).length > 0 || ended);
  const old = new Date(Date.now() - 3_600_000);
  for (const n of readdirSync(tmp)) {
    try {
      utimesSync(join(tmp, n), old, old);
    } catch (e) {
      // The build may end (and remove its dir) between the listing and this.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  await prune({ root, env: {} });
  await building;
  const bins = readFileSync(join(await flatten(root, 'long'), 'bins'), 'utf8');
  expect(bins).toContain('busybox');
  expect(mountsUnder(tmp)).toEqual([]);
}, 60_000);
