/**
 * tsbuild's archives and its store read by skopeo and umoci, and skopeo's OCI
 * layouts read by tsbuild.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar } from '../helpers/busybox.js';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';
import { sha256 } from '../../src/util/digest.js';

const exec = promisify(execFile);
const skopeo = async (...args: string[]) =>
  (await exec('skopeo', ['--insecure-policy', ...args], { maxBuffer: 64 << 20 })).stdout;

let root: string;
let id: string;
let archive: string;
beforeAll(async () => {
  root = tempRoot();
  const r = await cli([
    'import',
    '--root',
    root,
    await busyboxRootfsTar(),
    'localhost:5000/tsb/bb:1',
  ]);
  id = r.stdout.trim();
  archive = join(tempRoot(), 'bb.tar');
  await cli(['save', '--root', root, '-o', archive, 'localhost:5000/tsb/bb:1']);
});

describe('skopeo and umoci read what tsbuild writes', () => {
  it('skopeo reads the saved archive as a docker-archive and as an oci-archive', async () => {
    const raw = await skopeo('inspect', '--raw', '--config', `docker-archive:${archive}`);
    expect(sha256(raw)).toBe(id);
    const oci = await skopeo('inspect', '--raw', '--config', `oci-archive:${archive}:1`);
    expect(sha256(oci)).toBe(id);
    const info = JSON.parse(await skopeo('inspect', `docker-archive:${archive}`));
    expect(info.RepoTags).toEqual([]);
    expect(info.Layers).toHaveLength(1);
  });

  it('umoci unpacks the saved image into a runnable bundle', async () => {
    const dir = tempRoot();
    await exec('tar', ['-xf', archive, '-C', dir]);
    const bundle = join(tempRoot(), 'bundle');
    await exec('umoci', ['unpack', '--image', `${dir}:1`, bundle]);
    expect(existsSync(join(bundle, 'config.json'))).toBe(true);
    const busybox = statSync(join(bundle, 'rootfs', 'bin', 'busybox'));
    expect(busybox.mode & 0o111).not.toBe(0);
    expect(statSync(join(bundle, 'rootfs', 'tmp')).mode & 0o7777).toBe(0o1777);
    expect(readFileSync(join(bundle, 'rootfs', 'etc', 'passwd'), 'utf8')).toContain('app:x:1000');
  });
});

/** The image ID of the one image in an OCI layout: the digest its manifest gives the config. */
function layoutImageId(layout: string): string {
  const blob = (d: string) => readFileSync(join(layout, 'blobs', 'sha256', d.slice(7)), 'utf8');
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  return JSON.parse(blob(index.manifests[0].digest)).config.digest;
}

describe('tsbuild reads what skopeo writes', () => {
  it('loads an OCI layout directory and an oci-archive made by skopeo, gzip layers and all', async () => {
    const layout = join(tempRoot(), 'layout');
    await skopeo(
      'copy',
      '--dest-compress-format',
      'gzip',
      `docker-archive:${archive}`,
      `oci:${layout}:bb`,
    );
    // Converting to OCI, skopeo rewrites the config as an OCI one: a new image ID.
    const ociId = layoutImageId(layout);
    expect(ociId).not.toBe(id);
    const other = tempRoot();
    // skopeo's ref.name is a bare tag: the image loads untagged, under its ID.
    const a = await cli(['load', '--root', other, '-i', layout]);
    expect(a.stderr).toBe('');
    expect(a.stdout).toBe(`Loaded image ID: ${ociId}\n`);
    const layers = await cli(['inspect', '--root', other, '-f', '{{json .RootFS.Layers}}', ociId]);
    const ours = await cli(['inspect', '--root', root, '-f', '{{json .RootFS.Layers}}', id]);
    expect(layers.stdout).toBe(ours.stdout);
    const ociTar = join(tempRoot(), 'bb-oci.tar');
    await skopeo(
      'copy',
      `docker-archive:${archive}`,
      `oci-archive:${ociTar}:docker.io/library/named:2`,
    );
    const b = await cli(['load', '--root', other, '-i', ociTar]);
    expect(b.stdout).toBe('Loaded image: named:2\n');
    expect((await cli(['inspect', '--root', other, '-f', '{{.Id}}', 'named:2'])).stdout).toBe(
      `${ociId}\n`,
    );
  });
});
