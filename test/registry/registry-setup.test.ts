/**
 * Proves test/setup/registry.ts with real clients: skopeo pushes a tiny
 * hand-made OCI image to each kind of loopback registry (anonymous, htpasswd,
 * token) and reads it back, so the registry client of issue 7 is tested
 * against registries that skopeo agrees are real. Also: stop() and kill()
 * leave no process, port or temp dir behind.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempRoot } from '../helpers/tmp.js';
import { startRegistry, type Registry } from '../setup/registry.js';

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A one-layer image as an OCI layout, tagged `x`; returns the dir and the manifest digest. */
async function ociImage(): Promise<{ dir: string; digest: string }> {
  const dir = tempRoot('tsbuild-oci-');
  const pack = tar.pack();
  pack.entry({ name: 'hello.txt', mtime: new Date(0), mode: 0o644 }, 'hello\n');
  pack.finalize();
  const chunks: Uint8Array[] = [];
  for await (const c of pack) chunks.push(c as Uint8Array);
  const layerTar = Buffer.concat(chunks);
  const layer = gzipSync(layerTar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] },
    }),
  );
  const desc = (mediaType: string, b: Buffer) => ({ mediaType, digest: sha256(b), size: b.length });
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: desc('application/vnd.oci.image.config.v1+json', config),
      layers: [desc('application/vnd.oci.image.layer.v1.tar+gzip', layer)],
    }),
  );
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const b of [layer, config, manifest]) {
    await writeFile(join(dir, 'blobs', 'sha256', sha256(b).slice(7)), b);
  }
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const ref = { 'org.opencontainers.image.ref.name': 'x' };
  const index = {
    schemaVersion: 2,
    manifests: [
      { ...desc('application/vnd.oci.image.manifest.v1+json', manifest), annotations: ref },
    ],
  };
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
  return { dir, digest: sha256(manifest) };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** skopeo with no policy file and no auth file of the developer's in play. */
function skopeo(...args: string[]): Promise<Run> {
  const [verb = '', ...rest] = args;
  const authfile = join(image.dir, 'no-auth.json');
  return new Promise((resolve) => {
    execFile(
      'skopeo',
      ['--insecure-policy', verb, '--authfile', authfile, ...rest],
      { timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const push = (reg: Registry, ref: string, ...creds: string[]) =>
  skopeo(
    'copy',
    '--dest-tls-verify=false',
    ...creds,
    `oci:${image.dir}:x`,
    `docker://${reg.host}/${ref}`,
  );
const inspect = (reg: Registry, ref: string, ...creds: string[]) =>
  skopeo('inspect', '--raw', '--tls-verify=false', ...creds, `docker://${reg.host}/${ref}`);

/** Whether a pid names a live (or not yet reaped) process. */
const alive = (pid: number) => existsSync(`/proc/${pid}`);

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(20);
  return !alive(pid);
}

let image: { dir: string; digest: string };
beforeAll(async () => {
  image = await ociImage();
  await writeFile(join(image.dir, 'no-auth.json'), '{}');
});
afterAll(() => rm(image.dir, { recursive: true, force: true }));

describe('anonymous registry', () => {
  let reg: Registry;
  beforeAll(async () => (reg = await startRegistry({ deleteEnabled: true })));
  afterAll(() => reg.stop());

  it('listens on loopback and answers the ping', async () => {
    expect(reg.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(reg.url).toBe(`http://${reg.host}`);
    expect((await fetch(`${reg.url}/v2/`)).status).toBe(200);
    expect(reg.token).toBeUndefined();
  });

  it('takes a skopeo push, serves it back, and logs the requests', async () => {
    const pushed = await push(reg, 'test/x:1', '--dest-no-creds');
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(0);
    const got = await inspect(reg, 'test/x:1', '--no-creds');
    expect(got.code).toBe(0);
    expect(sha256(Buffer.from(got.stdout))).toBe(image.digest);
    const log = await reg.requests();
    expect(log).toContain('PUT /v2/test/x/manifests/1');
    expect(log.some((l) => /^HEAD \/v2\/test\/x\/blobs\/sha256:[0-9a-f]{64}$/.test(l))).toBe(true);
    expect(existsSync(join(reg.storage, 'docker/registry/v2/repositories/test/x'))).toBe(true);
  });

  it('deletes when deleteEnabled is set', async () => {
    await push(reg, 'test/del:1', '--dest-no-creds');
    const del = await skopeo('delete', '--tls-verify=false', `docker://${reg.host}/test/del:1`);
    expect(del.stderr).toBe('');
    expect(del.code).toBe(0);
    expect((await inspect(reg, 'test/del:1', '--no-creds')).code).not.toBe(0);
  });
});

describe('htpasswd registry', () => {
  let reg: Registry;
  beforeAll(async () => (reg = await startRegistry({ auth: 'htpasswd' })));
  afterAll(() => reg.stop());

  it('challenges with Basic auth', async () => {
    const res = await fetch(`${reg.url}/v2/`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="test-registry"');
    expect(reg.users).toEqual({ alice: 'alice-pw' });
  });

  it('refuses a push without credentials or with a wrong password', async () => {
    const anonymous = await push(reg, 'test/x:1', '--dest-no-creds');
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/unauthorized|authentication required/i);
    const wrong = await push(reg, 'test/x:1', '--dest-creds', 'alice:nope');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/unauthorized|authentication required/i);
  });

  it('takes a push and serves a pull with alice:alice-pw', async () => {
    const pushed = await push(reg, 'test/x:1', '--dest-creds', 'alice:alice-pw');
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(0);
    const got = await inspect(reg, 'test/x:1', '--creds', 'alice:alice-pw');
    expect(sha256(Buffer.from(got.stdout))).toBe(image.digest);
    expect((await inspect(reg, 'test/x:1', '--no-creds')).code).not.toBe(0);
  });
});

describe('token registry', () => {
  let reg: Registry;
  beforeAll(async () => (reg = await startRegistry({ auth: 'token' })));
  afterAll(() => reg.stop());

  it('challenges with Bearer realm and service', async () => {
    const res = await fetch(`${reg.url}/v2/`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer realm="${reg.token?.url}/token",service="test-registry"`,
    );
  });

  it('issues tokens by the spec, and 401 for a wrong password', async () => {
    const scope = 'repository:test/raw:pull,push';
    const res = await fetch(`${reg.token?.url}/token?service=test-registry&scope=${scope}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ expires_in: 300, access_token: body.token });
    const [header, claims] = String(body.token)
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>);
    expect(header).toMatchObject({ alg: 'ES256', x5c: [expect.any(String)] });
    expect(claims).toMatchObject({
      iss: 'test-issuer',
      aud: 'test-registry',
      access: [{ type: 'repository', name: 'test/raw', actions: ['pull'] }],
    });
    const bad = await fetch(`${reg.token?.url}/token?service=test-registry&scope=${scope}`, {
      headers: { authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}` },
    });
    expect(bad.status).toBe(401);
  });

  it('lets alice push, anyone pull, and no one else push', async () => {
    const pushed = await push(reg, 'test/x:1', '--dest-creds', 'alice:alice-pw');
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(0);
    const got = await inspect(reg, 'test/x:1', '--no-creds');
    expect(got.code).toBe(0);
    expect(sha256(Buffer.from(got.stdout))).toBe(image.digest);
    const anonymous = await push(reg, 'test/y:1', '--dest-no-creds');
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/unauthorized|denied|authentication required/i);
    expect((await push(reg, 'test/y:1', '--dest-creds', 'alice:nope')).code).not.toBe(0);
    expect(reg.token?.issued).toContainEqual({
      user: 'alice',
      scope: 'repository:test/x:pull,push',
    });
    expect(reg.token?.issued).toContainEqual({ scope: 'repository:test/x:pull' });
    expect((await reg.requests()).filter((l) => l.startsWith('PUT /v2/test/y/'))).toEqual([]);
  });
});

describe('lifecycle', () => {
  it('stop() ends the registry and the token server and removes temp dirs', async () => {
    const reg = await startRegistry({ auth: 'token' });
    const tokenUrl = reg.token?.url ?? '';
    await reg.stop();
    expect(alive(reg.pid)).toBe(false);
    expect(existsSync(reg.storage)).toBe(false);
    await expect(fetch(`${reg.url}/v2/`)).rejects.toThrow();
    await expect(fetch(`${tokenUrl}/token`)).rejects.toThrow();
    await reg.stop(); // twice is harmless
  });

  it('kill() leaves nothing running, and stop() still cleans up after it', async () => {
    const reg = await startRegistry({ auth: 'token' });
    reg.kill();
    expect(await gone(reg.pid)).toBe(true);
    await expect(fetch(`${reg.url}/v2/`)).rejects.toThrow();
    await expect(fetch(`${reg.token?.url}/token`)).rejects.toThrow();
    await reg.stop();
    expect(existsSync(reg.storage)).toBe(false);
  });
});
