/**
 * tsbuild and a real Docker 20.10 engine read each other's archives:
 * - what `tsbuild save` writes, `docker load` takes and `docker run` runs, with
 *   the same image ID, diff IDs and config;
 * - what `docker save` writes (an image docker built, RUN layers and all),
 *   `tsbuild load` takes, and `inspect`/`history` then say what docker says.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { busyboxRootfsTar } from '../helpers/busybox.js';
import { cli } from '../helpers/cli.js';
import { dockerOk } from '../helpers/docker.js';
import { tempRoot } from '../helpers/tmp.js';

let rootfs: string;
beforeAll(async () => {
  rootfs = await busyboxRootfsTar();
});

/** The fields of `inspect` that must agree between docker and tsbuild for one image. */
const SAME = [
  'Id',
  'RepoTags',
  'Comment',
  'Created',
  'Container',
  'ContainerConfig',
  'DockerVersion',
  'Author',
  'Config',
  'Architecture',
  'Os',
  'RootFS',
  'Size',
] as const;

const pick = (o: Record<string, unknown>) => Object.fromEntries(SAME.map((k) => [k, o[k]]));

describe('docker interop', () => {
  it('docker loads and runs what tsbuild saves', async () => {
    const root = tempRoot();
    expect((await cli(['import', '--root', root, rootfs, 'tsb/base:1'])).code).toBe(0);
    // A runnable image: the imported layer plus a config with a CMD and a user.
    const store = await Store.open(root);
    const base = await store.resolve('tsb/base:1');
    const config = await store.config(base);
    const manifest = await store.manifest(base);
    await store.addImage({
      config: {
        ...config,
        config: {
          Cmd: ['sh', '-c', 'echo hello from tsbuild; id -u'],
          User: 'app',
          Env: ['PATH=/bin'],
        },
        history: [
          ...(config.history ?? []),
          { created: config.created, created_by: 'CMD', empty_layer: true },
        ],
      },
      layers: manifest.layers,
      parent: base.id,
      tags: ['tsb/run:1'],
    });
    const tar = join(tempRoot(), 'run.tar');
    expect((await cli(['save', '--root', root, '-o', tar, 'tsb/run:1', 'tsb/base:1'])).code).toBe(
      0,
    );

    const loaded = await dockerOk(['load', '-i', tar]);
    expect(loaded.stdout).toContain('Loaded image: tsb/run:1');
    expect(loaded.stdout).toContain('Loaded image: tsb/base:1');
    const run = await dockerOk(['run', '--rm', '--network=none', 'tsb/run:1']);
    expect(run.stdout).toBe('hello from tsbuild\n1000\n');

    const ours = JSON.parse((await cli(['inspect', '--root', root, 'tsb/run:1'])).stdout)[0];
    const theirs = JSON.parse((await dockerOk(['image', 'inspect', 'tsb/run:1'])).stdout)[0];
    expect(pick(ours)).toEqual(pick(theirs));
    await dockerOk(['rmi', 'tsb/run:1', 'tsb/base:1']);
  });

  it('tsbuild loads what docker saves, and inspect and history agree with docker', async () => {
    await dockerOk(['import', rootfs, 'dk/base:1']);
    const ctx = tempRoot();
    writeFileSync(
      join(ctx, 'Dockerfile'),
      [
        'FROM dk/base:1',
        'LABEL org.example.team=core',
        'ENV GREETING="hello world" PATH=/bin',
        'RUN echo "$GREETING" > /greeting && mkdir -p /data/sub && chmod 4755 /greeting && ln -s /greeting /link',
        'RUN rm -rf /data/sub && touch /data/file',
        'WORKDIR /data',
        'USER app',
        'EXPOSE 8080/tcp',
        'CMD ["cat", "/greeting"]',
        '',
      ].join('\n'),
    );
    mkdirSync(join(ctx, 'unused'));
    const env = { DOCKER_BUILDKIT: '0' };
    await dockerOk(['build', '--network=none', '-q', '-t', 'dk/app:1', ctx], { env });
    const tar = join(tempRoot(), 'dk.tar');
    // Two images sharing a layer: docker writes the second copy as a symlink.
    await dockerOk(['save', '-o', tar, 'dk/app:1', 'dk/base:1']);
    const listing = await dockerOk([
      'run',
      '--rm',
      '-v',
      `${tar}:/x.tar:ro`,
      '--network=none',
      'dk/base:1',
      'tar',
      '-tvf',
      '/x.tar',
    ]);
    expect(listing.stdout).toMatch(/^l.* -> \.\.\/[a-f0-9]{64}\/layer\.tar$/m);

    const root = tempRoot();
    const l = await cli(['load', '--root', root, '-i', tar]);
    expect(l.stderr).toBe('');
    expect(l.stdout.split('\n').sort()).toEqual([
      '',
      'Loaded image: dk/app:1',
      'Loaded image: dk/base:1',
    ]);
    const images = await cli([
      'images',
      '--root',
      root,
      ...['--filter', 'reference=dk/*', '--format', '{{.Repository}} {{.Tag}} {{.ID}} {{.Size}}'],
    ]);
    const dockerImages = await dockerOk([
      'images',
      ...['--filter', 'reference=dk/*', '--format', '{{.Repository}} {{.Tag}} {{.ID}} {{.Size}}'],
    ]);
    // Docker orders by created second and breaks ties at random: compare the rows.
    const rows = (out: string) => out.trimEnd().split('\n').sort();
    expect(rows(images.stdout)).toHaveLength(2);
    expect(rows(images.stdout)).toEqual(rows(dockerImages.stdout));

    const ours = JSON.parse((await cli(['inspect', '--root', root, 'dk/app:1'])).stdout)[0];
    const theirs = JSON.parse((await dockerOk(['image', 'inspect', 'dk/app:1'])).stdout)[0];
    expect(pick(ours)).toEqual(pick(theirs));

    // Docker knows the intermediate images it built; a loaded copy does not: compare the rest.
    const fmt = ['--no-trunc', '--format', '{{.CreatedBy}}|{{.Size}}|{{.Comment}}|{{.CreatedAt}}'];
    const h = await cli(['history', '--root', root, ...fmt, 'dk/app:1']);
    expect(h.stdout).toBe((await dockerOk(['history', ...fmt, 'dk/app:1'])).stdout);
    const ids = await cli(['history', '--root', root, '-q', 'dk/app:1']);
    expect(ids.stdout.split('\n')[0]).toBe(theirs.Id.slice(7, 19));
    expect(
      ids.stdout
        .split('\n')
        .slice(1, -1)
        .every((l) => l === '<missing>'),
    ).toBe(true);
    await dockerOk(['rmi', 'dk/app:1', 'dk/base:1']);
  });
});
