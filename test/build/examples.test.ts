/**
 * Every example the README builds, built here, in the README's order, on a store
 * whose busybox base is itself built from examples/busybox (context /bin).
 */
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
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
