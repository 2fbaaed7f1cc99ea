/**
 * tsbuild installed with `npm ci --ignore-scripts` (or on a machine without a
 * compiler) has no build/Release/: no addon, no helper. Commands that need none
 * must work, and one that needs the xattr addon must say so in one line. Run as
 * that install would be: a copy of the sources with node_modules but no build/,
 * as a process of its own.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { contextOf, storeWithBusybox } from '../build/harness.js';
import { tempRoot } from '../helpers/tmp.js';

let root: string;
let pkg: string;

beforeAll(async () => {
  root = await storeWithBusybox();
  pkg = tempRoot('tsbuild-noaddons-');
  cpSync(join(process.cwd(), 'src'), join(pkg, 'src'), { recursive: true });
  cpSync(join(process.cwd(), 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(process.cwd(), 'node_modules'), join(pkg, 'node_modules'));
  writeFileSync(
    join(pkg, 'cli.ts'),
    "import { main } from './src/cli/main.js';\n" +
      'process.exitCode = await main(process.argv.slice(2), {\n' +
      '  stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env,\n' +
      '});\n',
  );
});

async function tsbuild(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const vite = join(process.cwd(), 'node_modules', '.bin', 'vite-node');
  const child = spawn(vite, [join(pkg, 'cli.ts'), '--', ...args], {
    cwd: pkg,
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, out, err };
}

describe('without native addons', () => {
  it('the copy really has none', () => {
    // nativeFile() looks for build/Release/ in every directory above the sources.
    expect(existsSync(join(pkg, 'build'))).toBe(false);
    expect(existsSync(join(pkg, '..', 'build'))).toBe(false);
  });

  it('lists and inspects images', async () => {
    const images = await tsbuild(['images', '--root', root]);
    expect(images).toMatchObject({ code: 0, err: '' });
    expect(images.out).toMatch(/^busybox +latest /m);
    const inspect = await tsbuild(['inspect', '--root', root, '-f', '{{.Os}}', 'busybox']);
    expect(inspect).toEqual({ code: 0, out: 'linux\n', err: '' });
  });

  it('builds what writes no layer', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nENV A=1\nLABEL b=2\n' });
    const r = await tsbuild(['build', '-q', '--root', root, '-t', 'meta', ctx]);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(r.out).toMatch(/^sha256:[0-9a-f]{64}\n$/);
  });

  it('says in one line that a layer needs the xattr addon, and how to build it', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nCOPY a.txt /a.txt\n', 'a.txt': 'a\n' });
    const r = await tsbuild(['build', '-q', '--root', root, ctx]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'error: extended attributes need build/Release/tsbuild_xattr.node, which npm builds at install with node-gyp (a C compiler and make): run `npm rebuild tsbuild` (or node-gyp rebuild in its directory)\n',
    );
  });
});
