/**
 * `build --push --provenance` against the loopback registry (issue 17): the tag
 * names an OCI index of the image and its attestation manifest, as skopeo
 * reads it raw; the digest recorded and printed is the index's, the one the
 * registry serves; a pull by tag (tsbuild's and Docker 20.10's) gets the image,
 * not the attestation. Without the flag, or with =false, the push is the plain
 * Docker manifest it was.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pull } from '../../src/api/pull.js';
import { cli } from '../helpers/cli.js';
import { dockerOk } from '../helpers/docker.js';
import { tempRoot } from '../helpers/tmp.js';
import { useRegistryWithBusybox } from '../helpers/registry-lab.js';
import { contextOf } from '../build/harness.js';

const lab = useRegistryWithBusybox();
const env = { HOME: '/nonexistent' };

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string };
}

const raw = <T>(ref: string): T =>
  JSON.parse(
    execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`], {
      encoding: 'utf8',
    }),
  ) as T;

async function headDigest(repo: string, ref: string): Promise<string | null> {
  const res = await fetch(`${lab.reg.url}/v2/${repo}/manifests/${ref}`, {
    method: 'HEAD',
    headers: {
      accept: [
        'application/vnd.docker.distribution.manifest.v2+json',
        'application/vnd.oci.image.manifest.v1+json',
        'application/vnd.oci.image.index.v1+json',
      ].join(', '),
    },
  });
  expect(res.status).toBe(200);
  return res.headers.get('docker-content-digest');
}

async function pushBuild(name: string, flags: string[], tags = ['1']) {
  const ctx = contextOf({ Dockerfile: `FROM busybox\nRUN echo ${name} > /built.txt\n` });
  const meta = join(tempRoot('tsbuild-prov-meta-'), 'm.json');
  const r = await cli(
    [
      'build',
      '--root',
      lab.root,
      '--progress=classic',
      '--network=none',
      '--push',
      '--metadata-file',
      meta,
      ...tags.flatMap((t) => ['-t', `${lab.reg.host}/${name}:${t}`]),
      ...flags,
      ctx,
    ],
    { env },
  );
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return { r, meta: JSON.parse(readFileSync(meta, 'utf8')) as Record<string, unknown> };
}

describe('build --push --provenance=mode=min', () => {
  const name = 'prov/pushed';
  let index: { mediaType: string; manifests: Descriptor[] };
  let meta: Record<string, unknown>;
  let stdout: string;

  beforeAll(async () => {
    const b = await pushBuild(name, ['--provenance=mode=min'], ['1', '2']);
    meta = b.meta;
    stdout = b.r.stdout;
    index = raw(`${lab.reg.host}/${name}:1`);
  }, 120_000);

  it('the tag names an index of the image and its attestation manifest', () => {
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(index.manifests).toHaveLength(2);
    const [image, att] = index.manifests as [Descriptor, Descriptor];
    expect(image.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(image.platform).toEqual({ architecture: 'amd64', os: 'linux' });
    expect(att.platform).toEqual({ architecture: 'unknown', os: 'unknown' });
    expect(att.annotations).toEqual({
      'vnd.docker.reference.digest': image.digest,
      'vnd.docker.reference.type': 'attestation-manifest',
    });
    const manifest = raw<{ layers: Descriptor[] }>(`${lab.reg.host}/${name}@${att.digest}`);
    expect(manifest.layers.map((l) => [l.mediaType, l.annotations])).toEqual([
      [
        'application/vnd.in-toto+json',
        { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' },
      ],
    ]);
  });

  it('the statement names the image manifest the registry has, under both tags', async () => {
    const [image, att] = index.manifests as [Descriptor, Descriptor];
    const manifest = raw<{ layers: Descriptor[] }>(`${lab.reg.host}/${name}@${att.digest}`);
    const res = await fetch(`${lab.reg.url}/v2/${name}/blobs/${manifest.layers[0]!.digest}`);
    const statement = (await res.json()) as {
      subject: { name: string; digest: { sha256: string } }[];
    };
    const hex = image.digest.slice('sha256:'.length);
    expect(statement.subject).toEqual([
      {
        name: `pkg:docker/${lab.reg.host.replace(':', '%3A')}/${name}@1?platform=linux%2Famd64`,
        digest: { sha256: hex },
      },
      {
        name: `pkg:docker/${lab.reg.host.replace(':', '%3A')}/${name}@2?platform=linux%2Famd64`,
        digest: { sha256: hex },
      },
    ]);
    // Both tags name the same index.
    expect(await headDigest(name, '2')).toBe(await headDigest(name, '1'));
  });

  it('the digest recorded and printed is the index the registry serves', async () => {
    const digest = await headDigest(name, '1');
    expect(meta['containerimage.digest']).toBe(digest);
    expect(meta['containerimage.descriptor']).toMatchObject({
      mediaType: 'application/vnd.oci.image.index.v1+json',
      digest,
    });
    expect(stdout).toContain(`1: digest: ${digest} size: `);
  });

  it('a pull by tag gets the image, tsbuild and Docker 20.10 alike', async () => {
    const fresh = tempRoot('tsbuild-prov-pull-');
    const pulled = await pull({ root: fresh, env, reference: `${lab.reg.host}/${name}:1` });
    expect(pulled.id).toBe(meta['containerimage.config.digest']);
    const ran = await cli(
      [
        'run',
        '--root',
        fresh,
        '--rm',
        '--network=none',
        `${lab.reg.host}/${name}:1`,
        'cat',
        '/built.txt',
      ],
      { env },
    );
    expect(ran.stdout).toBe(`${name}\n`);
    await dockerOk(['pull', `${lab.reg.host}/${name}:1`]);
    const docker = await dockerOk([
      'run',
      '--rm',
      '--network=none',
      `${lab.reg.host}/${name}:1`,
      'cat',
      '/built.txt',
    ]);
    expect(docker.stdout).toBe(`${name}\n`);
    const id = await dockerOk(['inspect', '-f', '{{.Id}}', `${lab.reg.host}/${name}:1`]);
    expect(id.stdout.trim()).toBe(meta['containerimage.config.digest']);
  });
});

describe('materials', () => {
  it('a base pulled from a registry is named with the digest the registry serves it by', async () => {
    // busybox to the registry, then a fresh store builds FROM it (and pulls it).
    const base = `${lab.reg.host}/prov/base:1`;
    expect((await cli(['tag', '--root', lab.root, 'busybox:latest', base])).code).toBe(0);
    expect((await cli(['push', '--root', lab.root, base], { env })).code).toBe(0);
    const served = await headDigest('prov/base', '1');
    const fresh = tempRoot('tsbuild-prov-materials-');
    const ctx = contextOf({ Dockerfile: `FROM ${base}\nLABEL x=y\n` });
    const out = join(tempRoot('tsbuild-prov-mat-out-'), 'img.tar');
    const r = await cli(
      ['build', '--root', fresh, '--provenance=mode=min', '-o', `type=oci,dest=${out}`, ctx],
      { env },
    );
    expect(r.code).toBe(0);
    const dir = tempRoot('tsbuild-prov-mat-oci-');
    execFileSync('tar', ['-xf', out, '-C', dir]);
    const blob = (d: string) =>
      JSON.parse(readFileSync(join(dir, 'blobs/sha256', d.slice(7)), 'utf8')) as {
        manifests: Descriptor[];
        layers: Descriptor[];
        subject: unknown[];
        predicate: { materials: unknown[] };
      };
    const top = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
      manifests: Descriptor[];
    };
    const att = blob(blob(top.manifests[0]!.digest).manifests[1]!.digest);
    const statement = blob(att.layers[0]!.digest);
    // No -t: BuildKit's exporter names no subject then either.
    expect(statement.subject).toEqual([]);
    expect(statement.predicate.materials).toEqual([
      {
        uri: `pkg:docker/${lab.reg.host.replace(':', '%3A')}/prov/base@1?platform=linux%2Famd64`,
        digest: { sha256: served!.slice('sha256:'.length) },
      },
    ]);
  });
});

describe('no provenance', () => {
  it.each([
    [[]],
    [['--provenance=false']],
    [['--sbom=false', '--attest=type=provenance,disabled=true']],
  ])(
    '%j: a plain Docker manifest, as before',
    async (flags) => {
      const name = `prov/plain${flags.length}`;
      const { meta } = await pushBuild(name, flags);
      const m = raw<{ mediaType: string }>(`${lab.reg.host}/${name}:1`);
      expect(m.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
      expect(meta['containerimage.digest']).toBe(await headDigest(name, '1'));
    },
    60_000,
  );
});
