/**
 * `--annotation` in what a build writes out (issue 17, "Flags CI scripts
 * pass"): the OCI and Docker archives of `--output`, read by skopeo and umoci;
 * the store keeps none (as Docker's image store). Pushes: test/registry/annotations.test.ts.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { formatPlatform, hostPlatform } from '../../src/dockerfile/scope.js';
import { MediaType, type ImageIndex } from '../../src/image/types.js';
import { sha256 } from '../../src/util/digest.js';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';
import { contextOf, storeWithBusybox } from './harness.js';

const exec = promisify(execFile);
const skopeo = async (...args: string[]) =>
  (await exec('skopeo', ['--insecure-policy', ...args], { maxBuffer: 64 << 20 })).stdout;

let root: string;
let ctx: string;
beforeAll(async () => {
  root = await storeWithBusybox();
  ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN echo annotated > /a.txt\n' });
});

const HOST = formatPlatform(hostPlatform());
const OTHER = HOST === 'linux/s390x' ? 'linux/amd64' : 'linux/s390x';

const ANNOTATIONS = [
  '--annotation',
  'org.opencontainers.image.title=Annotated',
  '--annotation',
  'manifest:com.example.both=any',
  // The build's own platform wins over the unqualified value above.
  '--annotation',
  `manifest[${HOST}]:com.example.both=own`,
  '--annotation',
  'manifest-descriptor:com.example.desc=on the descriptor',
];

/** An archive's files, extracted. */
async function extract(tarFile: string): Promise<string> {
  const dir = tempRoot('tsbuild-annot-x-');
  await exec('tar', ['-xf', tarFile, '-C', dir]);
  return dir;
}

const json = <T>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T;

describe('--annotation in --output type=oci|docker', () => {
  it.each(['oci', 'docker'])(
    'type=%s: the manifest and its index.json entry carry them',
    async (type) => {
      const out = join(tempRoot('tsbuild-annot-'), 'img.tar');
      const meta = join(tempRoot('tsbuild-annot-meta-'), 'm.json');
      const r = await cli(
        [
          'build',
          '--root',
          root,
          '-q',
          ...ANNOTATIONS,
          '--metadata-file',
          meta,
          '-t',
          `annotated-${type}:1`,
          '-o',
          `type=${type},dest=${out}`,
          ctx,
        ],
        { env: {} },
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      // skopeo, reading the OCI layout, sees them on the manifest.
      const manifest = JSON.parse(await skopeo('inspect', '--raw', `oci-archive:${out}:1`));
      expect(manifest.mediaType).toBe(MediaType.ociManifest);
      expect(manifest.annotations).toEqual({
        'org.opencontainers.image.title': 'Annotated',
        'com.example.both': 'own',
      });
      const info = JSON.parse(await skopeo('inspect', `oci-archive:${out}:1`));
      expect(info.Labels ?? {}).toEqual({});
      // The descriptor annotation is on index.json's entry, beside the name.
      const dir = await extract(out);
      const index = json<ImageIndex>(join(dir, 'index.json'));
      expect(index.manifests).toHaveLength(1);
      expect(index.manifests[0]!.annotations).toEqual({
        'com.example.desc': 'on the descriptor',
        'io.containerd.image.name': `docker.io/library/annotated-${type}:1`,
        'org.opencontainers.image.ref.name': '1',
      });
      const digest = index.manifests[0]!.digest;
      expect(sha256(readFileSync(join(dir, 'blobs', 'sha256', digest.slice(7))))).toBe(digest);
      // The metadata file names that manifest, as BuildKit's names its exporter's.
      const m = json<Record<string, unknown>>(meta);
      expect(m['containerimage.digest']).toBe(digest);
      expect(m['containerimage.descriptor']).toMatchObject({
        digest,
        annotations: { 'com.example.desc': 'on the descriptor' },
      });
      // umoci unpacks it: an annotated manifest is still a runnable image.
      const bundle = join(tempRoot('tsbuild-annot-umoci-'), 'bundle');
      await exec('umoci', ['unpack', '--image', `${dir}:1`, bundle]);
      expect(readFileSync(join(bundle, 'rootfs', 'a.txt'), 'utf8')).toBe('annotated\n');
      // The store keeps the image without them; a plain archive of it has none.
      const store = await Store.open(root);
      const stored = await store.manifest(await store.resolve(`annotated-${type}:1`));
      expect(stored.annotations).toBeUndefined();
      expect(existsSync(join(dir, 'manifest.json'))).toBe(true);
    },
  );

  it('type=oci with --provenance: index annotations on the index and its index.json entry', async () => {
    const out = join(tempRoot('tsbuild-annot-'), 'attested.tar');
    const r = await cli(
      [
        'build',
        '--root',
        root,
        '-q',
        '--provenance=mode=min',
        '--annotation',
        'manifest-descriptor:d=entry',
        '--annotation',
        'index:i=index',
        '--annotation',
        'index-descriptor:id=layout',
        '-t',
        'attested:1',
        '-o',
        `type=oci,dest=${out}`,
        ctx,
      ],
      { env: {} },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const dir = await extract(out);
    const layout = json<ImageIndex>(join(dir, 'index.json'));
    expect(layout.manifests[0]!.mediaType).toBe(MediaType.ociIndex);
    expect(layout.manifests[0]!.annotations).toMatchObject({ id: 'layout' });
    const blob = (d: string) => join(dir, 'blobs', 'sha256', d.slice('sha256:'.length));
    const index = json<ImageIndex>(blob(layout.manifests[0]!.digest));
    expect(index.annotations).toEqual({ i: 'index' });
    expect(index.manifests[0]!.annotations).toEqual({ d: 'entry' });
    // skopeo reads the image through the index.
    const manifest = JSON.parse(await skopeo('inspect', '--raw', `oci-archive:${out}:1`));
    expect(manifest.mediaType).toBe(MediaType.ociIndex);
    expect(manifest.annotations).toEqual({ i: 'index' });
  });

  it('without --annotation the archive holds the store manifest as before', async () => {
    const out = join(tempRoot('tsbuild-annot-'), 'plain.tar');
    const r = await cli(
      ['build', '--root', root, '-q', '-t', 'plain:1', '-o', `type=oci,dest=${out}`, ctx],
      {
        env: {},
      },
    );
    expect(r.code).toBe(0);
    const manifest = JSON.parse(await skopeo('inspect', '--raw', `oci-archive:${out}:1`));
    expect(manifest.annotations).toBeUndefined();
    const store = await Store.open(root);
    const record = await store.resolve('plain:1');
    expect(json<ImageIndex>(join(await extract(out), 'index.json')).manifests[0]!.digest).toBe(
      record.manifest.digest,
    );
  });

  it.each([
    [
      ['--annotation', 'index:k=v'],
      1,
      'index annotations not supported for single platform export (index:k)',
    ],
    [
      ['--annotation', 'index-descriptor:k=v'],
      1,
      'index annotations not supported for single platform export (index-descriptor:k)',
    ],
    [
      ['--annotation', `manifest[${OTHER}]:k=v`],
      1,
      `invalid annotation: no platform ${OTHER} found in source (tsbuild builds ${HOST})`,
    ],
    [['--annotation', 'k'], 2, 'invalid --annotation "k": expected key=value'],
    [
      ['--annotation', 'image:k=v'],
      2,
      'invalid --annotation "image:k=v": unknown annotation type "image" (manifest, manifest-descriptor, index, index-descriptor)',
    ],
  ])('%j: a one-line error before anything is built', async (flags, code, message) => {
    const r = await cli(['build', '--root', root, '--progress=plain', ...flags, ctx], { env: {} });
    expect(r.code).toBe(code);
    expect(r.stderr).toBe(`${code === 2 ? 'tsbuild' : 'error'}: ${message}\n`);
  });
});
