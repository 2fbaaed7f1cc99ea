/**
 * The "Bad input and faults", made to happen: a fault-injecting proxy
 * (test/setup/fault-proxy.ts) between the client and a real loopback registry
 * cuts bodies, answers 429/503, drops uploads and kills the registry part way.
 * Each case ends in a retry that succeeds or a clear error, the store as it was.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { images } from '../../src/api/images.js';
import { pull } from '../../src/api/pull.js';
import { push, type PushEvent } from '../../src/api/push.js';
import { tag } from '../../src/api/tag.js';
import { rejected } from '../helpers/caught.js';
import { tempRoot } from '../helpers/tmp.js';
import { startFaultProxy, restartRegistry, type FaultProxy } from '../setup/fault-proxy.js';
import { TOKEN_SERVICE, startRegistry, loggedInHome } from '../setup/registry.js';
import { useRegistryWithBusybox } from '../helpers/registry-lab.js';
import { storeWithBusybox } from '../build/harness.js';

const env = { HOME: '/nonexistent' };
const snapshot = (root: string) =>
  JSON.stringify([
    readdirSync(join(root, 'blobs/sha256')).sort(),
    readFileSync(join(root, 'index.json'), 'utf8'),
  ]);
const blobGet = (m: string, p: string) => m === 'GET' && /\/blobs\/sha256:/.test(p);

/** The registry, and a store with busybox, pushed to the registry as bb/x:1. */
const lab = useRegistryWithBusybox();
let proxy: FaultProxy;
let layerDigest: string;

beforeAll(async () => {
  await tag({ root: lab.root, source: 'busybox:latest', target: `${lab.reg.host}/bb/x:1` });
  await push({ root: lab.root, env, reference: `${lab.reg.host}/bb/x:1` });
  const m = (await (
    await fetch(`${lab.reg.url}/v2/bb/x/manifests/1`, {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    })
  ).json()) as { layers: { digest: string }[] };
  layerDigest = m.layers[0]!.digest;
}, 60_000);

afterEach(async () => {
  await proxy?.close();
});

describe('pull through faults', () => {
  it('a blob body cut part way once: resumed with a Range request, the pull succeeds', async () => {
    proxy = await startFaultProxy(lab.reg.url);
    proxy.cutOnce((m, p) => blobGet(m, p) && p.endsWith(layerDigest), 100_000);
    const root = tempRoot('tsbuild-cut-');
    const r = await pull({ root, env, reference: `${proxy.host}/bb/x:1` });
    expect(r.id).toMatch(/^sha256:/);
    const gets = proxy.log.filter((s) => s.path.endsWith(layerDigest));
    // The client resumes from what it had read when the cut reached it.
    expect(gets.map((s) => [s.fault, s.range])).toEqual([
      ['cut after 100000', undefined],
      [undefined, expect.stringMatching(/^bytes=\d+-$/)],
    ]);
    const from = Number(/\d+/.exec(gets[1]!.range!)![0]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(100_000);
  });

  it('cut part way where ranges are not served: sent whole again, the bytes already had are skipped', async () => {
    proxy = await startFaultProxy(lab.reg.url);
    proxy.noRanges();
    proxy.cutOnce((m, p) => blobGet(m, p) && p.endsWith(layerDigest), 100_000);
    const r = await pull({
      root: tempRoot('tsbuild-norange-'),
      env,
      reference: `${proxy.host}/bb/x:1`,
    });
    expect(r.id).toMatch(/^sha256:/);
    const gets = proxy.log.filter((s) => s.path.endsWith(layerDigest));
    expect(gets.map((s) => [s.fault, s.range === undefined])).toEqual([
      ['cut after 100000', true],
      [undefined, false],
    ]);
  });

  it.each([
    [429, 1],
    [503, 0],
  ])(
    '%i (Retry-After: %is) for the first requests, then success: retried',
    async (status, after) => {
      proxy = await startFaultProxy(lab.reg.url);
      proxy.failFirst(/manifests\/1$/, 2, status, after);
      proxy.failFirst(blobGet, 2, status, after);
      const r = await pull({
        root: tempRoot('tsbuild-retry-'),
        env,
        reference: `${proxy.host}/bb/x:1`,
      });
      expect(r.id).toMatch(/^sha256:/);
      expect(proxy.log.filter((s) => s.fault === `status ${status}`)).toHaveLength(4);
    },
  );

  it('the registry killed mid-pull: REGISTRY_CONNECTION naming the host, the store as it was', async () => {
    // Killed while a layer comes down, into a fresh store: nothing is kept.
    const one = await startRegistry();
    const two = await startRegistry();
    try {
      for (const r of [one, two]) {
        await tag({ root: lab.root, source: 'busybox:latest', target: `${r.host}/bb/x:1` });
        await push({ root: lab.root, env, reference: `${r.host}/bb/x:1` });
      }
      proxy = await startFaultProxy(one.url);
      proxy.killAfter(
        (m, p) => blobGet(m, p) && p.endsWith(layerDigest),
        50_000,
        () => one.kill(),
      );
      const fresh = tempRoot('tsbuild-killed-');
      const e = await rejected(pull({ root: fresh, env, reference: `${proxy.host}/bb/x:1` }));
      expect(e).toMatchObject({ code: 'REGISTRY_CONNECTION' });
      expect(e.message).toContain(proxy.host);
      expect(readdirSync(join(fresh, 'blobs/sha256'))).toEqual([]);
      expect((await images({ root: fresh })).length).toBe(0);
      await proxy.close();

      // Killed while the config comes down, into a store with images: it is as it was.
      proxy = await startFaultProxy(two.url);
      proxy.killAfter(
        (m, p) => blobGet(m, p) && !p.endsWith(layerDigest),
        100,
        () => two.kill(),
      );
      const root = await storeWithBusybox();
      const before = snapshot(root);
      const e2 = await rejected(pull({ root, env, reference: `${proxy.host}/bb/x:1` }));
      expect(e2).toMatchObject({ code: 'REGISTRY_CONNECTION' });
      expect(e2.message).toContain(proxy.host);
      expect(snapshot(root)).toBe(before);
    } finally {
      await one.stop();
      await two.stop();
    }
  }, 60_000);

  it('a manifest body cut part way: retried; cut every time: a clear error', async () => {
    proxy = await startFaultProxy(lab.reg.url);
    const root = await storeWithBusybox();
    const before = snapshot(root);
    proxy.cutOnce(/manifests\/1$/, 100);
    const r = await pull({
      root: tempRoot('tsbuild-cut-'),
      env,
      reference: `${proxy.host}/bb/x:1`,
    });
    expect(r.id).toMatch(/^sha256:/);
    for (let i = 0; i < 10; i++) proxy.cutOnce(/manifests\/1$/, 100);
    const e = await rejected(pull({ root, env, reference: `${proxy.host}/bb/x:1` }));
    expect(e).toMatchObject({ code: 'REGISTRY_CONNECTION' });
    expect(e.message).toContain(`${proxy.host}: GET /v2/bb/x/manifests/1`);
    expect(snapshot(root)).toBe(before);
  }, 60_000);

  it('a truncated manifest or config (short but whole): a clear error naming the image, nothing kept', async () => {
    proxy = await startFaultProxy(lab.reg.url);
    const root = await storeWithBusybox();
    const before = snapshot(root);
    const ref = `${proxy.host}/bb/x:1`;
    proxy.truncateOnce(/manifests\/1$/, 100);
    const m = await rejected(pull({ root, env, reference: ref }));
    expect([m.code, m.message]).toEqual(['REGISTRY_PROTOCOL', expect.stringContaining(ref)]);
    expect(m.message).toMatch(/not JSON/);
    proxy.truncateOnce((meth, p) => blobGet(meth, p) && !p.endsWith(layerDigest), 100);
    const c = await rejected(pull({ root, env, reference: ref }));
    expect([c.code, c.message]).toEqual(['DIGEST_MISMATCH', expect.stringContaining(ref)]);
    expect(snapshot(root)).toBe(before);
    // And a layer cut short but "whole": the digest check catches it in a fresh store.
    const fresh = tempRoot('tsbuild-trunc-layer-');
    proxy.truncateOnce((meth, p) => blobGet(meth, p) && p.endsWith(layerDigest), 100_000);
    const l = await rejected(pull({ root: fresh, env, reference: ref }));
    expect(l.code).toMatch(/^(DIGEST_MISMATCH|BAD_ARCHIVE)$/);
    expect(l.message).toContain(ref);
    expect(readdirSync(join(fresh, 'blobs/sha256'))).toEqual([]);
  }, 60_000);
});

describe('push through faults', () => {
  it('the connection dropped mid-upload once: the upload starts over and the push succeeds', async () => {
    const target = await startRegistry();
    try {
      proxy = await startFaultProxy(target.url);
      proxy.dropUploadOnce(/^PUT .*\/blobs\/uploads\//, 200_000);
      const ref = `${proxy.host}/up/x:1`;
      await tag({ root: lab.root, source: 'busybox:latest', target: ref });
      const r = await push({ root: lab.root, env, reference: ref });
      expect(r.digest).toMatch(/^sha256:/);
      const posts = proxy.log.filter((s) => s.method === 'POST');
      const puts = proxy.log.filter((s) => s.method === 'PUT' && s.path.includes('/uploads/'));
      expect(puts[0]?.fault).toBe('drop upload after 200000');
      // Layer twice (dropped, then again) and the config once, each in its own session.
      expect([posts.length, puts.length]).toEqual([3, 3]);
      const back = await pull({ root: tempRoot('tsbuild-back-'), env, reference: ref });
      expect(back.digest).toBe(r.digest);
    } finally {
      await target.stop();
    }
  });

  it('chunked: a PATCH dropped part way and a 503 to another: the upload starts over, the push succeeds', async () => {
    const target = await startRegistry();
    try {
      proxy = await startFaultProxy(target.url);
      proxy.dropUploadOnce(/^PATCH /, 100_000);
      const patches = () => proxy.log.filter((s) => s.method === 'PATCH').length;
      proxy.failFirst((m) => m === 'PATCH' && patches() > 2, 1, 503, 0);
      const ref = `${proxy.host}/chunks/x:1`;
      await tag({ root: lab.root, source: 'busybox:latest', target: ref });
      const r = await push({ root: lab.root, env, reference: ref, chunkSize: 256 << 10 });
      expect(proxy.log.filter((s) => s.fault).map((s) => `${s.method} ${s.fault}`)).toEqual([
        'PATCH drop upload after 100000',
        'PATCH status 503',
      ]);
      const back = await pull({ root: tempRoot('tsbuild-back-'), env, reference: ref });
      expect(back.digest).toBe(r.digest);
    } finally {
      await target.stop();
    }
  });

  it('503 for the upload PUT: retried, the push succeeds', async () => {
    const target = await startRegistry();
    try {
      proxy = await startFaultProxy(target.url);
      proxy.failFirst(/^PUT .*\/blobs\/uploads\//, 1, 503, 0);
      const ref = `${proxy.host}/up5/x:1`;
      await tag({ root: lab.root, source: 'busybox:latest', target: ref });
      const r = await push({ root: lab.root, env, reference: ref });
      expect(r.digest).toMatch(/^sha256:/);
    } finally {
      await target.stop();
    }
  });

  it('a 401 to a streamed upload PUT (a token gone stale): a new token, the bytes sent again', async () => {
    const tok = await startRegistry({ auth: 'token' });
    try {
      proxy = await startFaultProxy(tok.url);
      const home = loggedInHome(proxy.host);
      const challenge = `Bearer realm="${tok.token!.url}/token",service="${TOKEN_SERVICE}",scope="repository:stale/x:pull,push"`;
      proxy.failFirst(/^PUT .*\/blobs\/uploads\//, 1, 401, undefined, {
        'www-authenticate': challenge,
      });
      const ref = `${proxy.host}/stale/x:1`;
      await tag({ root: lab.root, source: 'busybox:latest', target: ref });
      const r = await push({ root: lab.root, env: { HOME: home }, reference: ref });
      const back = await pull({ root: tempRoot('tsbuild-back-'), env, reference: ref });
      expect(back.digest).toBe(r.digest);
    } finally {
      await tok.stop();
    }
  });

  it('the registry killed mid-push: a clear error; pushed again after a restart, the layer exists', async () => {
    const dying = await startRegistry();
    let again: { stop(): Promise<void> } | undefined;
    try {
      proxy = await startFaultProxy(dying.url);
      // The layer and config are up; the registry dies as the manifest arrives.
      proxy.killOnRequest(/^PUT .*\/manifests\//, () => dying.kill());
      const ref = `${proxy.host}/dies/x:1`;
      await tag({ root: lab.root, source: 'busybox:latest', target: ref });
      const e = await rejected(push({ root: lab.root, env, reference: ref }));
      expect(e).toMatchObject({ code: 'REGISTRY_CONNECTION' });
      expect(e.message).toContain(proxy.host);
      again = await restartRegistry(dying.storage, dying.url);
      const events: PushEvent[] = [];
      const r = await push({
        root: lab.root,
        env,
        reference: ref,
        onEvent: (ev) => events.push(ev),
      });
      expect(events.map((ev) => ev.status)).toContain('Layer already exists');
      expect(events.map((ev) => ev.status)).not.toContain('Pushed');
      const back = await pull({ root: tempRoot('tsbuild-back-'), env, reference: ref });
      expect(back.digest).toBe(r.digest);
    } finally {
      await again?.stop();
      await dying.stop();
    }
  }, 60_000);
});

describe('auth through faults', () => {
  it('the token server answering 503 twice, then 500 always: retried, then REGISTRY_ERROR (not a credentials error)', async () => {
    const tok = await startRegistry({ auth: 'token' });
    const tokens = await startFaultProxy(tok.token!.url);
    try {
      proxy = await startFaultProxy(tok.url);
      // The registry's challenge, its realm moved behind a second proxy.
      const challenge = (scope: string) => ({
        'www-authenticate': `Bearer realm="http://${tokens.host}/token",service="${TOKEN_SERVICE}",scope="${scope}"`,
      });
      proxy.failFirst(/manifests\/1$/, 1, 401, undefined, challenge('repository:bb/t:pull'));
      tokens.failFirst(/\/token/, 2, 503, 0);
      await tag({ root: lab.root, source: 'busybox:latest', target: `${tok.host}/bb/t:1` });
      const home = loggedInHome(tok.host);
      await push({ root: lab.root, env: { HOME: home }, reference: `${tok.host}/bb/t:1` });
      const r = await pull({
        root: tempRoot('tsbuild-tok-'),
        env,
        reference: `${proxy.host}/bb/t:1`,
      });
      expect(r.id).toMatch(/^sha256:/);
      expect(tokens.log.filter((s) => s.fault === 'status 503')).toHaveLength(2);

      proxy.failFirst(/manifests\/1$/, 1, 401, undefined, challenge('repository:bb/t:pull'));
      tokens.failFirst(/\/token/, 100, 500);
      const e = await rejected(
        pull({ root: tempRoot('tsbuild-tok-'), env, reference: `${proxy.host}/bb/t:1` }),
      );
      expect(e).toMatchObject({ code: 'REGISTRY_ERROR' });
      expect(e.message).toContain(`the token server http://${tokens.host}/token: HTTP 500`);
    } finally {
      await tokens.close();
      await tok.stop();
    }
  }, 60_000);

  it('a blob redirected to storage elsewhere: followed, and the Authorization stays with the registry', async () => {
    const locked = await startRegistry({ auth: 'htpasswd' });
    const bytes = Buffer.from(
      await (
        await fetch(`${lab.reg.url}/v2/bb/x/blobs/${layerDigest}`, { redirect: 'follow' })
      ).arrayBuffer(),
    );
    const seen: (string | undefined)[] = [];
    const storage = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'content-length': String(bytes.length) }).end(bytes);
    });
    storage.listen(0, '127.0.0.1');
    await once(storage, 'listening');
    try {
      proxy = await startFaultProxy(locked.url);
      const ref = `${proxy.host}/redir/x:1`;
      const home = loggedInHome(proxy.host);
      await tag({ root: lab.root, source: 'busybox:latest', target: ref });
      await push({ root: lab.root, env: { HOME: home }, reference: ref });
      const port = (storage.address() as AddressInfo).port;
      proxy.failFirst((m, p) => blobGet(m, p) && p.endsWith(layerDigest), 1, 307, undefined, {
        location: `http://127.0.0.1:${port}/blob?sig=1`,
      });
      const r = await pull({
        root: tempRoot('tsbuild-redir-'),
        env: { HOME: home },
        reference: ref,
      });
      expect(r.id).toMatch(/^sha256:/);
      expect(seen).toEqual([undefined]);
    } finally {
      storage.close();
      await locked.stop();
    }
  });
});
