/**
 * RUN's network, as docker build gives it: by default a namespace of the
 * build's own that reaches the world (here: Debian's archive, which this
 * machine reaches) and not the host; `none` and `host` as asked, per build or
 * per step; a hint when a step without network fails to resolve a name; and
 * nothing left running or mounted when a build ends or is killed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNetwork } from '../../src/runtime/network/index.js';
import { rejected } from '../helpers/caught.js';
import { tempRoot } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { buildIn, contextOf, storeWithBusybox } from './harness.js';

/** A file of Debian's archive, over plain http: busybox's wget needs no CA bundle for it. */
const ARCHIVE = 'http://deb.debian.org/debian/dists/bookworm/Release';

const pastaFor = (dir: string) =>
  spawnSync('pgrep', ['-f', `pasta.*${dir}`], { encoding: 'utf8' }).stdout.trim();
const nsfsUnder = (dir: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.split(' ')[4]?.startsWith(dir));

let root: string;
let server: Server;
let port: number;

beforeAll(async () => {
  root = await storeWithBusybox();
  // A service on the host's loopback only: docker build's steps cannot reach it, host ones can.
  server = createServer((_req, res) => res.end('from the host\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe.each(['runc', 'crun', 'builtin'] as const)('the default network under %s', (runtime) => {
  it('reaches the world, and says once which network RUN steps have', async () => {
    const ctx = contextOf({
      Dockerfile: `FROM busybox\nRUN wget -q -O - ${ARCHIVE} | head -1\nRUN wget -q -O /release ${ARCHIVE}\n`,
    });
    const b = await buildIn(root, { context: ctx, runtime, noCache: true });
    expect(b.output).toBe('Origin: Debian\n');
    const notes = b.events.filter((e) => e.type === 'network');
    expect(notes).toEqual([
      {
        type: 'network',
        mode: 'pasta',
        message:
          'RUN network: a private network namespace, outbound traffic through pasta (the host is not reachable)',
      },
    ]);
  }, 60_000);

  it("does not reach the host's loopback services; --network=host does", async () => {
    // timeout(1), not wget -T: busybox 1.35's wget crashes on a refused connection with -T.
    const script = (host: string) =>
      `timeout 3 wget -q -O - http://${host}:${port}/ 2>/dev/null || echo unreachable`;
    const ctx = contextOf({
      Dockerfile: [
        'FROM busybox',
        // 127.0.0.1 is the step's own loopback; the gateway is not the host either.
        `RUN ${script('127.0.0.1')}; ${script("$(ip route | awk '/default/ {print $3}')")}`,
        `RUN --network=host ${script('127.0.0.1')}`,
        '',
      ].join('\n'),
    });
    const b = await buildIn(root, { context: ctx, runtime, noCache: true });
    expect(b.output).toBe('unreachable\nunreachable\nfrom the host\n');
  }, 60_000);
});

describe('a step without network', () => {
  it('has loopback only, per build or per step', async () => {
    const list = 'RUN ip -o link | cut -d: -f2 | tr -d " \\n"; echo';
    const ctx = contextOf({
      Dockerfile: `FROM busybox\n${list}\n${list.replace('RUN', 'RUN --network=none')}\n`,
    });
    const b = await buildIn(root, { context: ctx, noCache: true });
    expect(b.output).toBe('loeth0\nlo\n');
    const none = await buildIn(root, { context: ctx, noCache: true, network: 'none' });
    expect(none.output).toBe('lo\nlo\n');
    expect(none.events.some((e) => e.type === 'network')).toBe(false);
  }, 60_000);

  it('fails to resolve a name with a hint saying why', async () => {
    const ctx = contextOf({ Dockerfile: `FROM busybox\nRUN wget -q -O /x ${ARCHIVE}\n` });
    const e = await rejected(buildIn(root, { context: ctx, noCache: true, network: 'none' }));
    expect((e as { data?: { hint?: string } }).data?.hint).toBe(
      'this step ran without network (--network=none), so names cannot be resolved: build with the default network or --network=host, or give the step RUN --network=default',
    );
  }, 60_000);
});

describe('openNetwork', () => {
  /** The pastas serving `netns`, read from /proc at once (spawning pgrep gives pasta time to go). */
  const pastasServing = (netns: string) =>
    readdirSync('/proc').filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return argv.some((a) => a.endsWith('pasta')) && argv.includes(netns);
      } catch {
        return false; // not a process, or gone meanwhile
      }
    });

  it('close() returns once pasta has exited, not once it was asked to', async () => {
    const dir = tempRoot('tsbuild-net-');
    for (let i = 0; i < 5; i++) {
      const net = await openNetwork(join(dir, `n${i}`), ['pasta']);
      expect(pastasServing(net.netns!)).toHaveLength(1);
      await net.close();
      expect([i, pastasServing(net.netns!)]).toEqual([i, []]);
    }
  });

  it('close() kills a pasta that does not exit when asked', async () => {
    // A stopped pasta keeps a SIGTERM pending: as one that is not scheduled for long.
    const net = await openNetwork(join(tempRoot('tsbuild-net-'), 'n'), ['pasta']);
    const [pid] = pastasServing(net.netns!);
    process.kill(Number(pid), 'SIGSTOP');
    await net.close();
    expect(pastasServing(net.netns!)).toEqual([]);
  });

  it('falls back to slirp4netns, then to the host', async () => {
    const dir = tempRoot('tsbuild-net-');
    const slirp = await openNetwork(join(dir, 'a'), ['slirp4netns']);
    expect([slirp.kind, slirp.nameservers]).toEqual(['slirp4netns', ['10.0.2.3']]);
    await slirp.close();
    const host = await openNetwork(join(dir, 'b'), ['host']);
    expect([host.kind, host.netns]).toEqual(['host', undefined]);
    expect(nsfsUnder(dir)).toEqual([]);
  });
});

it('leaves no pasta and no namespace behind a build, even one that was killed', async () => {
  const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN sleep 4344\n' });
  const script = join(tempRoot('tsbuild-net-kill-'), 'build.ts');
  writeFileSync(
    script,
    `import { build } from ${JSON.stringify(join(process.cwd(), 'src/api/build.ts'))};\n` +
      `await build({ root: ${JSON.stringify(root)}, env: {}, context: ${JSON.stringify(ctx)} });\n`,
  );
  const child = spawn(join(process.cwd(), 'node_modules/.bin/vite-node'), [script], {
    stdio: 'ignore',
  });
  const tmp = join(root, 'tmp');
  // The build's pasta is up (the killed build has one to leave behind).
  await until(() => pastaFor(tmp) !== '');
  // The step itself running: only then is there a container to kill (SIGKILL: its
  // pid 1 ignores SIGTERM), and none is left behind.
  await until(() => spawnSync('pgrep', ['-f', 'sleep 4344']).status === 0);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  spawnSync('pkill', ['-KILL', '-f', 'sleep 4344']);

  const next = await buildIn(root, {
    context: contextOf({ Dockerfile: 'FROM busybox\nRUN true\n' }),
    noCache: true,
  });
  expect(next.events.some((e) => e.type === 'network')).toBe(true);
  expect(pastaFor(tmp)).toBe('');
  expect(nsfsUnder(tmp)).toEqual([]);
  expect(readdirSync(tmp).filter((n) => n.startsWith('build-'))).toEqual([]);
}, 60_000);
