/**
 * Image identity through a registry (issue 17, "Digests and identity"): the
 * digest a push prints and a build's metadata file records is the one the
 * registry serves, so `pull repo@<digest>` (tsbuild's and Docker 20.10's) finds
 * it; push and pull print what docker's CLI prints around it; pulled and pushed
 * images keep their RepoDigests as Docker's reference store does (images
 * --digests, inspect, rmi by digest, prune), compared with Docker 20.10.
 */
import { readFileSync } from 'node:fs';
import { Store } from '../../src/store/store.js';
import { prune } from '../../src/store/prune.js';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pull } from '../../src/api/pull.js';
import { tag } from '../../src/api/tag.js';
import { cli } from '../helpers/cli.js';
import { dockerOk } from '../helpers/docker.js';
import { tempRoot } from '../helpers/tmp.js';
import { useRegistryWithBusybox } from '../helpers/registry-lab.js';
import { contextOf, storeWithBusybox } from '../build/harness.js';

const lab = useRegistryWithBusybox();
const env = { HOME: '/nonexistent' };

/** What the registry answers for `repo:ref`: its Docker-Content-Digest, media type and size. */
async function served(repo: string, ref: string) {
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
  return {
    digest: res.headers.get('docker-content-digest'),
    mediaType: res.headers.get('content-type'),
    size: Number(res.headers.get('content-length')),
  };
}

describe('the digest of a push is the one the registry serves', () => {
  it('build --push --metadata-file records it; tsbuild and Docker pull by it', async () => {
    const name = `${lab.reg.host}/digests/built`;
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN echo built > /built.txt\n' });
    const meta = join(tempRoot('tsbuild-digests-meta-'), 'm.json');
    const r = await cli(
      [
        'build',
        '--root',
        lab.root,
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
    const name = `${lab.reg.host}/digests/plain`;
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

/** A table as docker prints it, each line's trailing padding trimmed. */
const table = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');

describe('RepoDigests, as Docker keeps them', () => {
  let digest: string;
  let id: string;
  const name = () => `${lab.reg.host}/digests/rd`;

  beforeAll(async () => {
    const pusher = await storeWithBusybox();
    await tag({ root: pusher, source: 'busybox:latest', target: `${name()}:1` });
    const p = await cli(['push', '--root', pusher, `${name()}:1`], { env });
    expect(p.code).toBe(0);
    digest = (await served('digests/rd', '1')).digest!;
    // The pushing store records it too.
    const i = await cli(['inspect', '--root', pusher, '-f', '{{.RepoDigests}}', `${name()}:1`]);
    expect(i.stdout).toBe(`[${name()}@${digest}]\n`);
    id = (await cli(['inspect', '--root', pusher, '-f', '{{.Id}}', `${name()}:1`])).stdout.trim();
    await dockerOk(['pull', `${name()}:1`]);
  });

  it('a pull by tag: images --digests and inspect show it as docker does', async () => {
    const root = tempRoot('tsbuild-rd-tag-');
    expect((await cli(['pull', '--root', root, `${name()}:1`], { env })).code).toBe(0);
    // CREATED left out: the image is seconds old, and the two reads straddle a second.
    const cols = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.Size}}';
    const ours = await cli(['images', '--root', root, '--digests', '--format', cols, name()]);
    const docker = await dockerOk(['images', '--digests', '--format', cols, name()]);
    expect(table(ours.stdout)).toBe(table(docker.stdout));
    expect(ours.stdout).toContain(digest);
    const format = '{{.RepoDigests}}';
    const inspected = await cli(['inspect', '--root', root, '-f', format, `${name()}:1`]);
    expect(inspected.stdout).toBe(`[${name()}@${digest}]\n`);

    // Untagging the repository's last tag takes its digest with it, then the image.
    const rmi = await cli(['rmi', '--root', root, `${name()}:1`]);
    expect(rmi.stdout.split('\n').slice(0, 3)).toEqual([
      `Untagged: ${name()}:1`,
      `Untagged: ${name()}@${digest}`,
      `Deleted: ${id}`,
    ]);
    // Docker (whose image has other names too) untags the same two references.
    const d = await dockerOk(['rmi', `${name()}:1`]);
    expect(d.stdout.split('\n').slice(0, 2)).toEqual(rmi.stdout.split('\n').slice(0, 2));
    await dockerOk(['pull', `${name()}:1`]);
  });

  it('a pull by digest is listed with no tag, found and removed by its digest', async () => {
    const root = tempRoot('tsbuild-rd-digest-');
    const byDigest = `${name()}@${digest}`;
    const pulled = await cli(['pull', '--root', root, byDigest], { env });
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).not.toContain('Using default tag');
    await dockerOk(['pull', byDigest]);
    const listed = await cli(['images', '--root', root, '--digests', '--format', '{{.Digest}}']);
    expect(listed.stdout).toBe(`${digest}\n`);
    expect(
      (await cli(['images', '--root', root, '--format', '{{.Repository}} {{.Tag}}'])).stdout,
    ).toBe(`${name()} <none>\n`);
    const inspected = await cli(['inspect', '--root', root, '-f', '{{.RepoDigests}}', byDigest]);
    expect(inspected.stdout).toBe(`[${byDigest}]\n`);
    // Pulled again: up to date, still one image.
    const again = await cli(['pull', '--root', root, byDigest], { env });
    expect(again.stdout).toContain(`Status: Image is up to date for ${byDigest}\n`);

    const rmi = await cli(['rmi', '--root', root, byDigest]);
    expect(rmi.code).toBe(0);
    expect(rmi.stdout.split('\n').slice(0, 2)).toEqual([`Untagged: ${byDigest}`, `Deleted: ${id}`]);
    expect((await cli(['images', '--root', root, '-q'])).stdout).toBe('');
    const index = readFileSync(join(root, 'index.json'), 'utf8');
    expect(JSON.parse(index)).toMatchObject({ manifests: [] });
  });

  it('prune takes an image kept only by digests; tagging and untagging keep them', async () => {
    const root = tempRoot('tsbuild-rd-prune-');
    const byDigest = `${name()}@${digest}`;
    expect((await cli(['pull', '--root', root, byDigest], { env })).code).toBe(0);
    // A tag of another repository comes and goes: the digest stays.
    await tag({ root, source: byDigest, target: 'other:1' });
    const store = await Store.open(root);
    expect((await store.resolve('other:1')).repoDigests).toEqual([byDigest]);
    expect((await cli(['rmi', '--root', root, 'other:1'])).stdout).toBe('Untagged: other:1\n');
    expect((await store.images()).map((i) => i.repoDigests)).toEqual([[byDigest]]);
    const r = await prune(store);
    expect(r.images.slice(0, 2)).toEqual([{ untagged: byDigest }, { deleted: id }]);
    expect(await store.images()).toEqual([]);
  });
});
