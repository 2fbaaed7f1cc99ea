/**
 * RUN --mount against Docker 20.10's BuildKit: one multi-stage Dockerfile with
 * every mount type Docker 20.10 knows (not tmpfs `size=` nor secret `env=`,
 * which its Dockerfile front end refuses), built by both with the same
 * --secret and --ssh; each RUN writes what it saw to a file. Compared: every
 * layer's own entries (what mount targets leave behind), the flattened
 * filesystem with file contents, and the history.
 *
 * One declared difference: a secret's file is on the host's /dev/shm, not a
 * tmpfs of its own, so its mount shows that tmpfs's `size=`; the options that
 * matter (ro, nosuid, nodev, noexec) are compared.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageConfig } from '../../src/image/types.js';
import { Store } from '../../src/store/store.js';
import { applyToListing, listLayers, type Listing } from '../conformance/layer-listing.js';
import { busyboxRootfsTar } from '../helpers/busybox.js';
import { dockerOk } from '../helpers/docker.js';
import { tempRoot } from '../helpers/tmp.js';
import { buildIn, contextOf, storeWithBusybox } from './harness.js';

const DOCKER_BASE = 'tsbuild-mount/busybox:1';

const DOCKERFILE = `ARG BASE=busybox
FROM $BASE AS seed
RUN mkdir -p /seed/sub && echo seeded > /seed/sub/f && chown 5:6 /seed/sub && chmod 750 /seed/sub
FROM $BASE
ARG RUNID
WORKDIR /w
RUN --mount=target=/ctx (ls -A /ctx; cat /ctx/dir/b.txt; touch /ctx/x 2>&1 || true) > /out-bind-ctx
RUN --mount=type=bind,from=seed,source=/seed,target=/m (cd /m && find . | sort | xargs stat -c "%n %u:%g %a") > /out-bind-stage
RUN --mount=type=bind,source=dir,target=/newbind/deep,rw (echo new > /newbind/deep/n; ls /newbind/deep) > /out-bind-rw
RUN --mount=type=bind,source=a.txt,target=/etc/newfile.txt cat /etc/newfile.txt > /out-bind-file
RUN --mount=type=bind,source=a.txt,target=/new1/new2/file cat /new1/new2/file > /out-bind-file2
RUN --mount=type=tmpfs,target=/newdir/sub (grep " /newdir/sub " /proc/mounts | cut -d" " -f1,3,4; echo x > /newdir/sub/f) > /out-tmpfs
RUN --mount=type=tmpfs,target=reltmp grep -c " /w/reltmp " /proc/mounts > /out-tmpfs-rel
RUN --mount=type=cache,id=c1-$RUNID,target=/newcache/x (stat -c "%u:%g %a" /newcache/x; echo c >> /newcache/x/log) > /out-cache1
RUN --mount=type=cache,id=c1-$RUNID,target=/other,readonly (cat /other/log; touch /other/y 2>&1 || true) > /out-cache2
RUN --mount=type=cache,id=c2-$RUNID,target=/c2,uid=7,gid=8,mode=0700 stat -c "%u:%g %a" /c2 > /out-cache-owner
RUN --mount=type=cache,id=c3-$RUNID,target=/cc,from=seed,source=/seed/sub (stat -c "%u:%g %a" /cc; cat /cc/f) > /out-cache-seed
RUN --mount=type=secret,id=s (stat -c "%u:%g %a" /run/secrets/s; cat /run/secrets/s; grep " /run/secrets/s " /proc/mounts | cut -d" " -f3,4 | tr , "\\n" | grep -v ^size=) > /out-secret
RUN --mount=type=secret,id=s,target=/etc/sec/s2,uid=12,gid=34,mode=0440 stat -c "%u:%g %a" /etc/sec/s2 > /out-secret2
RUN --mount=type=secret,id=s,target=relsec cat /w/relsec > /out-secret-rel
RUN --mount=type=secret,id=nosuch,target=/nosecret/x (test -e /nosecret && echo present || echo absent) > /out-secret-missing
RUN --mount=type=ssh (echo $SSH_AUTH_SOCK; stat -c "%u:%g %a" $SSH_AUTH_SOCK; test -S $SSH_AUTH_SOCK && echo socket) > /out-ssh
RUN --mount=type=ssh,target=/ssh/sock,uid=5,mode=0644 stat -c "%u:%g %a" /ssh/sock > /out-ssh2
RUN --mount=type=ssh,id=nosuch,target=/nossh/sock (test -e /nossh && echo present || echo absent) > /out-ssh-missing
`;

interface Side {
  config: ImageConfig;
  /** Each layer's own entries, less directories it lists unchanged. */
  layers: Listing[];
  flat: Listing;
}

/** A layer's entries that are new or changed: BuildKit lists every directory whose mtime moved. */
async function sideOf(config: ImageConfig, opens: (() => Readable)[]): Promise<Side> {
  const below: Listing = {};
  const layers: Listing[] = [];
  for (const open of opens) {
    const own = await listLayers([open]);
    for (const [p, line] of Object.entries(own))
      if (line.startsWith('d ') && below[p] === line) delete own[p];
    layers.push(own);
    await applyToListing(below, open());
  }
  return { config, layers, flat: await listLayers(opens) };
}

let docker: Side;
let ours: Side;

beforeAll(async () => {
  const ctx = contextOf({
    Dockerfile: DOCKERFILE,
    'a.txt': 'from the context\n',
    'dir/b.txt': 'bee\n',
    '.dockerignore': 'ignored.txt\n',
    'ignored.txt': 'not sent\n',
  });
  const dir = tempRoot('tsbuild-mount-docker-');
  const secret = join(dir, 'secret.txt');
  writeFileSync(secret, 'the secret\n');
  const key = join(dir, 'key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const runId = randomBytes(6).toString('hex');

  await dockerOk(['import', await busyboxRootfsTar(), DOCKER_BASE]);
  const tag = `tsbuild-mount/all:${runId}`;
  await dockerOk(
    [
      ...['build', '--network=none', '-q', '-t', tag],
      ...['--build-arg', `BASE=${DOCKER_BASE}`, '--build-arg', `RUNID=${runId}`],
      ...['--secret', `id=s,src=${secret}`, '--ssh', `default=${key}`, ctx],
    ],
    { env: { DOCKER_BUILDKIT: '1' } },
  );
  const out = join(dir, 'save');
  execFileSync('mkdir', [out]);
  await dockerOk(['save', '-o', join(out, 'image.tar'), tag]);
  execFileSync('tar', ['-xf', join(out, 'image.tar'), '-C', out]);
  const [manifest] = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
    Config: string;
    Layers: string[];
  }[];
  docker = await sideOf(
    JSON.parse(readFileSync(join(out, manifest!.Config), 'utf8')) as ImageConfig,
    manifest!.Layers.map((l) => () => createReadStream(join(out, l))),
  );

  const root = await storeWithBusybox();
  await buildIn(root, {
    context: ctx,
    network: 'none',
    tags: ['mount:all'],
    buildArgs: { RUNID: runId },
    secrets: { s: { path: secret } },
    ssh: { default: [key] },
  });
  const store = await Store.open(root);
  const record = await store.resolve('mount:all');
  ours = await sideOf(
    await store.config(record),
    await Promise.all(
      (await store.manifest(record)).layers.map(async (l) => {
        const bytes = (await store.layerBytes(l.digest))!;
        return (): Readable => bytes.open();
      }),
    ),
  );
  rmSync(out, { recursive: true, force: true });
}, 300_000);

describe('RUN --mount against Docker 20.10', () => {
  it('Docker saw what this test pins (the reference is what we think it is)', () => {
    const f = (p: string) => docker.flat[p];
    expect(f('out-bind-ctx')).toBe(
      `f 0644 0:0 ${JSON.stringify('.dockerignore\nDockerfile\na.txt\ndir\nbee\ntouch: /ctx/x: Read-only file system\n')}`,
    );
    expect(f('out-tmpfs')).toBe(`f 0644 0:0 ${JSON.stringify('tmpfs tmpfs rw,nosuid,relatime\n')}`);
    expect(f('out-secret')).toBe(
      `f 0644 0:0 ${JSON.stringify('0:0 400\nthe secret\ntmpfs ro\nnosuid\nnodev\nnoexec\nrelatime\n')}`,
    );
    expect(f('out-ssh')).toBe(
      `f 0644 0:0 ${JSON.stringify('/run/buildkit/ssh_agent.0\n0:0 600\nsocket\n')}`,
    );
  });

  it('every file a step wrote says the same', () => {
    const outs = (s: Side) =>
      Object.fromEntries(Object.entries(s.flat).filter(([p]) => p.startsWith('out-')));
    expect(outs(ours)).toEqual(outs(docker));
  });

  it('each layer leaves the same mount points behind', () => {
    expect(ours.layers).toEqual(docker.layers);
  });

  it('the same filesystem and history', () => {
    expect(ours.flat).toEqual(docker.flat);
    const history = (s: Side) => s.config.history!.map((h) => h.created_by ?? '');
    expect(history(ours).slice(1)).toEqual(history(docker).slice(1));
  });
});
