/**
 * Every layer stored once (issue 15): a layer tsbuild built is its snapshot
 * alone, its tar made again byte for byte when save or push needs it and
 * checked against the diff ID as it streams; a pulled layer keeps the
 * compressed bytes it came as, and goes to another repository under their
 * digest; prune takes a snapshot no image or cache record holds.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  readdirSync,
  readFileSync,
  utimesSync,
} from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { tarDirectory } from '../../src/layer/writer.js';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pull } from '../../src/api/pull.js';
import { push, type PushEvent } from '../../src/api/push.js';
import { tag } from '../../src/api/tag.js';
import { Store } from '../../src/store/store.js';
import { busyboxRootfsTar } from '../helpers/busybox.js';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';
import { startRegistry, type Registry } from '../setup/registry.js';
import { buildIn, configOf, contextOf, flatten, storeWithBusybox } from '../build/harness.js';

const hex = (d: string) => d.slice('sha256:'.length);
const blobNames = (root: string) => readdirSync(join(root, 'blobs', 'sha256'));
/** Disk the store takes, in bytes: allocated blocks, a hardlinked file once. */
const diskBytes = (root: string) =>
  Number(execFileSync('du', ['-sB1', root], { encoding: 'utf8' }).split('\t')[0]);

/** sha256 of every regular entry of a tar file, by name. */
async function entryDigests(file: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const hash = createHash('sha256');
    stream.on('data', (c) => void hash.update(c as Buffer));
    stream.on('end', () => {
      out.set(header.name, `sha256:${hash.digest('hex')}`);
      next();
    });
  });
  await pipeline(createReadStream(file), extract);
  return out;
}

/** The layer digests of the manifest tagged 1 in `repo`, as the registry serves it. */
async function layersOf(reg: Registry, repo: string): Promise<string[]> {
  const res = await fetch(`http://${reg.host}/v2/${repo}/manifests/1`, {
    headers: {
      accept:
        'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
    },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { layers: { digest: string }[] }).layers.map((l) => l.digest);
}

const DOCKERFILE = [
  'FROM busybox',
  // 32 MiB the base does not dwarf, a whiteout, a new directory.
  'RUN head -c 33554432 /dev/urandom > /big && rm /bin/ls && mkdir -p /d && echo x > /d/f',
  'RUN echo small > /small',
].join('\n');

describe('a layer tsbuild built', () => {
  let root: string;
  let built: string[];
  beforeAll(async () => {
    root = await storeWithBusybox();
    await buildIn(root, { context: contextOf({ Dockerfile: DOCKERFILE }), tags: ['once:1'] });
    built = (await configOf(root, 'once:1')).rootfs.diff_ids.slice(1);
  }, 120_000);

  it('is kept as its snapshot alone: no blob of its tar', () => {
    expect(built).toHaveLength(2);
    for (const diffID of built) {
      expect(blobNames(root)).not.toContain(hex(diffID));
      expect(existsSync(join(root, 'snapshots', hex(diffID), 'small'))).toBe(diffID === built[1]);
    }
  });

  it('leaves a store of at most 1.1 times the unpacked size of what it built', async () => {
    const r = await cli(['inspect', '--root', root, '-f', '{{.Size}}', 'once:1']);
    const unpacked = Number(r.stdout.trim());
    expect(unpacked).toBeGreaterThan(32 << 20);
    expect(diskBytes(root) / unpacked).toBeLessThanOrEqual(1.1);
  });

  it('is made again byte for byte by save: each layer in the archive hashes to its diff ID', async () => {
    const out = join(tempRoot(), 'once.tar');
    const r = await cli(['save', '--root', root, '-o', out, 'once:1']);
    expect(r.stderr).toBe('');
    const digests = await entryDigests(out);
    for (const diffID of built) expect(digests.get(`blobs/sha256/${hex(diffID)}`)).toBe(diffID);
    // And the image it describes is what was built: the same files.
    const back = tempRoot();
    expect((await cli(['load', '--root', back, '-i', out])).code).toBe(0);
    const flat = await flatten(back, 'once:1');
    expect(readFileSync(join(flat, 'small'), 'utf8')).toBe('small\n');
    expect(existsSync(join(flat, 'bin', 'ls'))).toBe(false);
  }, 60_000);

  it('is checked as its tar streams: a damaged snapshot fails save with one line and no output file', async () => {
    const own = await storeWithBusybox();
    await buildIn(own, {
      context: contextOf({ Dockerfile: 'FROM busybox\nRUN echo one > /one\n' }),
      tags: ['dmg:1'],
    });
    const diffID = (await configOf(own, 'dmg:1')).rootfs.diff_ids[1]!;
    appendFileSync(join(own, 'snapshots', hex(diffID), 'one'), 'tampered');
    const out = join(tempRoot(), 'dmg.tar');
    const r = await cli(['save', '--root', own, '-o', out, 'dmg:1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: layer ${diffID} is damaged in the store: its snapshot gives a tar with digest sha256:[0-9a-f]{64};.*\\n$`,
      ),
    );
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('goes when prune finds that no image or cache record holds it', async () => {
    const own = await storeWithBusybox();
    await buildIn(own, {
      context: contextOf({ Dockerfile: 'FROM busybox\nRUN echo gone > /gone\n' }),
      tags: ['gone:1'],
    });
    const diffID = (await configOf(own, 'gone:1')).rootfs.diff_ids[1]!;
    expect((await cli(['rmi', '--root', own, 'gone:1'])).code).toBe(0);
    // rmi takes the image's own layer with it, as docker rmi does.
    expect(existsSync(join(own, 'snapshots', hex(diffID)))).toBe(false);

    const untagged = await buildIn(own, {
      context: contextOf({ Dockerfile: 'FROM busybox\nRUN echo kept > /kept\n' }),
    });
    const store = await Store.open(own);
    const kept = store.snapshots.path((await configOf(own, untagged.id)).rootfs.diff_ids[1]!);
    expect(existsSync(kept)).toBe(true);
    // Past prune's grace period for things a concurrent build may be about to list.
    const old = new Date(Date.now() - 3600_000);
    for (const name of readdirSync(join(own, 'layers')))
      utimesSync(join(own, 'layers', name), old, old);
    utimesSync(kept, old, old);
    // Untagged, nothing built on it: a dangling image, and then its layer is nobody's.
    expect((await cli(['prune', '--root', own, '--all'])).code).toBe(0);
    expect(existsSync(kept)).toBe(false);
  }, 60_000);
});

describe('a layer imported as an uncompressed tar', () => {
  it('once extracted, goes from a blob to its snapshot alone when tsbuild can make the very same tar again', async () => {
    const root = tempRoot();
    // A rootfs tar that tsbuild's own writer made (as `save` would hold it)...
    const rootfs = tempRoot();
    execFileSync('tar', ['-xpf', await busyboxRootfsTar(), '-C', rootfs]);
    const own = join(tempRoot(), 'own.tar');
    await pipeline(tarDirectory(rootfs), createWriteStream(own));
    expect((await cli(['import', '--root', root, own, 'ownbase:1'])).code).toBe(0);
    const diffID = (await configOf(root, 'ownbase:1')).rootfs.diff_ids[0]!;
    expect(blobNames(root)).toContain(hex(diffID));
    await buildIn(root, {
      context: contextOf({ Dockerfile: 'FROM ownbase:1\nRUN echo x > /x\n' }),
      tags: ['onown:1'],
    });
    expect(blobNames(root)).not.toContain(hex(diffID));
    expect(existsSync(join(root, 'snapshots', hex(diffID), 'bin', 'busybox'))).toBe(true);
    const out = join(tempRoot(), 'own-saved.tar');
    expect((await cli(['save', '--root', root, '-o', out, 'onown:1'])).code).toBe(0);
    expect((await entryDigests(out)).get(`blobs/sha256/${hex(diffID)}`)).toBe(diffID);

    // ...while a tar of another writer keeps its blob: its bytes could not be made again.
    const other = await storeWithBusybox();
    await buildIn(other, { context: contextOf({ Dockerfile: 'FROM busybox\nRUN echo x > /x\n' }) });
    const base = (await configOf(other, 'busybox:latest')).rootfs.diff_ids[0]!;
    expect(blobNames(other)).toContain(hex(base));
  }, 60_000);
});

describe('a layer that came from a registry', () => {
  let reg: Registry;
  const env = { HOME: '/nonexistent' };
  beforeAll(async () => {
    reg = await startRegistry();
  }, 60_000);
  afterAll(async () => {
    await reg?.stop();
  });

  it('keeps the compressed bytes it came as, builds on them, and goes elsewhere under their digest', async () => {
    const a = await storeWithBusybox();
    const base = `${reg.host}/once/base:1`;
    await tag({ root: a, source: 'busybox:latest', target: base });
    await push({ root: a, env, reference: base });
    const gz = (await layersOf(reg, 'once/base'))[0]!;

    const b = tempRoot();
    await pull({ root: b, env, reference: base });
    const diffID = (await configOf(b, base)).rootfs.diff_ids[0]!;
    expect(blobNames(b)).toContain(hex(gz));
    expect(blobNames(b)).not.toContain(hex(diffID));
    expect(existsSync(join(b, 'snapshots', hex(diffID)))).toBe(false);

    // A step needs it: its snapshot is made from the compressed bytes.
    await buildIn(b, {
      context: contextOf({ Dockerfile: `FROM ${base}\nRUN echo child > /child\n` }),
      tags: [`${reg.host}/once/child:1`],
    });
    expect(existsSync(join(b, 'snapshots', hex(diffID), 'bin', 'busybox'))).toBe(true);

    await tag({ root: b, source: `${reg.host}/once/child:1`, target: `${reg.host}/other/child:1` });
    const events: PushEvent[] = [];
    await push({
      root: b,
      env,
      reference: `${reg.host}/other/child:1`,
      onEvent: (e) => events.push(e),
    });
    expect(events.map((e) => e.status)).toContain('Mounted from once/base');
    expect((await layersOf(reg, 'other/child'))[0]).toBe(gz);
  }, 120_000);
});
