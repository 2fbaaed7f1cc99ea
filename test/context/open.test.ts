import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { Dockerignore } from '../../src/context/dockerignore.js';
import { openContext } from '../../src/context/open.js';
import { rejected } from '../helpers/caught.js';
import { readAll } from '../helpers/streams.js';
import { tempRoot } from '../helpers/tmp.js';

const DF = 'FROM scratch\nCOPY . /\n';

/** root/ctx with the given files; root/tmp for extraction. */
async function setup(files: Record<string, string>) {
  const root = tempRoot();
  const ctx = join(root, 'ctx');
  await mkdir(ctx);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(ctx, name, '..'), { recursive: true });
    await writeFile(join(ctx, name), content);
  }
  const tmpDir = join(root, 'tmp');
  await mkdir(tmpDir);
  return { root, ctx, tmpDir };
}

/** The context dir packed by GNU tar, through `compress` (a command) when given. */
function packed(ctx: string, compress?: string): Buffer {
  const plain = execFileSync('tar', ['-C', ctx, '-c', '.']);
  return compress ? execFileSync(compress, ['-c'], { input: plain }) : plain;
}

describe('openContext: a directory', () => {
  it('reads <context>/Dockerfile and <context>/.dockerignore', async () => {
    const { ctx, tmpDir } = await setup({ Dockerfile: DF, '.dockerignore': 'secret\n', a: 'a' });
    const c = await openContext({ context: 'ctx', cwd: join(ctx, '..'), tmpDir });
    expect(c.dir).toBe(await realpath(ctx));
    expect(c.dockerfile).toEqual({ text: DF, name: 'Dockerfile', path: join(c.dir, 'Dockerfile') });
    expect(c.ignore.file).toBe('.dockerignore');
    expect(c.ignore.matches('secret').excluded).toBe(true);
    await c.close();
    expect(existsSync(join(ctx, 'a'))).toBe(true); // a local context is never removed
  });

  it('falls back to a lowercase dockerfile, as docker does', async () => {
    const { ctx, tmpDir } = await setup({ dockerfile: 'FROM lower\n' });
    const c = await openContext({ context: ctx, tmpDir });
    expect(c.dockerfile.name).toBe('dockerfile');
    expect(c.dockerfile.text).toBe('FROM lower\n');
    const both = await setup({ dockerfile: 'FROM lower\n', Dockerfile: 'FROM upper\n' });
    const d = await openContext({ context: both.ctx, tmpDir: both.tmpDir });
    expect(d.dockerfile.text).toBe('FROM upper\n');
  });

  it('takes -f relative to the cwd, named relative to the context', async () => {
    const { root, tmpDir } = await setup({ 'build/app.Dockerfile': DF, '.dockerignore': 'a\n' });
    const c = await openContext({
      context: 'ctx',
      dockerfile: 'ctx/build/app.Dockerfile',
      cwd: root,
      tmpDir,
    });
    expect(c.dockerfile.name).toBe('build/app.Dockerfile');
    expect(c.ignore.file).toBe('.dockerignore');
  });

  it('prefers <Dockerfile>.dockerignore beside the Dockerfile, as BuildKit does', async () => {
    const { ctx, tmpDir } = await setup({
      'build/app.Dockerfile': DF,
      'build/app.Dockerfile.dockerignore': 'b\n',
      '.dockerignore': 'a\n',
    });
    const c = await openContext({
      context: '.',
      dockerfile: 'build/app.Dockerfile',
      cwd: ctx,
      tmpDir,
    });
    expect(c.ignore.file).toBe('build/app.Dockerfile.dockerignore');
    expect(c.ignore.matches('b').excluded).toBe(true);
    expect(c.ignore.matches('a').excluded).toBe(false);

    const d = await setup({
      Dockerfile: DF,
      'Dockerfile.dockerignore': 'c\n',
      '.dockerignore': 'a\n',
    });
    const e = await openContext({ context: d.ctx, tmpDir: d.tmpDir });
    expect(e.ignore.file).toBe('Dockerfile.dockerignore');
    expect(e.ignore.matches('c').excluded).toBe(true);
  });

  it('names a Dockerfile outside the context as given', async () => {
    const { root, tmpDir } = await setup({ a: 'a' });
    await writeFile(join(root, 'outside.Dockerfile'), DF);
    await writeFile(join(root, 'outside.Dockerfile.dockerignore'), 'a\n');
    const c = await openContext({
      context: 'ctx',
      dockerfile: 'outside.Dockerfile',
      cwd: root,
      tmpDir,
    });
    expect(c.dockerfile.name).toBe('outside.Dockerfile');
    expect(c.dockerfile.path).toBe(join(root, 'outside.Dockerfile'));
    expect(c.ignore.matches('a').excluded).toBe(true);
  });

  it('reads -f - from stdin', async () => {
    const { ctx, tmpDir } = await setup({ Dockerfile: 'FROM file\n' });
    const c = await openContext({
      context: ctx,
      dockerfile: '-',
      stdin: Readable.from([DF]),
      tmpDir,
    });
    expect(c.dockerfile).toEqual({ text: DF, name: 'Dockerfile' });
  });

  it('says which context or Dockerfile is missing', async () => {
    const { root, ctx, tmpDir } = await setup({ a: 'a' });
    const e = await rejected(openContext({ context: 'nope', cwd: root, tmpDir }));
    expect(e.code).toBe('CONTEXT_NOT_FOUND');
    expect(e.message).toContain('"nope"');
    const f = await rejected(openContext({ context: ctx, tmpDir }));
    expect(f.code).toBe('DOCKERFILE_NOT_FOUND');
    expect((f as { data?: { path?: string } }).data?.path).toBe(
      join(await realpath(ctx), 'Dockerfile'),
    );
    const g = await rejected(
      openContext({ context: ctx, dockerfile: 'x.Dockerfile', cwd: root, tmpDir }),
    );
    expect(g.code).toBe('DOCKERFILE_NOT_FOUND');
    expect(g.message).toContain(join(root, 'x.Dockerfile'));
  });

  it('reports a .dockerignore it cannot read', async () => {
    const { ctx, tmpDir } = await setup({ Dockerfile: DF, '.dockerignore/x': '' });
    const e = await rejected(openContext({ context: ctx, tmpDir }));
    expect(e.code).toBe('DOCKERIGNORE_READ');
    expect(e.message).toMatch(/^\.dockerignore: EISDIR/);
  });

  it('reports a bad .dockerignore pattern with its file and line', async () => {
    const { ctx, tmpDir } = await setup({ Dockerfile: DF, '.dockerignore': 'ok\n[\n' });
    const e = await rejected(openContext({ context: ctx, tmpDir }));
    expect(e.code).toBe('DOCKERIGNORE_PATTERN');
    expect(e.message).toMatch(/^\.dockerignore:2: /);
  });
});

describe('openContext: an archive', () => {
  for (const compress of [undefined, 'gzip', 'bzip2', 'xz', 'zstd']) {
    it(`extracts a ${compress ?? 'plain'} tar from stdin, and close() removes it`, async () => {
      const { ctx, tmpDir } = await setup({
        Dockerfile: DF,
        'src/a.txt': 'hello',
        '.dockerignore': 'x',
        x: 'x',
      });
      const c = await openContext({
        context: '-',
        stdin: Readable.from([packed(ctx, compress)]),
        tmpDir,
      });
      expect(c.dir.startsWith(await realpath(tmpDir))).toBe(true);
      expect(await readFile(join(c.dir, 'src/a.txt'), 'utf8')).toBe('hello');
      expect(c.dockerfile.text).toBe(DF);
      expect(c.dockerfile.name).toBe('Dockerfile');
      // Docker 20.10 applies no .dockerignore to an archive context (both builders).
      expect(c.ignore).toBe(Dockerignore.empty);
      expect(existsSync(join(c.dir, 'x'))).toBe(true);
      await c.close();
      await c.close();
      expect(readdirSync(tmpDir)).toEqual([]);
    });
  }

  it('takes -f inside the archive, and a tar file path as the context', async () => {
    const { root, ctx, tmpDir } = await setup({ 'sub/app.df': DF, a: 'a' });
    await writeFile(join(root, 'ctx.tar.gz'), packed(ctx, 'gzip'));
    const c = await openContext({
      context: 'ctx.tar.gz',
      dockerfile: 'sub/app.df',
      cwd: root,
      tmpDir,
    });
    expect(c.dockerfile.name).toBe('sub/app.df');
    expect(await readFile(join(c.dir, 'a'), 'utf8')).toBe('a');
    await c.close();
    const e = await rejected(
      openContext({
        context: '-',
        dockerfile: '../x',
        stdin: Readable.from([packed(ctx)]),
        tmpDir,
      }),
    );
    expect(e.code).toBe('DOCKERFILE_NOT_FOUND');
    expect(readdirSync(tmpDir)).toEqual([]);
  });

  it('never writes outside its directory', async () => {
    const { root, tmpDir } = await setup({});
    const p = tar.pack();
    p.entry({ name: 'Dockerfile' }, DF);
    p.entry({ name: '../../escaped' }, 'x');
    p.finalize();
    const e = await rejected(
      openContext({
        context: '-',
        stdin: Readable.from([await readAll(p as unknown as Readable)]),
        tmpDir,
      }),
    );
    expect(e.code).toMatch(/^LAYER_/);
    expect(existsSync(join(root, 'escaped'))).toBe(false);
    expect(existsSync(join(tmpDir, 'escaped'))).toBe(false);
    expect(readdirSync(tmpDir)).toEqual([]);
  });

  it('keeps .wh. files as files, and never reads a Dockerfile symlink out of the archive', async () => {
    const { root, tmpDir } = await setup({});
    const secret = join(root, 'host-secret');
    await writeFile(secret, 'FROM scratch\nLABEL leaked=1\n');
    const pack = (linkTo: string) => {
      const p = tar.pack();
      p.entry({ name: 'Dockerfile', type: 'symlink', linkname: linkTo });
      p.entry({ name: 'real.df' }, DF);
      p.entry({ name: '.wh.keep' }, 'a file, not a whiteout');
      p.finalize();
      return readAll(p as unknown as Readable);
    };
    // Docker 20.10 resolves the link inside the context: "no such file".
    const e = await rejected(
      openContext({ context: '-', stdin: Readable.from([await pack(secret)]), tmpDir }),
    );
    expect(e.code).toBe('DOCKERFILE_NOT_FOUND');
    const c = await openContext({
      context: '-',
      stdin: Readable.from([await pack('/real.df')]),
      tmpDir,
    });
    expect(c.dockerfile.text).toBe(DF);
    expect(await readFile(join(c.dir, '.wh.keep'), 'utf8')).toBe('a file, not a whiteout');
    await c.close();
  });

  it('takes non-archive stdin as the Dockerfile, with an empty context', async () => {
    const { tmpDir } = await setup({});
    const c = await openContext({ context: '-', stdin: Readable.from([DF]), tmpDir });
    expect(c.dockerfile).toEqual({ text: DF, name: 'Dockerfile' });
    expect(readdirSync(c.dir)).toEqual([]);
    await c.close();
    const e = await rejected(
      openContext({ context: '-', dockerfile: 'Dockerfile', stdin: Readable.from([DF]), tmpDir }),
    );
    expect(e.code).toBe('DOCKERFILE_NOT_FOUND');
  });

  it('refuses stdin for both, and a file context that is no archive', async () => {
    const { root, tmpDir } = await setup({});
    const e = await rejected(
      openContext({ context: '-', dockerfile: '-', stdin: Readable.from([DF]), tmpDir }),
    );
    expect(e.code).toBe('STDIN_TWICE');
    await writeFile(join(root, 'notes.txt'), 'just text, no tar');
    const f = await rejected(openContext({ context: 'notes.txt', cwd: root, tmpDir }));
    expect(f.code).toBe('CONTEXT_NOT_AN_ARCHIVE');
    expect(readdirSync(tmpDir)).toEqual([]);
  });
});
