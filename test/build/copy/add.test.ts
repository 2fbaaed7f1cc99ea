import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyInto, planCopy, type Download } from '../../../src/build/copy/index.js';
import { download, urlFileName } from '../../../src/build/copy/download.js';
import { TsbuildError } from '../../../src/errors.js';
import type { AddInstruction } from '../../../src/dockerfile/ast.js';
import { caught, rejected } from '../../helpers/caught.js';
import { tempRoot } from '../../helpers/tmp.js';
import { addIns, contextTree, facts, hasher, rootfs } from './fixtures.js';
import { contextOf } from '../harness.js';

/** A context with one tar in every compression, named so that names cannot be what tells them apart. */
function context(): string {
  const root = tempRoot('tsbuild-add-ctx-');
  const src = join(root, 'src');
  mkdirSync(join(src, 'e'), { recursive: true });
  writeFileSync(join(src, 'e/q'), 'new\n');
  writeFileSync(join(src, '.wh.keep'), 'not a whiteout\n');
  const tar = ['--owner=1234', '--group=4321', '--numeric-owner', '-C', src, '.'];
  execFileSync('tar', ['-cf', join(root, 't.tar'), ...tar]);
  execFileSync('tar', ['-czf', join(root, 'gz.data'), ...tar]);
  execFileSync('tar', ['-cjf', join(root, 'bz.data'), ...tar]);
  execFileSync('tar', ['-cJf', join(root, 'xz.data'), ...tar]);
  writeFileSync(join(root, 'plain.tar'), 'not a tar at all, whatever the name says\n');
  execFileSync('sh', ['-c', `echo hello | gzip > ${join(root, 'hello.gz')}`]);
  return root;
}

async function add(
  ins: AddInstruction,
  ctx: string,
  fs = rootfs(),
  downloads?: Map<string, Promise<Download>>,
) {
  const workDir = join(tempRoot('tsbuild-add-work-'), 'downloads'); // made when first needed
  const { plan, checksum } = await planCopy(ins, {
    tree: contextTree(ctx),
    workdir: '/',
    rootfsForChown: fs,
    hasher,
    workDir,
    downloads,
  });
  await copyInto(fs, plan);
  return { at: (p: string) => join(fs, p), checksum, fs };
}

describe('ADD of local archives (Docker 20.10 confirmed, BuildKit)', () => {
  const ctx = context();

  it.each(['t.tar', 'gz.data', 'bz.data', 'xz.data'])(
    'extracts %s, told by its content',
    async (name) => {
      const { at } = await add(addIns([name], '/x/'), ctx);
      expect(readFileSync(at('x/e/q'), 'utf8')).toBe('new\n');
    },
  );

  it('extracts into the destination even without a trailing /', async () => {
    const { at } = await add(addIns(['t.tar'], '/tfile'), ctx);
    expect(facts(at('tfile'))).toBe('d 0755 0:0');
    expect(existsSync(at('tfile/e/q'))).toBe(true);
  });

  it('merges into what is there, overwrites files, and reads no whiteouts', async () => {
    const fs = rootfs();
    mkdirSync(join(fs, 'ex/e'), { recursive: true });
    writeFileSync(join(fs, 'ex/e/q'), 'old\n');
    writeFileSync(join(fs, 'ex/keep'), 'keep\n');
    const { at } = await add(addIns(['t.tar'], '/ex/'), ctx, fs);
    expect(readFileSync(at('ex/e/q'), 'utf8')).toBe('new\n');
    expect(readFileSync(at('ex/keep'), 'utf8')).toBe('keep\n');
    expect(readFileSync(at('ex/.wh.keep'), 'utf8')).toBe('not a whiteout\n');
  });

  it('keeps the archive’s owners; --chown owns only the directory ADD makes', async () => {
    const { at } = await add(addIns(['t.tar'], '/town/', { chown: 'app' }), ctx);
    expect(facts(at('town')).split(' ')[2]).toBe('1000:1000');
    expect(facts(at('town/e/q')).split(' ')[2]).toBe('1234:4321');
  });

  it('copies a file that is not a tar, even a gzipped one, as it is', async () => {
    const { at } = await add(addIns(['plain.tar', 'hello.gz'], '/f/'), ctx);
    expect(readFileSync(at('f/plain.tar'), 'utf8')).toContain('not a tar');
    expect(readFileSync(at('f/hello.gz'))).toEqual(readFileSync(join(ctx, 'hello.gz')));
  });
});

describe('ADD of URLs', () => {
  let server: Server;
  let base: string;
  const requests: string[] = [];
  const body = Buffer.from('hello\n');
  const tgz = readFileSync(join(context(), 'gz.data'));
  const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/file.txt' || path === '/') {
        res.writeHead(200, { 'Last-Modified': 'Tue, 07 Jun 2005 08:09:10 GMT' });
        res.end(body);
      } else if (path === '/arch.tgz') {
        res.end(tgz);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it('downloads a 0600 file with Last-Modified as its mtime (Docker 20.10 confirmed)', async () => {
    const { at, checksum } = await add(addIns([`${base}/file.txt`], '/u1'), context());
    expect(facts(at('u1'))).toBe('f 0600 0:0');
    expect(readFileSync(at('u1'))).toEqual(body);
    expect(lstatSync(at('u1')).mtime).toEqual(new Date('2005-06-07T08:09:10Z'));
    expect(checksum.files.has(`${base}/file.txt`)).toBe(true);
  });

  it('names the file after the URL path, without the query (Docker 20.10 confirmed)', async () => {
    const { at } = await add(
      addIns([`${base}/file.txt?x=1`, `${base}/`], '/ud/', { chown: 'app' }),
      context(),
    );
    expect(facts(at('ud/file.txt'))).toBe('f 0600 1000:1000');
    expect(existsSync(at('ud/__unnamed__'))).toBe(true);
  });

  it('never extracts a download (Docker 20.10 confirmed)', async () => {
    const { at } = await add(addIns([`${base}/arch.tgz`], '/ua/'), context());
    expect(readFileSync(at('ua/arch.tgz'))).toEqual(tgz);
  });

  it('verifies --checksum, naming the URL', async () => {
    const ok = await add(addIns([`${base}/file.txt`], '/c', { checksum: sha(body) }), context());
    expect(readFileSync(ok.at('c'))).toEqual(body);
    const wrong = sha(Buffer.from('other'));
    const e = await rejected(
      add(addIns([`${base}/file.txt`], '/c', { checksum: wrong }), context()),
    );
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(e.message).toContain(`${base}/file.txt`);
    expect((e as unknown as { data: object }).data).toMatchObject({
      expected: wrong,
      actual: sha(body),
    });
  });

  it('leaves no file behind when the checksum does not match', async () => {
    const dir = tempRoot('tsbuild-add-dl-');
    const e = await rejected(
      download(`${base}/file.txt`, { dir, checksum: sha(Buffer.from('x')) }),
    );
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('fails clearly on an HTTP error', async () => {
    const e = await rejected(add(addIns([`${base}/missing`], '/m'), context()));
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.message).toBe(`failed to download ${base}/missing: HTTP 404`);
  });

  it('downloads a URL once per build, however many steps use it', async () => {
    const downloads = new Map<string, Promise<Download>>();
    const before = requests.length;
    const first = await add(
      addIns([`${base}/file.txt?once`], '/a'),
      context(),
      rootfs(),
      downloads,
    );
    const second = await add(
      addIns([`${base}/file.txt?once`], '/b'),
      context(),
      rootfs(),
      downloads,
    );
    expect(requests.length - before).toBe(1);
    expect(readFileSync(second.at('b'))).toEqual(body);
    expect(first.checksum.files.get(`${base}/file.txt?once`)).toBe(
      `url 600 0:0 "file.txt" ${sha(body).slice(7)}`,
    );
  });

  it.each([
    'git@github.com:moby/buildkit.git',
    'https://github.com/moby/buildkit.git#v1:docs',
    'git://h/r',
  ])('hands the git source %s to the build and copies the tree it gets', async (src) => {
    const tree = contextOf({ 'a.txt': 'from git\n', 'sub/b.txt': 'b\n' });
    const asked: [string, boolean][] = [];
    const fs = rootfs();
    const { plan } = await planCopy(addIns([src], '/g'), {
      tree: contextTree(context()),
      workdir: '/',
      rootfsForChown: fs,
      hasher,
      workDir: tempRoot('tsbuild-add-work-'),
      git: async (url, keep) => {
        asked.push([url, keep]);
        return { dir: tree, commit: 'c'.repeat(40) };
      },
    });
    await copyInto(fs, plan);
    expect(asked).toEqual([[src, false]]);
    expect(readFileSync(join(fs, 'g/sub/b.txt'), 'utf8')).toBe('b\n');
  });
});

describe('urlFileName', () => {
  it('names a download after the URL path, and refuses a malformed one clearly', () => {
    expect(urlFileName('http://127.0.0.1/a/b%20c.tgz')).toBe('b c.tgz');
    expect(urlFileName('http://127.0.0.1/')).toBe('__unnamed__');
    expect(caught(() => urlFileName('http://127.0.0.1/%E0%A4%A'), TsbuildError).code).toBe(
      'DOWNLOAD_FAILED',
    );
  });
});
