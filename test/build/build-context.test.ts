/**
 * Named build contexts (`--build-context NAME=VALUE`, buildx's flag): a local
 * directory, `docker-image://`, a git URL, an http(s) tarball and
 * `oci-layout://`, reached from FROM, COPY --from and a stage of the same name,
 * built for real against loopback servers (git http-backend and its /files/).
 */
import { execFileSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { finished } from 'node:stream/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { save } from '../../src/api/save.js';
import { rejected } from '../helpers/caught.js';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';
import { startGitHttp, type GitHttpServer } from '../setup/git-server.js';
import { makeRepo, writeFiles } from '../setup/git-repos.js';
import { buildIn, configOf, contextOf, flatten, storeWithBusybox } from './harness.js';

let root: string;
let srv: GitHttpServer;
let lib: string;

beforeAll(async () => {
  root = await storeWithBusybox();
  lib = contextOf({
    'x.txt': 'from lib\n',
    'sub/y.txt': 'y\n',
    'hidden.txt': 'never copied\n',
    '.dockerignore': 'hidden.txt\n',
  });
  const repos = tempRoot('tsbuild-bc-repos-');
  makeRepo(repos, 'tools', (work, git) => {
    writeFiles(work, { 'bin/tool.sh': 'echo tool\n', 'docs/readme': 'docs\n' });
    git('add', '-A');
    git('commit', '-q', '-m', 'tools');
  });
  const files = tempRoot('tsbuild-bc-files-');
  mkdirSync(join(files, 'tree'));
  writeFileSync(join(files, 'tree/t.txt'), 'from a tarball\n');
  execFileSync('tar', ['-czf', join(files, 'tree.tar.gz'), '-C', join(files, 'tree'), '.']);
  writeFileSync(join(files, 'plain.txt'), 'just a file\n');
  srv = await startGitHttp({ root: repos, files });
}, 60_000);

afterAll(async () => {
  await srv?.stop();
});

const read = (dir: string, path: string) => readFileSync(join(dir, path), 'utf8');

describe('a local directory', () => {
  it('is what COPY --from=NAME reads, with its own .dockerignore, as 0:0', async () => {
    const ctx = contextOf({
      Dockerfile:
        'FROM busybox\nCOPY --from=lib / /lib/\nRUN stat -c "%u:%g" /lib/x.txt > /owner\n',
    });
    await buildIn(root, { context: ctx, tags: ['bc-dir'], buildContexts: { lib } });
    const fs = await flatten(root, 'bc-dir');
    expect(read(fs, 'lib/x.txt')).toBe('from lib\n');
    expect(read(fs, 'lib/sub/y.txt')).toBe('y\n');
    expect(existsSync(join(fs, 'lib/hidden.txt'))).toBe(false);
    expect(read(fs, 'owner')).toBe('0:0\n');
  });

  it('is a base for FROM NAME: its files over an empty config', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM lib\nCOPY own.txt /\n', 'own.txt': 'own\n' });
    await buildIn(root, { context: ctx, tags: ['bc-from-dir'], buildContexts: { lib } });
    const fs = await flatten(root, 'bc-from-dir');
    expect(read(fs, 'x.txt')).toBe('from lib\n');
    expect(read(fs, 'own.txt')).toBe('own\n');
    const config = await configOf(root, 'bc-from-dir');
    expect(config.config?.Env).toEqual([
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    ]);
    expect(config.rootfs.diff_ids).toHaveLength(2);
    expect(config.history?.filter((h) => !h.empty_layer)).toHaveLength(2);
  });

  it('replaces a stage of the same name, whose instructions then never run', async () => {
    const ctx = contextOf({
      Dockerfile: [
        'FROM busybox AS lib',
        'RUN exit 3',
        'FROM busybox',
        'COPY --from=lib /x.txt /got.txt',
      ].join('\n'),
    });
    await buildIn(root, { context: ctx, tags: ['bc-stage'], buildContexts: { lib } });
    expect(read(await flatten(root, 'bc-stage'), 'got.txt')).toBe('from lib\n');
  });

  it('is what RUN --mount=from=NAME binds', async () => {
    const ctx = contextOf({
      Dockerfile:
        'FROM busybox\nRUN --mount=from=lib,target=/m cat /m/x.txt /m/sub/y.txt > /seen\n',
    });
    await buildIn(root, { context: ctx, tags: ['bc-mount'], buildContexts: { lib } });
    expect(read(await flatten(root, 'bc-mount'), 'seen')).toBe('from lib\ny\n');
  });

  it('keeps the cache while its files are unchanged, and misses when one changes', async () => {
    const own = contextOf({ 'a.txt': 'one\n' });
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nCOPY --from=own a.txt /a.txt\n' });
    const first = await buildIn(root, { context: ctx, buildContexts: { own } });
    expect(first.cached['COPY --from=own a.txt /a.txt']).toBe(false);
    const again = await buildIn(root, { context: ctx, buildContexts: { own } });
    expect(again.cached['COPY --from=own a.txt /a.txt']).toBe(true);
    writeFileSync(join(own, 'a.txt'), 'two\n');
    const changed = await buildIn(root, { context: ctx, buildContexts: { own }, tags: ['bc-c'] });
    expect(changed.cached['COPY --from=own a.txt /a.txt']).toBe(false);
    expect(read(await flatten(root, 'bc-c'), 'a.txt')).toBe('two\n');
  });

  it('is a path relative to cwd from the CLI', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nCOPY --from=lib x.txt /cli.txt\n' });
    const r = await cli(
      ['build', '--root', root, '-q', '-t', 'bc-cli', '--build-context', `lib=${lib}`, ctx],
      { env: {} },
    );
    expect(r.code).toBe(0);
    expect(read(await flatten(root, 'bc-cli'), 'cli.txt')).toBe('from lib\n');
  });
});

describe('docker-image://', () => {
  it('stands in for an image the Dockerfile names, without pulling it', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM alpine:3.19\nRUN echo ran > /ran\n' });
    await buildIn(root, {
      context: ctx,
      tags: ['bc-image'],
      buildContexts: { 'alpine:3.19': 'docker-image://busybox' },
    });
    const fs = await flatten(root, 'bc-image');
    expect(read(fs, 'ran')).toBe('ran\n');
    expect(existsSync(join(fs, 'bin/busybox'))).toBe(true);
  });

  it('matches the name however it is written (alpine, alpine:latest, docker.io/library/alpine)', async () => {
    const ctx = contextOf({
      Dockerfile: 'FROM docker.io/library/alpine:latest\nCOPY --from=alpine /bin/busybox /bb\n',
    });
    await buildIn(root, {
      context: ctx,
      tags: ['bc-norm'],
      buildContexts: { alpine: 'docker-image://busybox' },
    });
    expect(statSync(join(await flatten(root, 'bc-norm'), 'bb')).isFile()).toBe(true);
  });
});

describe('a git URL', () => {
  it('is the repository tree at the ref, for COPY --from and FROM', async () => {
    const ctx = contextOf({
      Dockerfile: 'FROM busybox\nCOPY --from=tools /bin/tool.sh /usr/local/bin/tool.sh\n',
    });
    await buildIn(root, {
      context: ctx,
      tags: ['bc-git'],
      buildContexts: { tools: `${srv.url}/tools.git#main` },
    });
    expect(read(await flatten(root, 'bc-git'), 'usr/local/bin/tool.sh')).toBe('echo tool\n');
    const from = contextOf({ Dockerfile: 'FROM tools\n' });
    await buildIn(root, {
      context: from,
      tags: ['bc-git-from'],
      buildContexts: { tools: `${srv.url}/tools.git#:docs` },
    });
    expect(read(await flatten(root, 'bc-git-from'), 'readme')).toBe('docs\n');
  });
});

describe('an http(s) URL', () => {
  it('is a tarball, extracted; anything else is one file named context', async () => {
    const ctx = contextOf({
      Dockerfile: 'FROM busybox\nCOPY --from=tar /t.txt /t.txt\nCOPY --from=file /context /file\n',
    });
    await buildIn(root, {
      context: ctx,
      tags: ['bc-http'],
      buildContexts: {
        tar: `${srv.url}/files/tree.tar.gz`,
        file: `${srv.url}/files/plain.txt`,
      },
    });
    const fs = await flatten(root, 'bc-http');
    expect(read(fs, 't.txt')).toBe('from a tarball\n');
    expect(read(fs, 'file')).toBe('just a file\n');
    expect(statSync(join(fs, 'file')).mode & 0o777).toBe(0o600);
  });
});

describe('oci-layout://', () => {
  it('takes an image from an OCI layout directory, by tag or by digest', async () => {
    const other = await storeWithBusybox();
    await buildIn(other, {
      context: contextOf({ Dockerfile: 'FROM busybox\nRUN echo layout > /layout.txt\n' }),
      tags: ['laid:v1'],
    });
    const tar = join(tempRoot('tsbuild-bc-oci-'), 'laid.tar');
    const out = createWriteStream(tar);
    await save({ root: other, images: ['laid:v1'], output: out });
    await finished(out);
    const layout = tempRoot('tsbuild-bc-layout-');
    execFileSync('tar', ['-xf', tar, '-C', layout]);
    const index = JSON.parse(read(layout, 'index.json')) as { manifests: { digest: string }[] };
    const ctx = contextOf({ Dockerfile: 'FROM laid\nRUN cat /layout.txt > /seen\n' });
    await buildIn(root, {
      context: ctx,
      tags: ['bc-oci'],
      buildContexts: { laid: `oci-layout://${layout}:v1` },
    });
    expect(read(await flatten(root, 'bc-oci'), 'seen')).toBe('layout\n');
    const byDigest = contextOf({ Dockerfile: 'FROM busybox\nCOPY --from=laid /layout.txt /d\n' });
    await buildIn(root, {
      context: byDigest,
      tags: ['bc-oci-digest'],
      buildContexts: { laid: `oci-layout://${layout}@${index.manifests[0]!.digest}` },
    });
    expect(read(await flatten(root, 'bc-oci-digest'), 'd')).toBe('layout\n');
  });
});

describe('refusals', () => {
  const df = contextOf({ Dockerfile: 'FROM busybox\nCOPY --from=lib x.txt /\n' });

  it('a directory that does not exist, naming the context and the path', async () => {
    const e = await rejected(
      buildIn(root, { context: df, buildContexts: { lib: '/nonexistent/lib' } }),
    );
    expect(e).toMatchObject({
      code: 'CONTEXT_NOT_FOUND',
      message: '--build-context lib=/nonexistent/lib: directory /nonexistent/lib not found',
    });
  });

  it('a name that is no image reference', async () => {
    const e = await rejected(buildIn(root, { context: df, buildContexts: { Lib: lib } }));
    expect(e).toMatchObject({ code: 'BUILD_CONTEXT' });
    expect(e.message).toMatch(/^--build-context Lib=.*: the name must be a valid image reference/);
  });

  it('an OCI layout without the tag asked for', async () => {
    const layout = tempRoot('tsbuild-bc-empty-layout-');
    writeFileSync(join(layout, 'index.json'), '{"schemaVersion":2,"manifests":[]}');
    const e = await rejected(
      buildIn(root, { context: df, buildContexts: { lib: `oci-layout://${layout}:nope` } }),
    );
    expect(e).toMatchObject({ code: 'NO_SUCH_IMAGE' });
    expect(e.message).toContain('the OCI layout has no image tagged "nope"');
  });

  it('a source kind tsbuild has no frontend for (bake target:, input:, another scheme)', async () => {
    for (const value of ['target:app', 'input:x', 's3://bucket/ctx']) {
      const e = await rejected(buildIn(root, { context: df, buildContexts: { lib: value } }));
      expect(e).toMatchObject({ code: 'BUILD_CONTEXT' });
      expect(e.message).toMatch(
        new RegExp(
          `^--build-context lib=${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: unsupported context source (target|input|s3): use a directory`,
        ),
      );
    }
  });

  it('a flag without NAME=, as a usage error', async () => {
    const r = await cli(['build', '--root', root, '--build-context', 'lib', df], { env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid --build-context "lib": expected NAME=VALUE');
  });
});
