/**
 * Every example the README builds, built here, in the README's order, on a store
 * whose busybox base is itself built from examples/busybox (context /bin).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importImage } from '../../src/api/import.js';
import { debianRootfsTar } from '../helpers/debian.js';
import { tempRoot } from '../helpers/tmp.js';
import { buildIn, configOf, flatten } from './harness.js';

const EX = join(process.cwd(), 'examples');
let root: string;

beforeAll(async () => {
  root = tempRoot('tsbuild-examples-');
  await buildIn(root, {
    context: '/bin',
    dockerfile: join(EX, 'busybox/Dockerfile'),
    tags: ['busybox'],
  });
}, 60_000);

describe('examples/', () => {
  it('hello: FROM scratch, offline', async () => {
    await buildIn(root, { context: join(EX, 'hello'), tags: ['hello'] });
    const fs = await flatten(root, 'hello');
    expect(readFileSync(join(fs, 'hello.txt'), 'utf8')).toContain('FROM scratch');
    expect(readdirSync(join(fs, 'usr/share/doc/hello'))).toEqual(['README']);
    expect((await configOf(root, 'hello')).config).toMatchObject({
      Cmd: ['/hello.txt'],
      WorkingDir: '/home',
    });
  });

  it('busybox: only the binary got through its Dockerfile.dockerignore', async () => {
    const fs = await flatten(root, 'busybox');
    expect(readFileSync(join(fs, 'etc/passwd'), 'utf8')).toContain('app:x:1000:1000');
    // /bin/busybox is the one file; everything else in /bin is an applet link to it.
    const bin = readdirSync(join(fs, 'bin'));
    expect(bin).toContain('sh');
    for (const name of bin.filter((n) => n !== 'busybox'))
      expect([name, readlinkSync(join(fs, 'bin', name))]).toEqual([name, '/bin/busybox']);
    expect(lstatSync(join(fs, 'bin/busybox')).isFile()).toBe(true);
  });

  it('multistage, onbuild, dockerignore, du, metadata', async () => {
    const ms = await buildIn(root, { context: join(EX, 'multistage'), tags: ['multistage'] });
    expect(ms.events.find((e) => e.type === 'plan')).toMatchObject({
      skipped: [{ name: 'unused' }],
    });
    expect(readdirSync(join(await flatten(root, 'multistage'), 'out')).sort()).toEqual([
      'numbers.txt',
      'words.txt',
    ]);
    await buildIn(root, { context: join(EX, 'onbuild/base'), tags: ['onbuild-base'] });
    await buildIn(root, { context: join(EX, 'onbuild/app'), tags: ['onbuild-app'] });
    const manifest = readFileSync(
      join(await flatten(root, 'onbuild-app'), 'app/manifest.txt'),
      'utf8',
    );
    expect(manifest.split('\n')).toContain('app.txt');
    await buildIn(root, { context: join(EX, 'dockerignore'), tags: ['dockerignore'] });
    const ctx = join(await flatten(root, 'dockerignore'), 'ctx');
    expect(readdirSync(join(ctx, 'src')).sort()).toEqual(['keep.tmp', 'main.txt']);
    expect(existsSync(join(ctx, 'Dockerfile'))).toBe(false);
    await buildIn(root, { context: join(EX, 'du'), tags: ['du'] });
    expect((await configOf(root, 'du')).config).toMatchObject({
      Entrypoint: ['/bin/du', '-ks'],
      Cmd: ['/bin'],
    });
    await buildIn(root, { context: join(EX, 'metadata'), tags: ['metadata'] });
    expect((await configOf(root, 'metadata')).config).toMatchObject({
      User: 'app',
      ExposedPorts: { '8080/tcp': {}, '8125/udp': {} },
      StopSignal: 'SIGINT',
    });
  }, 60_000);
});

/**
 * The realistic examples, on a Debian base made with mmdebstrap and imported
 * as the README says; their RUN steps download from Debian's archive and the
 * npm registry over the default network.
 */
describe('examples/ on debian:bookworm', () => {
  /**
   * Behind a TLS-intercepting proxy (this machine's), its CA goes in as the README
   * says: the bundle the host's Node already trusts, as the step's secret.
   */
  const proxyCa = process.env.NODE_EXTRA_CA_CERTS;

  beforeAll(async () => {
    await importImage({ root, path: debianRootfsTar(), tag: 'debian:bookworm', env: {} });
  }, 180_000);

  it('apt-cache: the package is in the image, its downloads only in the cache mount', async () => {
    await buildIn(root, { context: join(EX, 'apt-cache'), tags: ['apt-cache'] });
    const fs = await flatten(root, 'apt-cache');
    expect(existsSync(join(fs, 'usr/bin/jq'))).toBe(true);
    // The base image's own directories and lock files stay; no download, no list did.
    const added = (dir: string) => filesUnder(join(fs, dir)).filter((f) => !f.endsWith('/lock'));
    expect(added('var/cache/apt')).toEqual([]);
    expect(added('var/lib/apt/lists')).toEqual([]);
  }, 180_000);

  it('c-multistage: one static binary, none of the compiler', async () => {
    await buildIn(root, { context: join(EX, 'c-multistage'), tags: ['c-multistage'] });
    const fs = await flatten(root, 'c-multistage');
    expect(readdirSync(fs)).toEqual(['hello']);
    expect(execFileSync(join(fs, 'hello'), { encoding: 'utf8' })).toBe(
      'hello from a static C program\n',
    );
  }, 180_000);

  it('node-app: npm ci through a cache mount', async () => {
    await buildIn(root, {
      context: join(EX, 'node-app'),
      tags: ['node-app'],
      ...(proxyCa && existsSync(proxyCa) ? { secrets: { 'proxy-ca': { path: proxyCa } } } : {}),
    });
    const fs = await flatten(root, 'node-app');
    expect(
      JSON.parse(readFileSync(join(fs, 'app/node_modules/is-number/package.json'), 'utf8')),
    ).toMatchObject({ version: '7.0.0' });
    expect(existsSync(join(fs, 'root/.npm/_cacache'))).toBe(false);
    expect(existsSync(join(fs, 'usr/bin/node'))).toBe(true);
  }, 300_000);

  it('secret: the step saw the token, the image holds only its size', async () => {
    const b = await buildIn(root, {
      context: join(EX, 'secret'),
      tags: ['secret'],
      secrets: { token: { value: Buffer.from('s3cr3t') } },
    });
    expect(readFileSync(join(await flatten(root, 'secret'), 'token-size'), 'utf8')).toBe(
      'the token has 6 bytes\n',
    );
    expect(b.output).toBe('');
  });
});

/** Regular files anywhere under `dir`. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}
