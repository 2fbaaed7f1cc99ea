/**
 * `build --push --annotation` (issue 17, "Flags CI scripts pass") against the
 * loopback registry: the manifest the registry serves carries the annotations
 * and is OCI's (Docker's schema 2 has no annotations field), skopeo reads them,
 * the metadata file records the digest served, and tsbuild and Docker 20.10
 * pull the image by it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { pull } from '../../src/api/pull.js';
import { MediaType } from '../../src/image/types.js';
import { sha256 } from '../../src/util/digest.js';
import { cli } from '../helpers/cli.js';
import { dockerOk } from '../helpers/docker.js';
import { tempRoot } from '../helpers/tmp.js';
import { useRegistryWithBusybox } from '../helpers/registry-lab.js';
import { contextOf } from '../build/harness.js';

const exec = promisify(execFile);
const lab = useRegistryWithBusybox();
const env = { HOME: '/nonexistent' };

/** The manifest bytes the registry serves for `repo:ref`, as skopeo fetches them. */
async function served(repo: string, ref: string): Promise<string> {
  const authfile = join(tempRoot('tsbuild-annot-auth-'), 'none.json');
  const { stdout } = await exec('skopeo', [
    '--insecure-policy',
    'inspect',
    '--raw',
    '--authfile',
    authfile,
    '--tls-verify=false',
    `docker://${lab.reg.host}/${repo}${ref.startsWith('sha256:') ? '@' : ':'}${ref}`,
  ]);
  return stdout;
}

describe('build --push --annotation', () => {
  it('pushes an OCI manifest with the annotations; the recorded digest is the one served', async () => {
    const name = `${lab.reg.host}/annotations/app`;
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN echo pushed > /p.txt\n' });
    const meta = join(tempRoot('tsbuild-annot-meta-'), 'm.json');
    const r = await cli(
      [
        'build',
        '--root',
        lab.root,
        '-q',
        '--push',
        '--annotation',
        'org.opencontainers.image.source=https://git.example/app',
        '--annotation',
        'manifest-descriptor:com.example.desc=d',
        '--metadata-file',
        meta,
        '-t',
        `${name}:1`,
        '-t',
        `${name}:2`,
        ctx,
      ],
      { env },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const tag of ['1', '2']) {
      const raw = await served('annotations/app', tag);
      const manifest = JSON.parse(raw);
      expect(manifest.mediaType).toBe(MediaType.ociManifest);
      expect(manifest.config.mediaType).toBe(MediaType.ociConfig);
      expect(manifest.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual([
        MediaType.ociLayerGzip,
        MediaType.ociLayerGzip,
      ]);
      // Only the manifest's own: a single manifest pushed has no descriptor to carry the other.
      expect(manifest.annotations).toEqual({
        'org.opencontainers.image.source': 'https://git.example/app',
      });
      const m = JSON.parse(readFileSync(meta, 'utf8'));
      expect(m['containerimage.digest']).toBe(sha256(raw));
      expect(m['containerimage.descriptor']).toEqual({
        mediaType: MediaType.ociManifest,
        digest: sha256(raw),
        size: Buffer.byteLength(raw),
        annotations: { 'com.example.desc': 'd' },
      });
    }
    const m = JSON.parse(readFileSync(meta, 'utf8'));
    const back = await pull({
      root: tempRoot('tsbuild-annot-pull-'),
      env,
      reference: `${name}@${m['containerimage.digest']}`,
    });
    expect(back.id).toBe(m['containerimage.config.digest']);
    // Docker 20.10 pulls the OCI manifest by that digest and runs it.
    const ref = `${name}@${m['containerimage.digest']}`;
    await dockerOk(['pull', ref]);
    const ran = await dockerOk(['run', '--rm', '--network=none', ref, 'cat', '/p.txt']);
    expect(ran.stdout).toBe('pushed\n');
  });

  it('with --provenance, index annotations go on the index, descriptor ones on its entries', async () => {
    const name = `${lab.reg.host}/annotations/attested`;
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN echo attested > /p.txt\n' });
    const meta = join(tempRoot('tsbuild-annot-meta-'), 'm.json');
    const r = await cli(
      [
        'build',
        '--root',
        lab.root,
        '-q',
        '--push',
        '--provenance=mode=min',
        '--annotation',
        'm=on the manifest',
        '--annotation',
        'manifest-descriptor:d=on its entry',
        '--annotation',
        'index:i=on the index',
        '--annotation',
        'index-descriptor:id=on the index descriptor',
        '--metadata-file',
        meta,
        '-t',
        `${name}:1`,
        ctx,
      ],
      { env },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const raw = await served('annotations/attested', '1');
    const index = JSON.parse(raw);
    expect(index.mediaType).toBe(MediaType.ociIndex);
    expect(index.annotations).toEqual({ i: 'on the index' });
    expect(index.manifests[0].annotations).toEqual({ d: 'on its entry' });
    // The attestation manifest's entry keeps only its own.
    expect(Object.keys(index.manifests[1].annotations).sort()).toEqual([
      'vnd.docker.reference.digest',
      'vnd.docker.reference.type',
    ]);
    const image = JSON.parse(await served('annotations/attested', index.manifests[0].digest));
    expect(image.annotations).toEqual({ m: 'on the manifest' });
    const m = JSON.parse(readFileSync(meta, 'utf8'));
    expect(m['containerimage.descriptor']).toEqual({
      mediaType: MediaType.ociIndex,
      digest: sha256(raw),
      size: Buffer.byteLength(raw),
      annotations: { id: 'on the index descriptor' },
    });
  });

  it('pushes Docker schema 2 without annotations, as before', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN echo plain > /p.txt\n' });
    const r = await cli(
      [
        'build',
        '--root',
        lab.root,
        '-q',
        '--push',
        '-t',
        `${lab.reg.host}/annotations/plain:1`,
        ctx,
      ],
      { env },
    );
    expect(r.code).toBe(0);
    const manifest = JSON.parse(await served('annotations/plain', '1'));
    expect(manifest.mediaType).toBe(MediaType.dockerManifest);
    expect(manifest.annotations).toBeUndefined();
  });
});
