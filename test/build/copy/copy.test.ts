import {
  chownSync,
  lchownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  chmodSync,
  existsSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyInto, planCopy } from '../../../src/build/copy/index.js';
import { Dockerignore } from '../../../src/context/dockerignore.js';
import type { SourceTree } from '../../../src/context/sources.js';
import type { AddInstruction, CopyInstruction } from '../../../src/dockerfile/ast.js';
import { rejected } from '../../helpers/caught.js';
import { tempRoot } from '../../helpers/tmp.js';
import { contextTree, copyIns, facts, hasher, rootfs } from './fixtures.js';

const OLD = new Date('2001-02-03T04:05:06Z');

/** The context of the Docker 20.10 runs these tests pin. */
function context(): string {
  const root = tempRoot('tsbuild-copy-ctx-');
  mkdirSync(join(root, 'd/sub'), { recursive: true });
  mkdirSync(join(root, 'priv'), { mode: 0o700 });
  writeFileSync(join(root, 'a'), 'a\n');
  chmodSync(join(root, 'a'), 0o4755);
  writeFileSync(join(root, 'b.txt'), 'b\n');
  writeFileSync(join(root, 'd/c'), 'c\n');
  writeFileSync(join(root, 'd/sub/s'), 's\n');
  writeFileSync(join(root, 'd/skip.log'), 'log\n');
  chmodSync(join(root, 'd/sub'), 0o700);
  symlinkSync('c', join(root, 'd/lnc'));
  symlinkSync('/nonexist', join(root, 'd/dangle'));
  linkSync(join(root, 'd/c'), join(root, 'd/hard'));
  writeFileSync(join(root, 'priv/p'), 'p\n');
  symlinkSync('d', join(root, 'dlink'));
  utimesSync(join(root, 'a'), OLD, OLD);
  utimesSync(join(root, 'd/c'), OLD, OLD);
  return root;
}

async function run(
  ins: CopyInstruction | AddInstruction,
  opts: { tree?: SourceTree; fs?: string; workdir?: string; ctx?: string } = {},
) {
  const ctx = opts.ctx ?? context();
  const fs = opts.fs ?? rootfs();
  const tree = opts.tree ?? contextTree(ctx);
  const workDir = tempRoot('tsbuild-copy-work-');
  const { plan, checksum } = await planCopy(ins, {
    tree,
    workdir: opts.workdir ?? '/',
    rootfsForChown: fs,
    hasher,
    workDir,
  });
  await copyInto(fs, plan);
  return { fs, plan, checksum, at: (p: string) => join(fs, p) };
}

describe('COPY (Docker 20.10 confirmed, BuildKit)', () => {
  it('keeps a file’s mode bits, setuid included, and its mtime; owner 0:0', async () => {
    const { at } = await run(copyIns(['a'], '/f1'));
    expect(facts(at('f1'))).toBe('f 4755 0:0');
    expect(lstatSync(at('f1')).mtime).toEqual(OLD);
    expect(readFileSync(at('f1'), 'utf8')).toBe('a\n');
  });

  it.each(['/d1', '/d1/'])('copies a directory’s contents into %s, made 0755', async (dest) => {
    const { at } = await run(copyIns(['d'], dest));
    expect(facts(at('d1'))).toBe('d 0755 0:0');
    expect(facts(at('d1/sub'))).toBe('d 0700 0:0');
    expect(facts(at('d1/c'))).toBe('f 0644 0:0');
    expect(readlinkSync(at('d1/lnc'))).toBe('c');
    expect(readlinkSync(at('d1/dangle'))).toBe('/nonexist');
    expect(lstatSync(at('d1/hard')).ino).toBe(lstatSync(at('d1/c')).ino);
    expect(lstatSync(at('d1/c')).mtime).toEqual(OLD);
  });

  it('makes the destination 0755 whatever the source directory’s mode', async () => {
    const { at } = await run(copyIns(['priv'], '/priv1'));
    expect([facts(at('priv1')), facts(at('priv1/p'))]).toEqual(['d 0755 0:0', 'f 0644 0:0']);
  });

  it('follows a symlink named as the source, inside the context', async () => {
    const { at } = await run(copyIns(['dlink'], '/dl'));
    expect(readFileSync(at('dl/c'), 'utf8')).toBe('c\n');
  });

  it('puts several sources in a directory that ends in /', async () => {
    const { at } = await run(copyIns(['a', 'b.txt'], '/m/'));
    expect([facts(at('m/a')), facts(at('m/b.txt'))]).toEqual(['f 4755 0:0', 'f 0644 0:0']);
  });

  it('refuses several sources without a trailing /, in Docker’s words', async () => {
    const e = await rejected(run(copyIns(['a', 'b.txt'], '/dst')));
    expect(e.code).toBe('COPY_DEST_NOT_DIR');
    expect(e.message).toBe(
      'When using COPY with more than one source file, the destination must be a directory and end with a /',
    );
  });

  it('puts a file inside an existing directory, and resolves the destination relative to WORKDIR', async () => {
    const { at } = await run(copyIns(['a'], '/tmp'));
    expect(facts(at('tmp/a'))).toBe('f 4755 0:0');
    const rel = await run(copyIns(['a', 'b.txt'], 'sub/'), { workdir: '/app' });
    expect(existsSync(rel.at('app/sub/b.txt'))).toBe(true);
    const dot = await run(copyIns(['a'], '.'), { workdir: '/tmp' });
    expect(existsSync(dot.at('tmp/a'))).toBe(true);
  });

  it('--chown: every created directory and every entry; numbers and names as BuildKit reads them', async () => {
    const { at } = await run(copyIns(['d'], '/own/deep/', { chown: 'app:app' }));
    expect([facts(at('own')), facts(at('own/deep')), facts(at('own/deep/sub/s'))]).toEqual([
      'd 0755 1000:1000',
      'd 0755 1000:1000',
      'f 0644 1000:1000',
    ]);
    expect(lstatSync(at('own/deep/lnc')).uid).toBe(1000);
    const cases: [string, string][] = [
      ['4242', '4242:4242'],
      ['app', '1000:1000'],
      ['app:4242', '1000:4242'],
      ['4242:app', '4242:1000'],
      ['0:staff', '0:50'],
    ];
    for (const [chown, owner] of cases) {
      const r = await run(copyIns(['b.txt'], '/n', { chown }));
      expect(facts(r.at('n')).split(' ')[2]).toBe(owner);
    }
    expect((await rejected(run(copyIns(['a'], '/n', { chown: 'nosuch' })))).code).toBe(
      'UNKNOWN_USER',
    );
  });

  it('keeps the owners of a stage’s files without --chown; a context’s become 0:0', async () => {
    // Docker 20.10 confirmed (BuildKit; test/conformance case copy-from-stage-ownership)
    const stage = tempRoot('tsbuild-copy-stage-');
    mkdirSync(join(stage, 'out/sub'), { recursive: true });
    writeFileSync(join(stage, 'out/sub/f'), 'secret\n');
    symlinkSync('sub/f', join(stage, 'out/link'));
    for (const p of ['out/sub', 'out/sub/f']) chownSync(join(stage, p), 1000, 1000);
    lchownSync(join(stage, 'out/link'), 1000, 1000);
    const tree: SourceTree = { root: stage, label: 'stage build', keepOwners: true };
    const copied = await run(copyIns(['/out'], '/copied'), { ctx: stage, tree });
    expect([
      facts(copied.at('copied')),
      facts(copied.at('copied/sub')),
      facts(copied.at('copied/sub/f')),
      facts(copied.at('copied/link')),
    ]).toEqual(['d 0755 0:0', 'd 0755 1000:1000', 'f 0644 1000:1000', 'l 0777 1000:1000']);
    expect(copied.checksum.files.get('out/sub/f')).toMatch(/^file 644 1000:1000 /);
    const followed = await run(copyIns(['/out/link'], '/followed'), { ctx: stage, tree });
    expect(facts(followed.at('followed'))).toBe('f 0644 1000:1000');
    const chowned = await run(copyIns(['/out/sub'], '/chowned/', { chown: '0:0' }), {
      ctx: stage,
      tree,
    });
    expect(facts(chowned.at('chowned/f'))).toBe('f 0644 0:0');
    const fromContext = await run(copyIns(['out'], '/ctx/'), { ctx: stage });
    expect(facts(fromContext.at('ctx/sub/f'))).toBe('f 0644 0:0');
  });

  it('--chmod: files and directories under the destination, not the destination itself', async () => {
    const { at } = await run(copyIns(['d'], '/cm/', { chmod: '640' }));
    expect([facts(at('cm')), facts(at('cm/sub')), facts(at('cm/c'))]).toEqual([
      'd 0755 0:0',
      'd 0640 0:0',
      'f 0640 0:0',
    ]);
    expect((await rejected(run(copyIns(['a'], '/x', { chmod: 'u+q' })))).code).toBe(
      'INVALID_CHMOD',
    );
  });

  it('follows a symlink in the destination path inside the rootfs', async () => {
    const fs = rootfs();
    mkdirSync(join(fs, 'real'));
    symlinkSync('/real', join(fs, 'lnk'));
    symlinkSync('../../../../../../tmp/outside', join(fs, 'escape'));
    const { at } = await run(copyIns(['a'], '/lnk/viaLink'), { fs });
    expect(facts(at('real/viaLink'))).toBe('f 4755 0:0');
    await run(copyIns(['a'], '/escape/x'), { fs });
    expect(existsSync(at('tmp/outside/x'))).toBe(true); // the rootfs's /tmp, not the host's
  });

  it('never writes through a symlink below the destination: "cannot copy to non-directory"', async () => {
    const ctx = context();
    mkdirSync(join(ctx, 'tree/lib'), { recursive: true });
    writeFileSync(join(ctx, 'tree/lib/x'), 'x');
    const fs = rootfs();
    mkdirSync(join(fs, 'usr/lib'), { recursive: true });
    symlinkSync('usr/lib', join(fs, 'lib'));
    const e = await rejected(run(copyIns(['tree'], '/'), { ctx, fs }));
    expect(e.code).toBe('COPY_NOT_A_DIRECTORY');
    expect(e.message).toBe('cannot copy to non-directory: /lib');
    writeFileSync(join(fs, 'dd'), 'a file');
    expect((await rejected(run(copyIns(['d'], '/dd'), { ctx, fs }))).code).toBe(
      'COPY_NOT_A_DIRECTORY',
    );
  });

  it('gives an existing directory the source directory’s mode when merging into it', async () => {
    const fs = rootfs();
    mkdirSync(join(fs, 'x/sub'), { recursive: true, mode: 0o755 });
    const { at } = await run(copyIns(['d'], '/x/'), { fs });
    expect(facts(at('x/sub'))).toBe('d 0700 0:0');
  });

  it('writes through a destination symlink, dangling or not, inside the rootfs', async () => {
    const fs = rootfs();
    writeFileSync(join(fs, 'target'), 'f');
    symlinkSync('/target', join(fs, 'flink'));
    symlinkSync('/nothere', join(fs, 'dang'));
    await run(copyIns(['b.txt'], '/flink'), { fs });
    await run(copyIns(['b.txt'], '/dang'), { fs });
    expect(readlinkSync(join(fs, 'flink'))).toBe('/target');
    expect(readFileSync(join(fs, 'target'), 'utf8')).toBe('b\n');
    expect(readFileSync(join(fs, 'nothere'), 'utf8')).toBe('b\n');
  });

  it('replaces a file but never a directory with a file', async () => {
    const fs = rootfs();
    writeFileSync(join(fs, 'f'), 'old');
    mkdirSync(join(fs, 'dir/a'), { recursive: true });
    await run(copyIns(['b.txt'], '/f'), { fs });
    expect(readFileSync(join(fs, 'f'), 'utf8')).toBe('b\n');
    expect((await rejected(run(copyIns(['a'], '/dir/'), { fs }))).code).toBe(
      'COPY_REPLACES_DIRECTORY',
    );
  });

  it('refuses a URL, as BuildKit does ("source can\'t be a URL for COPY")', async () => {
    const e = await rejected(run(copyIns(['http://127.0.0.1:1/x'], '/x')));
    expect(e.code).toBe('COPY_URL');
    expect(e.message).toBe("source can't be a URL for COPY: http://127.0.0.1:1/x (use ADD)");
  });

  it('a wildcard matching nothing copies nothing', async () => {
    const { at } = await run(copyIns(['nomatch*'], '/nm/'));
    expect(existsSync(at('nm'))).toBe(false);
  });

  it('does not copy what .dockerignore or --exclude leave out', async () => {
    const ctx = context();
    const tree: SourceTree = {
      root: ctx,
      label: 'context',
      ignore: Dockerignore.parse('d/*.log\n', '.dockerignore'),
    };
    const ig = await run(copyIns(['d'], '/x/'), { ctx, tree });
    expect(existsSync(ig.at('x/skip.log'))).toBe(false);
    expect(existsSync(ig.at('x/c'))).toBe(true);
    const ex = await run(copyIns(['d'], '/x/', { exclude: ['*.log', 'sub'] }), { ctx });
    expect(existsSync(ex.at('x/skip.log'))).toBe(false);
    expect(existsSync(ex.at('x/sub'))).toBe(false);
    expect(existsSync(ex.at('x/c'))).toBe(true);
  });

  it('copies only what a .dockerignore exception brings back from an ignored directory', async () => {
    const ctx = context();
    const ignore = Dockerignore.parse('d\n!d/sub/s\n', '.dockerignore');
    const { at } = await run(copyIns(['d'], '/x/'), {
      ctx,
      tree: { root: ctx, label: 'context', ignore },
    });
    expect(readFileSync(at('x/sub/s'), 'utf8')).toBe('s\n');
    expect(readdirSync(at('x'))).toEqual(['sub']);
    expect(facts(at('x/sub'))).toBe('d 0700 0:0');
  });

  it('does not keep file capabilities, from the context or a stage', async () => {
    // Docker 20.10 confirmed, BuildKit and classic: `COPY --from=img /ping /p` of a
    // file with cap_net_raw+ep in the image makes /p without it.
    const stage = tempRoot('tsbuild-copy-stage-');
    writeFileSync(join(stage, 'ping'), 'binary');
    execFileSync('setcap', ['cap_net_raw+ep', join(stage, 'ping')]);
    const tree: SourceTree = { root: stage, label: 'stage build', keepOwners: true };
    const { at } = await run(copyIns(['ping'], '/p'), { ctx: stage, tree });
    expect(execFileSync('getcap', [at('p')]).toString()).toBe('');
  });

  it('stops when the signal is aborted', async () => {
    const ctx = context();
    const fs = rootfs();
    const { plan } = await planCopy(copyIns(['d'], '/x/'), {
      tree: contextTree(ctx),
      workdir: '/',
      rootfsForChown: fs,
      hasher,
      workDir: tempRoot(),
    });
    const e = await rejected(copyInto(fs, plan, { signal: AbortSignal.abort() }));
    expect(e.name).toBe('AbortError');
    expect(existsSync(join(fs, 'x'))).toBe(false);
  });

  it('--parents keeps each match’s path, from the root or from a /./ pivot', async () => {
    const { at } = await run(copyIns(['d/sub/s', 'd/./c', 'd/*.log'], '/p', { parents: true }));
    expect(readFileSync(at('p/d/sub/s'), 'utf8')).toBe('s\n');
    expect(readFileSync(at('p/c'), 'utf8')).toBe('c\n');
    expect(existsSync(at('p/d/skip.log'))).toBe(true);
    // the kept directories are copies of the source's: d/sub is 0700 in the context
    expect([facts(at('p/d')), facts(at('p/d/sub'))]).toEqual(['d 0755 0:0', 'd 0700 0:0']);
  });

  it('--parents matches --exclude from the root (BuildKit copies the root with an include pattern)', async () => {
    const { at } = await run(copyIns(['d'], '/p/', { parents: true, exclude: ['d/*.log', 'c'] }));
    expect(existsSync(at('p/d/skip.log'))).toBe(false);
    expect(existsSync(at('p/d/c'))).toBe(true); // 'c' would be d/c only relative to d
    const none = await run(copyIns(['d/c'], '/p/', { parents: true, exclude: ['d'] }));
    expect(existsSync(none.at('p'))).toBe(false);
  });

  it('--exclude matches under each wildcard match, not the match itself', async () => {
    const { at } = await run(copyIns(['d*'], '/w/', { exclude: ['sub', 'd'] }));
    expect(existsSync(at('w/c'))).toBe(true);
    expect(existsSync(at('w/sub'))).toBe(false);
  });

  it('writes a heredoc source as a 0644 file, inside a directory destination', async () => {
    const { at, checksum } = await run(
      copyIns([], '/etc/app/', { inline: [{ name: 'conf', content: 'x=1\n' }] }),
    );
    expect(facts(at('etc/app/conf'))).toBe('f 0644 0:0');
    expect(readFileSync(at('etc/app/conf'), 'utf8')).toBe('x=1\n');
    expect([...checksum.files.keys()]).toEqual(['<<conf']);
  });

  it('checksums what it copies, owner and mode included', async () => {
    const ctx = context();
    const plain = (await run(copyIns(['d'], '/x/'), { ctx })).checksum;
    const owned = (await run(copyIns(['d'], '/x/', { chown: 'app' }), { ctx })).checksum;
    expect(plain.digest).not.toBe(owned.digest);
    expect(plain.files.has('d/c')).toBe(true);
    expect((await run(copyIns(['d'], '/x/'), { ctx })).checksum.digest).toBe(plain.digest);
  });
});
