/**
 * Bad archives for load and import: each fails with one clear line naming the
 * file, entry or digest, exits 1, and leaves the store byte for byte as it was.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import tar from 'tar-stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { save } from '../../src/api/save.js';
import { sha256 } from '../../src/util/digest.js';
import { rejected } from '../helpers/caught.js';
import { cli } from '../helpers/cli.js';
import { tarOf } from '../helpers/images.js';
import { tempRoot } from '../helpers/tmp.js';

/** Every file under the store with its content hash: what "unchanged" means. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else
        out[relative(root, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(root);
  return out;
}

type Entry = {
  name: string;
  body?: string | Buffer;
  type?: 'file' | 'symlink' | 'directory' | 'character-device' | 'fifo';
  linkname?: string;
  devmajor?: number;
  devminor?: number;
};

async function archive(entries: Entry[]): Promise<string> {
  const pack = tar.pack();
  for (const e of entries)
    pack.entry(
      {
        name: e.name,
        type: e.type ?? 'file',
        linkname: e.linkname,
        mode: 0o644,
        devmajor: e.devmajor,
        devminor: e.devminor,
      },
      e.body ?? '',
    );
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  const file = join(tempRoot(), 'archive.tar');
  writeFileSync(file, Buffer.concat(chunks));
  return file;
}

const config = (diffIDs: string[]) =>
  JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: diffIDs },
  });

/** A docker-archive of one image, with parts replaceable. */
async function dockerArchive(
  opts: { layer?: Buffer; diffID?: string; extra?: Entry[]; manifest?: unknown } = {},
) {
  const layer = opts.layer ?? (await tarOf({ hello: 'world' }));
  const cfg = config([opts.diffID ?? sha256(layer)]);
  const cfgName = `${sha256(cfg).slice(7)}.json`;
  return archive([
    { name: cfgName, body: cfg },
    { name: 'l1/layer.tar', body: layer },
    ...(opts.extra ?? []),
    {
      name: 'manifest.json',
      body: JSON.stringify(
        opts.manifest ?? [{ Config: cfgName, RepoTags: ['bad:1'], Layers: ['l1/layer.tar'] }],
      ),
    },
  ]);
}

let root: string;
let before: Record<string, string>;
beforeAll(async () => {
  root = tempRoot();
  const good = await dockerArchive();
  expect((await cli(['load', '--root', root, '-i', good])).code).toBe(0);
  before = snapshot(root);
});

async function fails(argv: string[], message: RegExp) {
  const r = await cli([...argv, '--root', root]);
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(message);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(snapshot(root)).toEqual(before);
}

describe('load rejects bad archives and keeps the store as it was', () => {
  it('a truncated archive', async () => {
    const good = await dockerArchive({ layer: await tarOf({ a: 'x'.repeat(5000) }) });
    const cut = join(tempRoot(), 'cut.tar');
    writeFileSync(cut, readFileSync(good).subarray(0, 3000));
    await fails(['load', '-i', cut], /cut\.tar: not a valid image archive: .*(truncated|ends)/i);
  });

  it('garbage', async () => {
    const junk = join(tempRoot(), 'junk.tar');
    writeFileSync(junk, Buffer.from('this is not a tar archive at all'.repeat(40)));
    await fails(['load', '-i', junk], /junk\.tar: not a valid image archive/);
  });

  it('a layer whose digest is not the diff ID its config gives', async () => {
    const wrong = `sha256:${'e'.repeat(64)}`;
    const file = await dockerArchive({ layer: await tarOf({ other: '1' }), diffID: wrong });
    await fails(
      ['load', '-i', file],
      new RegExp(`digest mismatch in .*l1/layer\\.tar: expected ${wrong}, got sha256:`),
    );
  });

  it('a config whose content does not match its name', async () => {
    const layer = await tarOf({ x: '1' });
    const name = `${'a'.repeat(64)}.json`;
    const file = await archive([
      { name, body: config([sha256(layer)]) },
      { name: 'l.tar', body: layer },
      {
        name: 'manifest.json',
        body: JSON.stringify([{ Config: name, RepoTags: ['x:1'], Layers: ['l.tar'] }]),
      },
    ]);
    await fails(
      ['load', '-i', file],
      new RegExp(`digest mismatch in .*${name}: expected sha256:a{64}`),
    );
  });

  it('a layer that is not a tar, even with a matching digest', async () => {
    const notTar = Buffer.from('x'.repeat(1024));
    const file = await dockerArchive({ layer: notTar });
    await fails(['load', '-i', file], /l1\/layer\.tar: not a valid layer tar/);
  });

  it('an entry that climbs out of the archive', async () => {
    const outside = join(tempRoot(), 'sentinel');
    const file = await dockerArchive({
      extra: [{ name: `../../../../../../..${outside}`, body: 'pwned' }],
    });
    await fails(
      ['load', '-i', file],
      /not a valid image archive: layer entry ".*sentinel": path escapes the root/,
    );
    expect(existsSync(outside)).toBe(false);
  });

  it('a manifest that points through a symlink at a host file', async () => {
    const layer = await tarOf({ x: '1' });
    const file = await archive([
      { name: 'evil.json', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'l.tar', body: layer },
      {
        name: 'manifest.json',
        body: JSON.stringify([{ Config: 'evil.json', RepoTags: ['x:1'], Layers: ['l.tar'] }]),
      },
    ]);
    await fails(['load', '-i', file], /"evil\.json" points outside the archive/);
  });

  it('device and fifo entries, which could make load read a host device or hang', async () => {
    const layer = await tarOf({ x: '1' });
    const manifest = JSON.stringify([{ Config: 'cfg.json', RepoTags: ['x:1'], Layers: ['l.tar'] }]);
    const dev = await archive([
      { name: 'cfg.json', type: 'character-device', devmajor: 1, devminor: 3 },
      { name: 'l.tar', body: layer },
      { name: 'manifest.json', body: manifest },
    ]);
    await fails(
      ['load', '-i', dev],
      /entry "cfg\.json": a char entry, which image archives never hold/,
    );
    const fifo = await archive([{ name: 'manifest.json', type: 'fifo' }]);
    await fails(['load', '-i', fifo], /entry "manifest\.json": a fifo entry/);
  });

  it('a file written through a symlink the archive made', async () => {
    const outside = tempRoot();
    const file = await archive([
      { name: 'up', type: 'symlink', linkname: outside },
      { name: 'up/planted', body: 'x' },
    ]);
    await fails(['load', '-i', file], /entry "up\/planted": its parent "up" is not a directory/);
    expect(existsSync(join(outside, 'planted'))).toBe(false);
  });

  it('manifests that are not what docker writes', async () => {
    const notJson = await archive([{ name: 'manifest.json', body: '{not json' }]);
    await fails(['load', '-i', notJson], /manifest\.json is not valid JSON/);
    const badLayers = await archive([
      { name: 'manifest.json', body: JSON.stringify([{ Config: 'c.json', Layers: [42] }]) },
    ]);
    await fails(
      ['load', '-i', badLayers],
      /manifest\.json entry 0 is not \{Config, RepoTags, Layers\}/,
    );
  });

  it('an OCI layout with a layer media type it does not know', async () => {
    const layer = await tarOf({ x: '1' });
    const cfg = config([sha256(layer)]);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha256(cfg),
        size: cfg.length,
      },
      layers: [{ mediaType: 'application/x-made-up', digest: sha256(layer), size: layer.length }],
    });
    const blob = (d: string) => `blobs/sha256/${d.slice(7)}`;
    const file = await archive([
      { name: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}' },
      { name: blob(sha256(cfg)), body: cfg },
      { name: blob(sha256(layer)), body: layer },
      { name: blob(sha256(manifest)), body: manifest },
      {
        name: 'index.json',
        body: JSON.stringify({
          schemaVersion: 2,
          manifests: [
            {
              mediaType: 'application/vnd.oci.image.manifest.v1+json',
              digest: sha256(manifest),
              size: manifest.length,
            },
          ],
        }),
      },
    ]);
    await fails(
      ['load', '-i', file],
      /unknown layer media type "application\/x-made-up" for sha256:/,
    );
  });

  it('an archive that is neither a docker-archive nor an OCI layout', async () => {
    const file = await archive([{ name: 'README', body: 'hello' }]);
    await fails(
      ['load', '-i', file],
      /neither manifest\.json \(docker-archive\) nor index\.json \(OCI layout\) found/,
    );
  });

  it('a file that does not exist', async () => {
    await fails(
      ['load', '-i', '/nonexistent/x.tar'],
      /\/nonexistent\/x\.tar: no such file or directory/,
    );
  });
});

describe('import and save reject bad input and keep the store as it was', () => {
  it('import of something that is not a tar', async () => {
    const junk = join(tempRoot(), 'rootfs.tar');
    writeFileSync(junk, Buffer.from('nope'.repeat(300)));
    await fails(['import', junk, 'x:1'], /rootfs\.tar: not a valid layer tar/);
  });

  it('import of a file that does not exist', async () => {
    await fails(
      ['import', '/nonexistent/rootfs.tar'],
      /^error: open \/nonexistent\/rootfs\.tar: no such file or directory\n$/,
    );
  });

  it('import of a corrupt xz stream stops xz and says what xz said', async () => {
    const xz = join(tempRoot(), 'rootfs.tar.xz');
    const good = execFileSync('xz', ['-c', '-0'], {
      input: randomBytes(4 << 20),
      maxBuffer: 64 << 20,
    });
    writeFileSync(xz, Buffer.concat([good.subarray(0, 64), randomBytes(1 << 20)]));
    await fails(['import', xz], /rootfs\.tar\.xz/);
    expect(
      execFileSync('ps', ['-o', 'comm=', '--ppid', String(process.pid)]).toString(),
    ).not.toMatch(/^xz$/m);
  });

  it('save to a directory that does not exist', async () => {
    await fails(
      ['save', '-o', '/nonexistent/dir/out.tar', 'bad:1'],
      /^error: cannot write \/nonexistent\/dir\/out\.tar: no such directory\n$/,
    );
  });

  it('save to an output that fails (a closed pipe) is one clear error', async () => {
    const output = new Writable({
      write: (_c, _e, done) => done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })),
    });
    const e = await rejected(save({ root, images: ['bad:1'], output }));
    expect(e).toMatchObject({ code: 'OUTPUT', message: 'writing the archive: write EPIPE' });
    expect(snapshot(root)).toEqual(before);
  });

  it('save of an image that does not exist writes no file', async () => {
    const out = join(tempRoot(), 'out.tar');
    await fails(['save', '-o', out, 'bad:1', 'missing:2'], /No such image: missing:2/);
    expect(existsSync(out)).toBe(false);
  });
});
