/**
 * COPY and ADD side by side with a real Docker 20.10 engine (BuildKit): the
 * same context and instructions, docker's image exported, ours copied into an
 * unpacked busybox rootfs, and every path under the destinations compared —
 * type, mode bits, owner, symlink target, content, and file mtimes (directory
 * mtimes are copy time in both).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  createReadStream,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyInto, planCopy } from '../../../src/build/copy/index.js';
import { Dockerignore } from '../../../src/context/dockerignore.js';
import type { SourceTree } from '../../../src/context/sources.js';
import { readTar } from '../../../src/layer/tar-reader.js';
import { busyboxRootfsTar } from '../../helpers/busybox.js';
import { dockerOk } from '../../helpers/docker.js';
import { tempRoot } from '../../helpers/tmp.js';
import { addIns, copyIns, hasher } from './fixtures.js';

const OLD = new Date('2001-02-03T04:05:06Z');

/** Each case: the Dockerfile line and the instruction we run for it. The destinations are disjoint. */
const CASES = [
  ['COPY a /f1', copyIns(['a'], '/f1')],
  ['COPY d /d1', copyIns(['d'], '/d1')],
  ['COPY a b.txt /m/', copyIns(['a', 'b.txt'], '/m/')],
  ['COPY --chown=app:app d /own/deep/', copyIns(['d'], '/own/deep/', { chown: 'app:app' })],
  ['COPY --chown=4242 a /n1', copyIns(['a'], '/n1', { chown: '4242' })],
  ['COPY priv /priv1', copyIns(['priv'], '/priv1')],
  ['COPY dlink /dl', copyIns(['dlink'], '/dl')],
  ['COPY absl /absl', copyIns(['absl'], '/absl')],
  ['COPY x*.txt /wild/', copyIns(['x*.txt'], '/wild/')],
  ['COPY nomatch* /nm/', copyIns(['nomatch*'], '/nm/')],
  ['COPY --chmod=640 d /cm/', copyIns(['d'], '/cm/', { chmod: '640' })],
  ['COPY . /all/', copyIns(['.'], '/all/')],
  ['ADD t.tar /ex/', addIns(['t.tar'], '/ex/')],
  ['ADD gz.data /tfile', addIns(['gz.data'], '/tfile')],
  ['ADD --chown=app ut.tar /town/', addIns(['ut.tar'], '/town/', { chown: 'app' })],
] as const;
const DESTS = [
  'f1',
  'd1',
  'm',
  'own',
  'n1',
  'priv1',
  'dl',
  'absl',
  'wild',
  'nm',
  'cm',
  'all',
  'ex',
  'tfile',
  'town',
];

function context(): string {
  const root = tempRoot('tsbuild-copy-docker-');
  mkdirSync(join(root, 'd/sub'), { recursive: true });
  mkdirSync(join(root, 'priv'), { mode: 0o700 });
  mkdirSync(join(root, 'e'));
  for (const f of [
    'a',
    'b.txt',
    'd/c',
    'd/sub/s',
    'priv/p',
    'x1.txt',
    'x2.txt',
    'e/.wh.q',
    'secret.key',
  ]) {
    writeFileSync(join(root, f), `${f}\n`);
  }
  chmodSync(join(root, 'a'), 0o4755);
  chmodSync(join(root, 'd/sub'), 0o750);
  symlinkSync('c', join(root, 'd/lnc'));
  symlinkSync('/nonexist', join(root, 'd/dangle'));
  linkSync(join(root, 'd/c'), join(root, 'd/hard'));
  symlinkSync('d', join(root, 'dlink'));
  symlinkSync('/a', join(root, 'absl'));

  for (const f of ['a', 'd/c', 'x1.txt']) utimesSync(join(root, f), OLD, OLD);
  execFileSync('tar', ['-cf', join(root, 't.tar'), '-C', join(root, 'e'), '.']);
  execFileSync('tar', ['-czf', join(root, 'gz.data'), '-C', join(root, 'e'), '.']);
  execFileSync('tar', [
    '-cf',
    join(root, 'ut.tar'),
    '--owner=1234',
    '--group=4321',
    '--numeric-owner',
    '-C',
    join(root, 'e'),
    '.',
  ]);
  writeFileSync(join(root, '.dockerignore'), '*.key\nDockerfile\n');
  const lines = ['FROM tsb-copy/base:1', ...CASES.map(([line]) => line), ''];
  writeFileSync(join(root, 'Dockerfile'), lines.join('\n'));
  return root;
}

/** One line per path: type, mode, owner, target or content digest, mtime (not for dirs). */
type Listing = Record<string, string>;

function describeEntry(
  type: string,
  mode: number,
  uid: number,
  gid: number,
  extra: string,
  mtime: number,
): string {
  const time = type === 'd' ? '' : ` @${Math.floor(mtime)}`;
  return `${type} ${(mode & 0o7777).toString(8)} ${uid}:${gid} ${extra}${time}`;
}

async function dockerListing(tar: string): Promise<Listing> {
  const out: Listing = {};
  for await (const e of readTar(createReadStream(tar))) {
    const name = e.name.toString().replace(/\/$/, '');
    const top = name.split('/')[0]!;
    let content = '';
    const chunks: Buffer[] = [];
    for await (const c of e.body) chunks.push(c);
    if (!DESTS.includes(top)) continue;
    const type = { file: 'f', dir: 'd', symlink: 'l', link: 'h' }[e.type as string] ?? e.type;
    if (e.type === 'file')
      content = createHash('sha256').update(Buffer.concat(chunks)).digest('hex').slice(0, 12);
    if (e.type === 'symlink') content = `-> ${e.linkname.toString()}`;
    if (e.type === 'link') content = `=> ${e.linkname.toString()}`;
    out[name] = describeEntry(type, e.mode, e.uid, e.gid, content, e.mtime);
  }
  return out;
}

function ourListing(rootfs: string): Listing {
  const out: Listing = {};
  const seen = new Map<number, string>();
  const visit = (rel: string) => {
    const abs = join(rootfs, rel);
    const st = lstatSync(abs);
    let type = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : 'f';
    let extra = '';
    if (type === 'l') extra = `-> ${readlinkSync(abs)}`;
    else if (type === 'f' && st.nlink > 1 && seen.has(st.ino)) {
      type = 'h';
      extra = `=> ${seen.get(st.ino)}`;
    } else if (type === 'f') {
      if (st.nlink > 1) seen.set(st.ino, rel);
      extra = createHash('sha256').update(readFileSync(abs)).digest('hex').slice(0, 12);
    }
    out[rel] = describeEntry(type, st.mode, st.uid, st.gid, extra, st.mtimeMs / 1000);
    if (type === 'd') for (const n of readdirSync(abs).sort()) visit(`${rel}/${n}`);
  };
  for (const d of DESTS) if (lstatSync(join(rootfs, d), { throwIfNoEntry: false })) visit(d);
  return out;
}

describe('COPY/ADD against Docker 20.10 BuildKit', () => {
  let busybox: string;
  beforeAll(async () => {
    busybox = await busyboxRootfsTar();
    await dockerOk(['import', busybox, 'tsb-copy/base:1']);
  }, 60_000);

  it('makes the same files, modes, owners, links and mtimes', async () => {
    const ctx = context();
    const env = { DOCKER_BUILDKIT: '1' };
    await dockerOk(['build', '--network=none', '-q', '-t', 'tsb-copy/out:1', ctx], { env });
    const cid = (await dockerOk(['create', 'tsb-copy/out:1', 'sh'])).stdout.trim();
    const tar = join(tempRoot(), 'fs.tar');
    await dockerOk(['export', '-o', tar, cid]);
    await dockerOk(['rm', cid]);
    const theirs = await dockerListing(tar);

    const rootfs = tempRoot('tsbuild-copy-docker-fs-');
    execFileSync('tar', ['-xf', busybox, '-C', rootfs]);
    const ignore = Dockerignore.parse(
      readFileSync(join(ctx, '.dockerignore'), 'utf8'),
      '.dockerignore',
    );
    const tree: SourceTree = { root: ctx, label: 'context', ignore };
    const workDir = tempRoot('tsbuild-copy-docker-work-');
    for (const [, ins] of CASES) {
      const { plan } = await planCopy(ins, {
        tree,
        workdir: '/',
        rootfsForChown: rootfs,
        hasher,
        workDir,
      });
      await copyInto(rootfs, plan);
    }
    expect(theirs['f1']).toBe('f 4755 0:0 87428fc52280 @981173106'); // setuid and mtime kept
    expect(Object.keys(theirs).filter((k) => k.startsWith('all/'))).not.toContain('all/secret.key');
    expect(ourListing(rootfs)).toEqual(theirs);
  }, 120_000);
});
