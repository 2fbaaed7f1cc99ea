/**
 * openContext against a real Docker 20.10 engine (BuildKit): for each layout,
 * `docker build -o type=local` of `FROM scratch` / `COPY . /` shows which
 * files Docker's context holds, and they must be the files of our context
 * that our chosen .dockerignore leaves in. This pins which Dockerfile and
 * which ignore file are picked (`<Dockerfile>.dockerignore`, lowercase
 * `dockerfile`, -f outside the context, archives on stdin); the pattern
 * semantics themselves are the table in test/fixtures/dockerignore.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openContext, type OpenContextOptions } from '../../src/context/open.js';
import { dockerOk } from '../helpers/docker.js';
import { tempRoot } from '../helpers/tmp.js';

const DF = 'FROM scratch\nCOPY . /\n';

interface Layout {
  name: string;
  /** Files under root/ctx (and `../x` for files beside it). */
  files: Record<string, string>;
  /** docker build arguments before the context, e.g. ['-f', 'ctx/build/app.Dockerfile']. */
  flags?: string[];
  /** Send root/ctx as a tar on stdin. */
  tar?: boolean;
  /** Send this text on stdin as the context. */
  stdinText?: string;
}

const LAYOUTS: Layout[] = [
  { name: '.dockerignore', files: { Dockerfile: DF, '.dockerignore': 'a\n', a: '', b: '' } },
  {
    name: 'Dockerfile.dockerignore wins over .dockerignore',
    files: {
      Dockerfile: DF,
      'Dockerfile.dockerignore': 'b\n',
      '.dockerignore': 'a\n',
      a: '',
      b: '',
    },
  },
  {
    name: '-f build/app.Dockerfile reads build/app.Dockerfile.dockerignore',
    files: {
      'build/app.Dockerfile': DF,
      'build/app.Dockerfile.dockerignore': 'b\n',
      'build/.dockerignore': 'c\n',
      '.dockerignore': 'a\n',
      a: '',
      b: '',
      c: '',
    },
    flags: ['-f', 'ctx/build/app.Dockerfile'],
  },
  {
    name: '-f build/app.Dockerfile without its own reads <context>/.dockerignore',
    files: {
      'build/app.Dockerfile': DF,
      'build/.dockerignore': 'b\n',
      '.dockerignore': 'a\n',
      a: '',
      b: '',
    },
    flags: ['-f', 'ctx/build/app.Dockerfile'],
  },
  {
    name: '-f outside the context, with its .dockerignore beside it',
    files: {
      '../out.Dockerfile': DF,
      '../out.Dockerfile.dockerignore': 'b\n',
      '.dockerignore': 'a\n',
      a: '',
      b: '',
    },
    flags: ['-f', 'out.Dockerfile'],
  },
  { name: 'lowercase dockerfile', files: { dockerfile: DF, '.dockerignore': 'a\n', a: '', b: '' } },
  {
    name: 'a tar on stdin keeps what its .dockerignore names',
    files: {
      Dockerfile: DF,
      '.dockerignore': 'a\n',
      'Dockerfile.dockerignore': 'b\n',
      a: '',
      b: '',
    },
    tar: true,
  },
  { name: 'a bare Dockerfile on stdin: empty context', files: {}, stdinText: DF },
];

async function filesUnder(dir: string, keep: (rel: string) => boolean = () => true) {
  const out: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const rel = relative(dir, join(e.parentPath, e.name));
    if (keep(rel)) out.push(rel);
  }
  return out.sort();
}

describe('openContext picks the Dockerfile and .dockerignore Docker picks', () => {
  for (const l of LAYOUTS) {
    it(l.name, async () => {
      const root = tempRoot();
      const ctx = join(root, 'ctx');
      await mkdir(ctx);
      for (const [name, content] of Object.entries(l.files)) {
        await mkdir(join(ctx, name, '..'), { recursive: true });
        await writeFile(join(ctx, name), content);
      }
      const input = l.tar
        ? execFileSync('tar', ['-C', ctx, '-c', '.'])
        : l.stdinText !== undefined
          ? Buffer.from(l.stdinText)
          : undefined;
      const out = join(root, 'out');
      const context = input ? '-' : 'ctx';
      const flags = l.flags ?? [];
      await dockerOk(
        ['build', '--network=none', '-q', ...flags, '-o', `type=local,dest=${out}`, context],
        { cwd: root, env: { DOCKER_BUILDKIT: '1' }, input },
      );
      const opts: OpenContextOptions = {
        context,
        dockerfile: flags[1],
        cwd: root,
        stdin: input ? Readable.from([input]) : undefined,
        tmpDir: await mkdtemp(join(root, 'tmp-')),
      };
      const c = await openContext(opts);
      try {
        const ours = await filesUnder(c.dir, (rel) => !c.ignore.matches(rel).excluded);
        expect(ours).toEqual(await filesUnder(out).catch(() => []));
        expect(c.dockerfile.text).toBe(DF);
      } finally {
        await c.close();
      }
    });
  }
});
