/**
 * The registry client against Debian's distribution registry on loopback
 * (test/setup/registry.ts): the issue's registry lab end to end (push a base,
 * build FROM it, push the child: only the new layer goes up, the base's is
 * mounted; pull back: only missing layers come down), interop with skopeo,
 * the three auth modes, login/logout, and the faults: unknown host, 401, 404,
 * a blob with the wrong digest, a registry that is gone — each a clear error
 * and the store as it was.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { images } from '../../src/api/images.js';
import { pull, type PullEvent } from '../../src/api/pull.js';
import { push, type PushEvent } from '../../src/api/push.js';
import { rmi, tag } from '../../src/api/tag.js';
import { rejected } from '../helpers/caught.js';
import { cli } from '../helpers/cli.js';
import { dockerOk } from '../helpers/docker.js';
import { tempRoot } from '../helpers/tmp.js';
import { startFaultProxy } from '../setup/fault-proxy.js';
import { startRegistry, loggedInHome } from '../setup/registry.js';
import { useRegistryWithBusybox } from '../helpers/registry-lab.js';
import { buildIn, configOf, contextOf, flatten, storeWithBusybox } from '../build/harness.js';

const run = promisify(execFile);
const lines = (events: (PullEvent | PushEvent)[]) =>
  events.map((e) => `${e.id ? `${e.id}: ` : ''}${e.status}`);

/** The registry, and machine A's store with busybox imported. */
const lab = useRegistryWithBusybox({ deleteEnabled: true });
const env = { HOME: '/nonexistent' };

describe('the registry lab', () => {
  it('push a base, build FROM it, push the child: the base layer is mounted, only the new one goes up', async () => {
    const base = `${lab.reg.host}/lab/base:1`;
    await tag({ root: lab.root, source: 'busybox:latest', target: base });
    const first: PushEvent[] = [];
    const pushed = await push({
      root: lab.root,
      env,
      reference: base,
      onEvent: (e) => first.push(e),
    });
    expect(lines(first)[0]).toBe(`The push refers to repository [${lab.reg.host}/lab/base]`);
    expect(lines(first).filter((l) => l.endsWith(': Pushed'))).toHaveLength(1);
    expect(lines(first).at(-1)).toBe(`1: digest: ${pushed.digest} size: ${pushed.size}`);
    // What push recorded (where the layer now is) was made durable before it
    // reported success: no marker of unsynced writes is left (store/journal.ts).
    const unsynced = join(lab.root, 'unsynced');
    expect(existsSync(unsynced) ? readdirSync(unsynced) : []).toEqual([]);

    // Pushing it again uploads nothing.
    const again: PushEvent[] = [];
    await push({ root: lab.root, env, reference: base, onEvent: (e) => again.push(e) });
    expect(lines(again).filter((l) => l.includes('Layer already exists'))).toHaveLength(1);
    expect(lines(again).some((l) => l.endsWith('Pushed'))).toBe(false);

    const ctx = contextOf({
      Dockerfile: `FROM ${base}\nRUN echo child > /child.txt\n`,
    });
    await buildIn(lab.root, { context: ctx, tags: [`${lab.reg.host}/lab/child:1`] });
    const child: PushEvent[] = [];
    const before = (await lab.reg.requests()).length;
    await push({
      root: lab.root,
      env,
      reference: `${lab.reg.host}/lab/child:1`,
      onEvent: (e) => child.push(e),
    });
    expect(lines(child).filter((l) => l.includes('Mounted from lab/base'))).toHaveLength(1);
    expect(lines(child).filter((l) => l.endsWith(': Pushed'))).toHaveLength(1);
    const log = (await lab.reg.requests()).slice(before);
    // One blob upload for the layer and one for the config; the base layer was mounted.
    expect(log.filter((l) => l.startsWith('PUT /v2/lab/child/blobs/uploads/'))).toHaveLength(2);
    expect(log.some((l) => l.startsWith('POST /v2/lab/child/blobs/uploads/?mount='))).toBe(true);
  });

  it('skopeo reads what tsbuild pushed, byte for byte', async () => {
    const { stdout } = await run('skopeo', [
      'inspect',
      '--tls-verify=false',
      '--raw',
      `docker://${lab.reg.host}/lab/child:1`,
    ]);
    const m = JSON.parse(stdout) as { mediaType: string; layers: { mediaType: string }[] };
    expect(m.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(m.layers.map((l) => l.mediaType)).toEqual([
      'application/vnd.docker.image.rootfs.diff.tar.gzip',
      'application/vnd.docker.image.rootfs.diff.tar.gzip',
    ]);
    const dir = join(tempRoot('tsbuild-skopeo-'), 'oci');
    await run('skopeo', [
      'copy',
      '--insecure-policy',
      '--src-tls-verify=false',
      `docker://${lab.reg.host}/lab/child:1`,
      `oci:${dir}:child`,
    ]);
    expect(existsSync(join(dir, 'index.json'))).toBe(true);
  });

  it('Docker 20.10 pulls and runs what tsbuild pushed; tsbuild pulls what Docker pushed', async () => {
    await dockerOk(['pull', `${lab.reg.host}/lab/child:1`]);
    const ran = await dockerOk([
      'run',
      '--rm',
      '--network=none',
      `${lab.reg.host}/lab/child:1`,
      'cat',
      '/child.txt',
    ]);
    expect(ran.stdout).toBe('child\n');
    await dockerOk(['tag', `${lab.reg.host}/lab/child:1`, `${lab.reg.host}/fromdocker/child:2`]);
    await dockerOk(['push', `${lab.reg.host}/fromdocker/child:2`]);
    const root = tempRoot('tsbuild-from-docker-');
    const r = await pull({ root, env, reference: `${lab.reg.host}/fromdocker/child:2` });
    expect(readFileSync(join(await flatten(root, r.reference), 'child.txt'), 'utf8')).toBe(
      'child\n',
    );
  });

  it('delete the image locally and pull it back: only the missing layer comes down', async () => {
    await rmi({ root: lab.root, image: `${lab.reg.host}/lab/child:1` });
    const events: PullEvent[] = [];
    const r = await pull({
      root: lab.root,
      env,
      reference: `${lab.reg.host}/lab/child:1`,
      onEvent: (e) => events.push(e),
    });
    expect(lines(events).filter((l) => l.endsWith('Already exists'))).toHaveLength(1);
    expect(lines(events).filter((l) => l.endsWith('Pull complete'))).toHaveLength(1);
    expect(lines(events).at(-1)).toBe(
      `Status: Downloaded newer image for ${lab.reg.host}/lab/child:1`,
    );
    expect(readFileSync(join(await flatten(lab.root, r.reference), 'child.txt'), 'utf8')).toBe(
      'child\n',
    );
  });

  it('a fresh store builds FROM the pushed image: the FROM pulls it', async () => {
    const b = tempRoot('tsbuild-machine-b-');
    const ctx = contextOf({
      Dockerfile: `FROM ${lab.reg.host}/lab/child:1\nRUN cat /child.txt > /again.txt\n`,
    });
    const r = await buildIn(b, { context: ctx, tags: ['grandchild'] });
    const pulls = r.events.filter((e) => e.type === 'pull');
    expect(pulls.map((e) => (e as { status: string }).status)).toContain(
      `Status: Downloaded newer image for ${lab.reg.host}/lab/child:1`,
    );
    expect(readFileSync(join(await flatten(b, 'grandchild'), 'again.txt'), 'utf8')).toBe('child\n');
    // --pull: the registry is asked again; nothing new, nothing downloaded.
    const again = await buildIn(b, { context: ctx, tags: ['grandchild'], pull: true });
    expect(
      again.events.some(
        (e) =>
          e.type === 'pull' &&
          e.status === `Status: Image is up to date for ${lab.reg.host}/lab/child:1`,
      ),
    ).toBe(true);
    expect(again.id).toBe(r.id);
  });

  it('what skopeo pushes, tsbuild pulls and builds FROM', async () => {
    const src = await storeWithBusybox();
    await run('skopeo', [
      'copy',
      '--insecure-policy',
      '--dest-tls-verify=false',
      `oci:${src}:docker.io/library/busybox:latest`,
      `docker://${lab.reg.host}/skopeo/bb:2`,
    ]);
    const c = tempRoot('tsbuild-machine-c-');
    const ctx = contextOf({ Dockerfile: `FROM ${lab.reg.host}/skopeo/bb:2\nRUN echo ok > /ok\n` });
    await buildIn(c, { context: ctx, tags: ['from-skopeo'] });
    expect(readFileSync(join(await flatten(c, 'from-skopeo'), 'ok'), 'utf8')).toBe('ok\n');
  });

  it('the CLI prints what docker prints', async () => {
    const root = tempRoot('tsbuild-cli-pull-');
    const r = await cli(['pull', '--root', root, `${lab.reg.host}/lab/base:1`], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^1: Pulling from lab/base\\n[0-9a-f]{12}: Pulling fs layer\\n[0-9a-f]{12}: Pull complete\\nDigest: sha256:[0-9a-f]{64}\\nStatus: Downloaded newer image for ${lab.reg.host}/lab/base:1\\n${lab.reg.host}/lab/base:1\\n$`,
      ),
    );
    const p = await cli(['push', '--root', root, `${lab.reg.host}/lab/base:1`], { env });
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/: Layer already exists\n1: digest: sha256:[0-9a-f]{64} size: \d+\n$/);
  });
});

describe('manifest lists and uploads', () => {
  it('an index picks the host platform; one without it is a clear error', async () => {
    const ref = `${lab.reg.host}/multi/app:base`;
    await tag({ root: lab.root, source: 'busybox:latest', target: ref });
    const pushed = await push({ root: lab.root, env, reference: ref });
    const entry = (architecture: string) => ({
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      digest: pushed.digest,
      size: pushed.size,
      platform: { os: 'linux', architecture },
    });
    const putIndex = async (tagName: string, archs: string[]) => {
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: archs.map(entry),
      });
      const res = await fetch(`${lab.reg.url}/v2/multi/app/manifests/${tagName}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' },
        body,
      });
      expect(res.status).toBe(201);
    };
    await putIndex('1', ['s390x', 'amd64', 'arm64']);
    const root = tempRoot('tsbuild-index-');
    const r = await pull({ root, env, reference: `${lab.reg.host}/multi/app:1` });
    const direct = await pull({ root: tempRoot('tsbuild-direct-'), env, reference: ref });
    expect(r.id).toBe(direct.id);
    expect(r.digest).not.toBe(pushed.digest); // the index's digest is what Digest: names
    await putIndex('2', ['s390x', 'ppc64le']);
    const none = await rejected(pull({ root, env, reference: `${lab.reg.host}/multi/app:2` }));
    expect(none).toMatchObject({ code: 'NO_MATCHING_PLATFORM' });
    expect(none.message).toMatch(/no image for linux\/amd64/);
  });

  it('a large layer goes up in chunks (PATCH), and comes back whole', async () => {
    const ref = `${lab.reg.host}/chunked/bb:1`;
    // A layer this registry has never seen (nothing to mount): 300 kB of noise.
    const ctx = contextOf({
      Dockerfile: 'FROM busybox:latest\nRUN head -c 300000 /dev/urandom > /r\n',
    });
    const built = await buildIn(lab.root, { context: ctx, tags: [ref] });
    const before = (await lab.reg.requests()).length;
    const events: PushEvent[] = [];
    await push({
      root: lab.root,
      env,
      reference: ref,
      chunkSize: 64 << 10,
      onEvent: (e) => events.push(e),
    });
    expect(lines(events).filter((l) => l.endsWith(': Pushed')).length).toBeGreaterThan(0);
    const log = (await lab.reg.requests()).slice(before);
    expect(
      log.filter((l) => l.startsWith('PATCH /v2/chunked/bb/blobs/uploads/')).length,
    ).toBeGreaterThan(3);
    const back = await pull({ root: tempRoot('tsbuild-chunked-'), env, reference: ref });
    expect(back.id).toBe(built.id);
  });
});

describe('a build cache shared through the registry', () => {
  it('machine B builds with --cache-from what machine A exported: no RUN runs, the same image', async () => {
    const base = `${lab.reg.host}/shared/base:1`;
    await tag({ root: lab.root, source: 'busybox:latest', target: base });
    await push({ root: lab.root, env, reference: base });
    const dockerfile = [
      `FROM ${base}`,
      'RUN echo one > /one && echo ran-one',
      'COPY msg.txt /msg.txt',
      'RUN cat /msg.txt /one > /both && echo ran-two',
      'ENV DONE=1',
    ].join('\n');
    const ctxA = contextOf({ Dockerfile: `${dockerfile}\n`, 'msg.txt': 'shared\n' });
    const cacheRef = `${lab.reg.host}/shared/cache:main`;
    const onA = await buildIn(lab.root, {
      context: ctxA,
      tags: ['app-a'],
      cacheTo: `type=registry,ref=${cacheRef},mode=max`,
    });
    expect(onA.output).toContain('ran-two');
    expect(onA.events).toContainEqual({
      type: 'push',
      ref: cacheRef,
      status: 'cache: 4 records exported',
    });

    // Machine B: a fresh store, the same sources in another folder.
    const b = tempRoot('tsbuild-machine-b-cache-');
    const ctxB = contextOf({ Dockerfile: `${dockerfile}\n`, 'msg.txt': 'shared\n' });
    const before = (await lab.reg.requests()).length;
    const onB = await buildIn(b, {
      context: ctxB,
      tags: ['app-b'],
      cacheFrom: [`type=registry,ref=${cacheRef}`],
    });
    expect(onB.output).toBe(''); // no RUN ran
    expect(Object.values(onB.cached)).toEqual([true, true, true, true]);
    expect(onB.id).toBe(onA.id);
    expect(onB.digest).toBe(onA.digest);
    expect(readFileSync(join(await flatten(b, 'app-b'), 'both'), 'utf8')).toBe('shared\none\n');
    // It pulled the base's layer and the three step layers, nothing twice.
    const gets = (await lab.reg.requests())
      .slice(before)
      .filter((l) => /^GET \/v2\/.*\/blobs\//.test(l));
    expect(new Set(gets).size).toBe(gets.length);

    // A changed source: the steps before it still come from the cache, the rest run.
    const ctxC = contextOf({ Dockerfile: `${dockerfile}\n`, 'msg.txt': 'changed\n' });
    const c = tempRoot('tsbuild-machine-c-cache-');
    const onC = await buildIn(c, { context: ctxC, tags: ['app-c'], cacheFrom: [cacheRef] });
    expect(onC.output).not.toContain('ran-one');
    expect(onC.output).toContain('ran-two');
  });

  /** busybox pushed as `name`, for a test that needs a base in the registry of its own. */
  const pushedBase = async (name: string) => {
    const ref = `${lab.reg.host}/${name}`;
    await tag({ root: lab.root, source: 'busybox:latest', target: ref });
    await push({ root: lab.root, env, reference: ref });
    return ref;
  };

  it('a cache ref that does not exist yet is an empty cache', async () => {
    const base = await pushedBase('nocache/base:1');
    const ctx = contextOf({ Dockerfile: `FROM ${base}\nRUN echo fresh\n` });
    const r = await buildIn(tempRoot('tsbuild-nocache-'), {
      context: ctx,
      cacheFrom: [`type=registry,ref=${lab.reg.host}/nothing/here:1`],
    });
    expect(r.output).toContain('fresh');
    // One that cannot be reached (or read) is a warning, and the build goes on, as BuildKit.
    const gone = await startRegistry();
    await gone.stop();
    const w = await buildIn(tempRoot('tsbuild-cache-gone-'), {
      context: ctx,
      cacheFrom: [`type=registry,ref=${gone.host}/c/c:1`, `${gone.host}/img/x:1`],
    });
    expect(w.output).toContain('fresh');
    const warnings = w.events
      .filter((e) => e.type === 'warning')
      .map((e) => (e as { message: string }).message);
    expect(warnings).toEqual([
      expect.stringMatching(
        new RegExp(`^importing cache manifest from ${gone.host}/c/c:1: .*${gone.host}`),
      ),
      expect.stringMatching(new RegExp(`^importing cache manifest from ${gone.host}/img/x:1: `)),
    ]);
  });

  it('--cache-from IMAGE, Docker classic style: its layers stand in for the steps its history shows', async () => {
    const base = await pushedBase('classic/base:1');
    const lines = [
      `FROM ${base}`,
      'ARG V=1',
      'RUN echo ran-one-$V && echo ran-one-$V > /one',
      'ENV E=2',
      'RUN echo ran-two && echo ran-two > /two',
      'COPY msg.txt /msg.txt',
      'RUN echo ran-three && cat /msg.txt > /three',
    ];
    const app = `${lab.reg.host}/classic/app:1`;
    const first = await buildIn(lab.root, {
      context: contextOf({ Dockerfile: `${lines.join('\n')}\n`, 'msg.txt': 'm\n' }),
      tags: [app],
      push: true,
    });
    expect(first.output).toMatch(/ran-one-1\n[\s\S]*ran-two\n[\s\S]*ran-three\n/);
    const b = tempRoot('tsbuild-classic-b-');
    const second = await buildIn(b, {
      context: contextOf({ Dockerfile: `${lines.join('\n')}\n`, 'msg.txt': 'm\n' }),
      tags: ['classic'],
      cacheFrom: [app],
    });
    // The two RUNs before the COPY come from the image; a COPY's history says too little to trust.
    expect(second.output).not.toContain('ran-one');
    expect(second.output).not.toContain('ran-two');
    expect(second.output).toContain('ran-three');
    expect(second.cached).toMatchObject({
      'RUN echo ran-one-$V && echo ran-one-$V > /one': true,
      'COPY msg.txt /msg.txt': false,
    });
    const fs = await flatten(b, 'classic');
    expect(readFileSync(join(fs, 'one'), 'utf8')).toBe('ran-one-1\n');
    // Another build arg value: the history differs, the RUN runs.
    const third = await buildIn(tempRoot('tsbuild-classic-c-'), {
      context: contextOf({ Dockerfile: `${lines.join('\n')}\n`, 'msg.txt': 'm\n' }),
      buildArgs: { V: '9' },
      cacheFrom: [app],
    });
    expect(third.output).toContain('ran-one-9');
  });

  it('build --push pushes every tag once built', async () => {
    const base = await pushedBase('pushed/base:1');
    const ctx = contextOf({ Dockerfile: `FROM ${base}\nRUN echo pushed > /p\n` });
    const ref = `${lab.reg.host}/lab/pushed:1`;
    const r = await buildIn(lab.root, { context: ctx, tags: [ref], push: true });
    expect(r.events.some((e) => e.type === 'push' && e.status.startsWith('1: digest: '))).toBe(
      true,
    );
    const fresh = tempRoot('tsbuild-pushed-');
    const back = await pull({ root: fresh, env, reference: ref });
    expect(back.id).toBe(r.id);
    const noTag = await rejected(buildIn(lab.root, { context: ctx, push: true }));
    expect(noTag.message).toContain('--push needs a name');
  });
});

describe('review findings, each reproduced first', () => {
  /** Upload bytes as a blob of `repo` by hand (POST, then one PUT). */
  async function putBlob(repo: string, bytes: Buffer): Promise<string> {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const post = await fetch(`${lab.reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    const location = new URL(post.headers.get('location')!, lab.reg.url);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, { method: 'PUT', body: bytes });
    expect(put.status).toBe(201);
    return digest;
  }

  it('a manifest pairing a foreign blob with a layer the store has cannot poison a later push', async () => {
    const store = await storeWithBusybox();
    const bb = (await configOf(store, 'busybox:latest')).rootfs.diff_ids[0]!;
    const other = gzipSync(Buffer.from('not the busybox layer'));
    const blob = await putBlob('p/evil', other);
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [bb] },
      }),
    );
    const configDigest = await putBlob('p/evil', config);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        digest: configDigest,
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
          digest: blob,
          size: other.length,
        },
      ],
    });
    const put = await fetch(`${lab.reg.url}/v2/p/evil/manifests/1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' },
      body: manifest,
    });
    expect(put.status).toBe(201);
    await pull({ root: store, env, reference: `${lab.reg.host}/p/evil:1` }); // 'Already exists': nothing checked it
    const victim = `${lab.reg.host}/p/victim:1`;
    await tag({ root: store, source: 'busybox:latest', target: victim });
    const events: PushEvent[] = [];
    await push({ root: store, env, reference: victim, onEvent: (e) => events.push(e) });
    expect(lines(events).some((l) => l.includes('Mounted from p/evil'))).toBe(false);
    const back = await pull({ root: tempRoot('tsbuild-victim-'), env, reference: victim });
    expect(back.id).toMatch(/^sha256:/);
  });

  it('FROM an image by digest', async () => {
    const ref = `${lab.reg.host}/dg/base:1`;
    await tag({ root: lab.root, source: 'busybox:latest', target: ref });
    const pushed = await push({ root: lab.root, env, reference: ref });
    const ctx = contextOf({
      Dockerfile: `FROM ${lab.reg.host}/dg/base@${pushed.digest}\nRUN echo pinned > /p\n`,
    });
    const b = tempRoot('tsbuild-by-digest-');
    await buildIn(b, { context: ctx, tags: ['pinned'] });
    expect(readFileSync(join(await flatten(b, 'pinned'), 'p'), 'utf8')).toBe('pinned\n');
  });

  it('mode=min covers the stages the image is FROM; no build arg value leaves with the cache', async () => {
    const base = `${lab.reg.host}/min/base:1`;
    await tag({ root: lab.root, source: 'busybox:latest', target: base });
    await push({ root: lab.root, env, reference: base });
    const df = [
      `FROM ${base} AS builder`,
      'ARG NPM_TOKEN',
      'RUN echo ran-builder > /b',
      `FROM ${base} AS b`,
      'RUN echo ran-b && echo b > /b',
      'FROM b',
      'COPY --from=builder /b /from-builder',
      'RUN echo ran-final',
    ].join('\n');
    const cacheMin = `${lab.reg.host}/min/cache:min`;
    const cacheMax = `${lab.reg.host}/min/cache:max`;
    const files = { Dockerfile: `${df}\n` };
    const args = { NPM_TOKEN: 's3cr3t-t0ken' };
    await buildIn(lab.root, {
      context: contextOf(files),
      buildArgs: args,
      cacheTo: `type=registry,ref=${cacheMin}`,
    });
    await buildIn(lab.root, {
      context: contextOf(files),
      buildArgs: args,
      cacheTo: `type=registry,ref=${cacheMax},mode=max`,
    });
    const onB = await buildIn(tempRoot('tsbuild-min-b-'), {
      context: contextOf(files),
      buildArgs: args,
      cacheFrom: [cacheMin],
    });
    expect(onB.output).not.toContain('ran-b');
    expect(onB.output).not.toContain('ran-final');
    for (const tagName of ['min', 'max']) {
      const m = (await (
        await fetch(`${lab.reg.url}/v2/min/cache/manifests/${tagName}`, {
          headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
        })
      ).json()) as { config: { digest: string } };
      const config = await (
        await fetch(`${lab.reg.url}/v2/min/cache/blobs/${m.config.digest}`)
      ).text();
      expect(config).not.toContain('s3cr3t-t0ken');
      expect(config).not.toContain('NPM_TOKEN');
    }
  });

  it('credentials never go to another origin an upload Location names', async () => {
    const locked = await startRegistry({ auth: 'htpasswd' });
    const proxy = await startFaultProxy(locked.url);
    const seen: (string | undefined)[] = [];
    const elsewhere = createServer((req, res) => {
      seen.push(req.headers.authorization);
      req.resume();
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (elsewhere.address() as { port: number }).port;
      proxy.failFirst(/^POST \/v2\/.*\/blobs\/uploads\/$/, 1, 202, undefined, {
        location: `http://127.0.0.1:${port}/upload/x`,
      });
      const home = loggedInHome(proxy.host);
      const ctx = contextOf({
        Dockerfile: 'FROM busybox:latest\nRUN head -c 1000 /dev/urandom > /r\n',
      });
      const ref = `${proxy.host}/loc/bb:1`;
      await buildIn(lab.root, { context: ctx, tags: [ref] });
      // Whether the push then succeeds is not the point; how it ended says why
      // nothing reached the other origin, should that happen.
      const ended = await push({ root: lab.root, env: { HOME: home }, reference: ref }).then(
        () => 'pushed',
        (e: unknown) => String(e),
      );
      expect(
        seen.length,
        `nothing reached the Location's origin; the push: ${ended}`,
      ).toBeGreaterThan(0);
      expect(seen.filter((h) => h !== undefined)).toEqual([]);
    } finally {
      elsewhere.close();
      await proxy.close();
      await locked.stop();
    }
  });
});

describe('TLS', () => {
  it('a loopback registry with a self-signed certificate is used over https, unverified, as dockerd does', async () => {
    const secure = await startRegistry({ tls: true });
    try {
      expect(secure.url).toMatch(/^https:/);
      const ref = `${secure.host}/tls/bb:1`;
      await tag({ root: lab.root, source: 'busybox:latest', target: ref });
      await push({ root: lab.root, env, reference: ref });
      const back = await pull({ root: tempRoot('tsbuild-tls-'), env, reference: ref });
      expect(back.id).toMatch(/^sha256:/);
      // Plain http to a TLS port would have failed: every request reached the registry.
      expect(
        (await secure.requests()).some((l) => l.startsWith('PUT /v2/tls/bb/manifests/1')),
      ).toBe(true);
    } finally {
      await secure.stop();
    }
  });
});

describe('auth', () => {
  it('htpasswd: anonymous push is refused naming what was tried; login, push, logout', async () => {
    const locked = await startRegistry({ auth: 'htpasswd' });
    try {
      const home = tempRoot('tsbuild-home-');
      const henv = { HOME: home };
      const ref = `${locked.host}/priv/bb:1`;
      await tag({ root: lab.root, source: 'busybox:latest', target: ref });
      const anon = await rejected(push({ root: lab.root, env: henv, reference: ref }));
      expect(anon).toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
      expect(anon.message).toContain('no credentials');

      const wrong = await cli(['login', '-u', 'alice', '--password-stdin', locked.host], {
        env: henv,
        stdin: 'not-her-password\n',
      });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('alice');
      expect(wrong.stderr).not.toContain('not-her-password');

      const ok = await cli(['login', '-u', 'alice', '--password-stdin', locked.host], {
        env: henv,
        stdin: 'alice-pw\n',
      });
      expect(ok).toMatchObject({ code: 0, stdout: 'Login Succeeded\n' });
      const config = JSON.parse(readFileSync(join(home, '.docker/config.json'), 'utf8')) as {
        auths: Record<string, { auth: string }>;
      };
      expect(Buffer.from(config.auths[locked.host]!.auth, 'base64').toString()).toBe(
        'alice:alice-pw',
      );
      await push({ root: lab.root, env: henv, reference: ref });
      const fresh = tempRoot('tsbuild-priv-pull-');
      await pull({ root: fresh, env: henv, reference: ref });

      const out = await cli(['logout', locked.host], { env: henv });
      expect(out.stdout).toBe(`Removing login credentials for ${locked.host}\n`);
      const gone = await rejected(pull({ root: tempRoot('x-'), env: henv, reference: ref }));
      expect(gone).toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
    } finally {
      await locked.stop();
    }
  });

  it('token auth: anonymous pulls get a pull token; pushes need a user; tokens are per scope', async () => {
    const tok = await startRegistry({ auth: 'token' });
    try {
      const home = loggedInHome(tok.host);
      const ref = `${tok.host}/team/bb:1`;
      await tag({ root: lab.root, source: 'busybox:latest', target: ref });
      const denied = await rejected(push({ root: lab.root, env, reference: ref }));
      expect(denied.code).toMatch(/REGISTRY_(UNAUTHORIZED|DENIED)/);
      await push({ root: lab.root, env: { HOME: home }, reference: ref });
      expect(tok.token!.issued).toContainEqual({
        user: 'alice',
        scope: 'repository:team/bb:pull,push',
      });
      const anonymous = await pull({ root: tempRoot('tsbuild-anon-'), env, reference: ref });
      expect(anonymous.id).toMatch(/^sha256:/);
      expect(
        tok.token!.issued.some(
          (t) => t.user === undefined && t.scope === 'repository:team/bb:pull',
        ),
      ).toBe(true);
    } finally {
      await tok.stop();
    }
  });
});

describe('faults: a clear error, and the store as it was', () => {
  const snapshot = (root: string) =>
    JSON.stringify([
      readdirSync(join(root, 'blobs/sha256')).sort(),
      readFileSync(join(root, 'index.json'), 'utf8'),
    ]);

  it('an unknown tag, an unknown repository, an unknown host', async () => {
    const root = await storeWithBusybox();
    const before = snapshot(root);
    const tagMissing = await rejected(
      pull({ root, env, reference: `${lab.reg.host}/lab/base:nope` }),
    );
    expect(tagMissing).toMatchObject({ code: 'REGISTRY_NOT_FOUND' });
    expect(tagMissing.message).toContain('lab/base:nope');
    const host = await rejected(pull({ root, env, reference: 'registry.invalid:5000/x:1' }));
    expect(host).toMatchObject({ code: 'REGISTRY_UNKNOWN_HOST' });
    expect(snapshot(root)).toBe(before);
  });

  it('a blob whose bytes do not match its digest: DIGEST_MISMATCH, nothing kept', async () => {
    const bad = await startRegistry();
    try {
      const src = await storeWithBusybox();
      const ref = `${bad.host}/bad/bb:1`;
      await tag({ root: src, source: 'busybox:latest', target: ref });
      await push({ root: src, env, reference: ref });
      // Corrupt every layer-sized blob in the registry's storage.
      const blobs = join(bad.storage, 'docker/registry/v2/blobs/sha256');
      for (const d of readdirSync(blobs))
        for (const h of readdirSync(join(blobs, d))) {
          const data = join(blobs, d, h, 'data');
          const bytes = readFileSync(data);
          if (bytes.length > 4096) {
            bytes.writeUInt8(bytes.readUInt8(bytes.length - 100) ^ 0xff, bytes.length - 100);
            writeFileSync(data, bytes);
          }
        }
      const root = tempRoot('tsbuild-bad-');
      mkdirSync(join(root, 'blobs/sha256'), { recursive: true });
      const e = await rejected(pull({ root, env, reference: ref }));
      // The gzip stream's own CRC may catch the flipped byte first.
      expect([e.code, e.message]).toEqual([
        expect.stringMatching(/^(DIGEST_MISMATCH|BAD_ARCHIVE)$/),
        expect.stringContaining(ref),
      ]);
      expect((await images({ root })).length).toBe(0);
      expect(readdirSync(join(root, 'blobs/sha256'))).toEqual([]);
    } finally {
      await bad.stop();
    }
  });

  it('a registry that is gone: retried, then REGISTRY_CONNECTION, the store as it was', async () => {
    const gone = await startRegistry();
    const host = gone.host;
    await gone.stop();
    const root = await storeWithBusybox();
    const before = snapshot(root);
    const e = await rejected(pull({ root, env, reference: `${host}/x/y:1` }));
    expect(e).toMatchObject({ code: 'REGISTRY_CONNECTION' });
    expect(e.message).toContain(host);
    expect(snapshot(root)).toBe(before);
  });
});
