/**
 * Image identity through a registry (issue 17, "Digests and identity"): the
 * digest a push prints and a build's metadata file records is the one the
 * registry serves, so `pull repo@<digest>` (tsbuild's and Docker 20.10's) finds
 * it; push and pull print what docker's CLI prints around it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pull } from '../../src/api/pull.js';
import { tag } from '../../src/api/tag.js';
import { cli } from '../helpers/cli.js';
import { dockerOk } from '../helpers/docker.js';
import { tempRoot } from '../helpers/tmp.js';
import { startRegistry, type Registry } from '../setup/registry.js';
import { contextOf, storeWithBusybox } from '../build/harness.js';

let reg: Registry;
let root: string;
const env = { HOME: '/nonexistent' };

beforeAll(async () => {
  reg = await startRegistry();
  root = await storeWithBusybox();
}, 60_000);

afterAll(async () => {
  await reg?.stop();
});

/** What the registry answers for `repo:ref`: its Docker-Content-Digest, media type and size. */
async function served(repo: string, ref: string) {
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${ref}`, {
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
  return {
    digest: res.headers.get('docker-content-digest'),
    mediaType: res.headers.get('content-type'),
    size: Number(res.headers.get('content-length')),
  };
}

describe('the digest of a push is the one the registry serves', () => {
  it('build --push --metadata-file records it; tsbuild and Docker pull by it', async () => {
    const name = `${reg.host}/digests/built`;
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN echo built > /built.txt\n' });
    const meta = join(tempRoot('tsbuild-digests-meta-'), 'm.json');
    const r = await cli(
      [
        'build',
        '--root',
        root,
        '--progress=classic',
        '--push',
        '--metadata-file',
        meta,
        '-t',
        `${name}:1`,
        ctx,
      ],
      { env },
    );
    expect(r.code).toBe(0);
    const m = JSON.parse(readFileSync(meta, 'utf8')) as Record<string, unknown>;
    const registry = await served('digests/built', '1');
    expect(m['containerimage.digest']).toBe(registry.digest);
    expect(m['containerimage.descriptor']).toEqual({
      mediaType: registry.mediaType,
      digest: registry.digest,
      size: registry.size,
    });
    // The printed line says the same digest.
    expect(r.stdout).toContain(`1: digest: ${registry.digest} size: ${registry.size}\n`);

    const fresh = tempRoot('tsbuild-digests-fresh-');
    const back = await pull({ root: fresh, env, reference: `${name}@${registry.digest}` });
    expect(back.id).toBe(m['containerimage.config.digest']);
    await dockerOk(['pull', `${name}@${registry.digest}`]);
    const ran = await dockerOk([
      'run',
      '--rm',
      '--network=none',
      `${name}@${registry.digest}`,
      'cat',
      '/built.txt',
    ]);
    expect(ran.stdout).toBe('built\n');
  });

  it('push and pull print what docker prints, "Using default tag" included', async () => {
    const name = `${reg.host}/digests/plain`;
    // A store that never pushed: its one layer goes up (no `Mounted from`).
    const root = await storeWithBusybox();
    await tag({ root, source: 'busybox:latest', target: name });
    const p = await cli(['push', '--root', root, name], { env });
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    const registry = await served('digests/plain', 'latest');
    expect(p.stdout).toMatch(
      new RegExp(
        [
          '^Using default tag: latest',
          `The push refers to repository \\[${name}\\]`,
          '[0-9a-f]{12}: Preparing',
          '[0-9a-f]{12}: Pushing',
          '[0-9a-f]{12}: Pushed',
          `latest: digest: ${registry.digest} size: ${registry.size}`,
          '$',
        ].join('\n'),
      ),
    );
    const fresh = tempRoot('tsbuild-digests-pull-');
    const q = await cli(['pull', '--root', fresh, name], { env });
    expect(q.code).toBe(0);
    expect(q.stdout.split('\n').slice(0, 2)).toEqual([
      'Using default tag: latest',
      'latest: Pulling from digests/plain',
    ]);
    expect(q.stdout).toContain(`\nDigest: ${registry.digest}\n`);
    // A tag or a digest given: nothing to say.
    const tagged = await cli(['pull', '--root', fresh, `${name}:latest`], { env });
    expect(tagged.stdout).not.toContain('Using default tag');

    // Docker 20.10, pushing the same image, says the same lines around its layers
    // and writes the same manifest, byte for byte (the digest is the same).
    await dockerOk(['pull', name]);
    const docker = await dockerOk(['push', name]);
    const lines = docker.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('Using default tag: latest');
    expect(lines[1]).toBe(`The push refers to repository [${name}]`);
    expect(lines.at(-1)).toBe(`latest: digest: ${registry.digest} size: ${registry.size}`);
  });
});
