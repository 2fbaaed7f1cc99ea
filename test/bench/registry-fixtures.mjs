// What the registry bench needs besides tsbuild: Debian's distribution
// registry (`docker-registry` 2.8) on a free loopback port, anonymous, with
// its storage in a given dir (test/setup/registry.ts in plain JS, without the
// auth modes and the access log), and the 5-layer, 500 MiB image's context.
/* global fetch, AbortSignal -- Node 20's; the lint config lists only process, console, Buffer */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';

export const LAYERS = 5;
export const LAYER_BYTES = 100 << 20;

/** Registries still running: killed by killRegistries() on SIGINT or exit. */
const live = new Set();

/**
 * Starts `docker-registry serve` with its config and storage under `dir`, and
 * waits for `GET /v2/`. The port is found by binding :0 and closing, so
 * another process can take it first: then it tries a new one.
 * @example
 *   const reg = await startRegistry(join(work, 'reg-a'));
 *   // push to `${reg.host}/bench/big:1`
 *   await reg.stop(); // and its storage is gone
 */
export async function startRegistry(dir) {
  mkdirSync(dir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config = join(dir, 'config.yml');
    // JSON is YAML too.
    writeFileSync(
      config,
      JSON.stringify({
        version: '0.1',
        log: { level: 'error', accesslog: { disabled: true } },
        storage: { filesystem: { rootdirectory: join(dir, 'storage') } },
        http: { addr: `127.0.0.1:${port}`, secret: 'tsbuild-bench' },
      }),
    );
    const child = spawn('docker-registry', ['serve', config], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    live.add(child);
    let log = '';
    child.stderr.setEncoding('utf8').on('data', (s) => (log = (log + s).slice(-4096)));
    let gone;
    const exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (e) => resolve(void (gone = e)));
    }).finally(() => live.delete(child));
    void exited.then(() => (gone ??= new Error(`docker-registry exited:\n${log}`)));
    try {
      await untilReady(`http://127.0.0.1:${port}/v2/`, () => gone, log);
    } catch (err) {
      child.kill('SIGKILL');
      await exited;
      if (attempt >= 3 || !/address already in use/.test(log)) throw err;
      continue;
    }
    return {
      host: `127.0.0.1:${port}`,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

async function untilReady(url, gone, log) {
  const deadline = Date.now() + 15_000;
  while (!gone()) {
    if (Date.now() > deadline) throw new Error(`docker-registry not ready at ${url}:\n${log}`);
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
    if (res?.status === 200) return;
    await sleep(50);
  }
  throw gone();
}

/** SIGKILLs every registry still running; synchronous, for signal and exit handlers. */
export function killRegistries() {
  for (const child of live) child.kill('SIGKILL');
}

async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * The big image's context: FROM busybox and LAYERS RUN steps, each writing
 * LAYER_BYTES of /dev/urandom. Incompressible on purpose: push gzips every
 * layer, and zeros would make that (and the upload) nearly free.
 */
export function bigImageContext(dir) {
  mkdirSync(dir, { recursive: true });
  const runs = Array.from(
    { length: LAYERS },
    (_, i) => `RUN head -c ${LAYER_BYTES} /dev/urandom > /l${i + 1}`,
  );
  writeFileSync(join(dir, 'Dockerfile'), `${['FROM busybox', ...runs].join('\n')}\n`);
  return dir;
}
