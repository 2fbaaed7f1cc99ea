/**
 * Credentials as the docker CLI keeps them (src/registry/credentials.ts), with a
 * real `docker-credential-fake` helper program on PATH and real registries:
 * config.json `auths` in every spelling, `identitytoken`, `credsStore` and
 * `credHelpers`, login/logout through a helper, DOCKER_CONFIG, the file mode,
 * and 401/403 messages that say which credentials were tried but never the secret.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { login, logout } from '../../src/api/login.js';
import { pull } from '../../src/api/pull.js';
import { push } from '../../src/api/push.js';
import { tag } from '../../src/api/tag.js';
import {
  configPath,
  credentialsFor,
  eraseCredentials,
  storeCredentials,
} from '../../src/registry/credentials.js';
import { rejected } from '../helpers/caught.js';
import { tempRoot } from '../helpers/tmp.js';
import { startFaultProxy } from '../setup/fault-proxy.js';
import { startRegistry } from '../setup/registry.js';
import { useRegistryWithBusybox } from '../helpers/registry-lab.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/**
 * A `docker-credential-fake` in a fresh bin dir: `get` answers from
 * `<bin>/creds/<host>` or says "credentials not found"; `store` and `erase`
 * append what they were given to `<bin>/calls.log` and keep or drop the file.
 */
function fakeHelper(known: Record<string, { user: string; secret: string }> = {}) {
  const bin = tempRoot('tsbuild-helper-');
  mkdirSync(join(bin, 'creds'));
  const file = (host: string) => join(bin, 'creds', host.replace(/[:/]/g, '_'));
  for (const [host, c] of Object.entries(known))
    writeFileSync(
      file(host),
      JSON.stringify({ ServerURL: host, Username: c.user, Secret: c.secret }),
    );
  const script = `#!/bin/sh
dir=$(dirname "$0")
input=$(cat)
case "$1" in
  get)
    f="$dir/creds/$(printf %s "$input" | tr ':/' '__')"
    if [ -f "$f" ]; then cat "$f"; exit 0; fi
    echo "credentials not found in native keychain"; exit 1 ;;
  store)
    printf 'store %s\\n' "$input" >> "$dir/calls.log"
    host=$(printf %s "$input" | sed -n 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/p')
    printf %s "$input" > "$dir/creds/$(printf %s "$host" | tr ':/' '__')" ;;
  erase)
    printf 'erase %s\\n' "$input" >> "$dir/calls.log"
    rm -f "$dir/creds/$(printf %s "$input" | tr ':/' '__')" ;;
  *) exit 2 ;;
esac
`;
  writeFileSync(join(bin, 'docker-credential-fake'), script);
  chmodSync(join(bin, 'docker-credential-fake'), 0o755);
  return {
    bin,
    calls: () =>
      existsSync(join(bin, 'calls.log')) ? readFileSync(join(bin, 'calls.log'), 'utf8') : '',
    has: (host: string) => existsSync(file(host)),
  };
}

/** An env whose docker config dir is fresh, holding `config` when given. */
function envWith(config?: object, bin?: string): NodeJS.ProcessEnv & { DOCKER_CONFIG: string } {
  const dir = tempRoot('tsbuild-docker-config-');
  if (config) writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return {
    HOME: '/nonexistent',
    DOCKER_CONFIG: dir,
    PATH: `${bin ? `${bin}:` : ''}${process.env.PATH ?? ''}`,
  };
}

const readConfig = (env: { DOCKER_CONFIG: string }) =>
  JSON.parse(readFileSync(join(env.DOCKER_CONFIG, 'config.json'), 'utf8')) as {
    auths?: Record<string, Record<string, string>>;
  };

describe('config.json auths', () => {
  it('auth is base64 of user:password; the source is the file', async () => {
    const env = envWith({ auths: { 'reg.test:5000': { auth: b64('bob:pa:ss') } } });
    expect(await credentialsFor('reg.test:5000', env)).toEqual({
      username: 'bob',
      password: 'pa:ss',
      source: join(env.DOCKER_CONFIG, 'config.json'),
    });
    expect(await credentialsFor('other.test', env)).toBeUndefined();
  });

  it.each(['https://reg.test:5000/', 'http://reg.test:5000/v2/', 'https://reg.test:5000'])(
    'a key written as %s matches',
    async (key) => {
      const env = envWith({ auths: { [key]: { auth: b64('bob:pw') } } });
      expect(await credentialsFor('reg.test:5000', env)).toMatchObject({ username: 'bob' });
      expect(await credentialsFor('reg.test:5001', env)).toBeUndefined();
    },
  );

  it('Docker Hub is keyed https://index.docker.io/v1/', async () => {
    const env = envWith({ auths: { 'https://index.docker.io/v1/': { auth: b64('hub:pw') } } });
    expect(await credentialsFor('docker.io', env)).toMatchObject({ username: 'hub' });
  });

  it('identitytoken is sent as the password of <token>', async () => {
    const env = envWith({ auths: { 'reg.test': { auth: '', identitytoken: 'refresh-123' } } });
    expect(await credentialsFor('reg.test', env)).toMatchObject({
      username: '<token>',
      password: 'refresh-123',
    });
  });

  it('an auth that is not user:password: BAD_DOCKER_CONFIG, without the secret', async () => {
    const env = envWith({ auths: { 'reg.test': { auth: b64('no-colon-secret') } } });
    const e = await rejected(credentialsFor('reg.test', env));
    expect(e).toMatchObject({ code: 'BAD_DOCKER_CONFIG' });
    expect(e.message).not.toContain('no-colon-secret');
  });

  it('DOCKER_CONFIG is honoured over HOME, and config.json is written 0600', async () => {
    const home = tempRoot('tsbuild-home-');
    const env = { ...envWith(), HOME: home };
    mkdirSync(join(home, '.docker'));
    writeFileSync(
      join(home, '.docker/config.json'),
      JSON.stringify({ auths: { 'reg.test': { auth: b64('home:pw') } } }),
    );
    expect(await credentialsFor('reg.test', env)).toBeUndefined();
    expect(configPath(env)).toBe(join(env.DOCKER_CONFIG, 'config.json'));
    // A config that was world-readable before is 0600 after a write.
    writeFileSync(configPath(env), JSON.stringify({ other: { kept: true } }), { mode: 0o644 });
    chmodSync(configPath(env), 0o644);
    await storeCredentials('reg.test', { username: 'dc', password: 'pw' }, env);
    expect(statSync(configPath(env)).mode & 0o777).toBe(0o600);
    expect(readConfig(env)).toMatchObject({ other: { kept: true } });
    expect(await credentialsFor('reg.test', env)).toMatchObject({ username: 'dc' });
    expect(readFileSync(join(home, '.docker/config.json'), 'utf8')).toContain(b64('home:pw'));
  });

  it('logout removes a key written as https://host/ too (as docker logout does)', async () => {
    const env = envWith({
      auths: { 'https://reg.test:5000/': { auth: b64('bob:pw') }, 'keep.test': { auth: 'x' } },
    });
    expect(await eraseCredentials('reg.test:5000', env)).toBe(true);
    expect(await credentialsFor('reg.test:5000', env)).toBeUndefined();
    expect(Object.keys(readConfig(env).auths ?? {})).toEqual(['keep.test']);
  });
});

describe('credential helpers', () => {
  it('credsStore: the helper answers for a host it knows; others fall back to auths', async () => {
    const h = fakeHelper({ 'reg.test:5000': { user: 'carol', secret: 's3cret' } });
    const env = envWith(
      { credsStore: 'fake', auths: { 'other.test': { auth: b64('dave:pw') } } },
      h.bin,
    );
    expect(await credentialsFor('reg.test:5000', env)).toEqual({
      username: 'carol',
      password: 's3cret',
      source: 'docker-credential-fake',
    });
    expect(await credentialsFor('other.test', env)).toMatchObject({ username: 'dave' });
    expect(await credentialsFor('unknown.test', env)).toBeUndefined();
  });

  it('credHelpers: per host, over credsStore', async () => {
    const h = fakeHelper({ 'reg.test': { user: 'erin', secret: 'pw' } });
    const env = envWith({ credsStore: 'missing', credHelpers: { 'reg.test': 'fake' } }, h.bin);
    expect(await credentialsFor('reg.test', env)).toMatchObject({
      username: 'erin',
      source: 'docker-credential-fake',
    });
    const e = await rejected(credentialsFor('elsewhere.test', env));
    expect(e).toMatchObject({ code: 'CREDENTIAL_HELPER_MISSING' });
    expect(e.message).toContain('docker-credential-missing');
  });

  it('login stores through the helper and leaves an empty auths entry; logout erases', async () => {
    const h = fakeHelper();
    const env = envWith({ credsStore: 'fake' }, h.bin);
    const where = await storeCredentials('reg.test', { username: 'frank', password: 'pw1' }, env);
    expect(where).toBe('docker-credential-fake');
    expect(JSON.parse(h.calls().replace(/^store /, ''))).toEqual({
      ServerURL: 'reg.test',
      Username: 'frank',
      Secret: 'pw1',
    });
    expect(readConfig(env).auths).toEqual({ 'reg.test': {} });
    expect(readFileSync(configPath(env), 'utf8')).not.toContain('pw1');
    expect(statSync(configPath(env)).mode & 0o777).toBe(0o600);
    expect(await credentialsFor('reg.test', env)).toMatchObject({ password: 'pw1' });

    expect(await eraseCredentials('reg.test', env)).toBe(true);
    expect(h.calls()).toContain('erase reg.test\n');
    expect(h.has('reg.test')).toBe(false);
    expect(readConfig(env).auths).toEqual({});
    expect(await credentialsFor('reg.test', env)).toBeUndefined();
  });

  it('a helper whose answer is not JSON: CREDENTIAL_HELPER_FAILED, without echoing it', async () => {
    const h = fakeHelper();
    writeFileSync(join(h.bin, 'creds', 'reg.test'), '{"Username":"u","Secret":"leak-Me-45"');
    const env = envWith({ credsStore: 'fake' }, h.bin);
    const e = await rejected(credentialsFor('reg.test', env));
    expect(e).toMatchObject({ code: 'CREDENTIAL_HELPER_FAILED' });
    expect(e.message).toContain('docker-credential-fake');
    expect(e.message).not.toContain('leak-Me-45');
  });

  it('a helper that is not installed: CREDENTIAL_HELPER_MISSING', async () => {
    const env = envWith({ credsStore: 'nosuch' });
    const e = await rejected(credentialsFor('reg.test', env));
    expect(e).toMatchObject({ code: 'CREDENTIAL_HELPER_MISSING' });
    expect(e.message).toContain('docker-credential-nosuch');
    const s = await rejected(storeCredentials('reg.test', { username: 'u', password: 'p' }, env));
    expect(s).toMatchObject({ code: 'CREDENTIAL_HELPER_MISSING' });
  });
});

describe('with a registry', () => {
  /** An htpasswd registry (alice:alice-pw), and a store with busybox to push. */
  const locked = useRegistryWithBusybox({ auth: 'htpasswd' });

  it('push and pull through htpasswd with credentials from the helper', async () => {
    const h = fakeHelper({ [locked.reg.host]: { user: 'alice', secret: 'alice-pw' } });
    const env = envWith({ credsStore: 'fake' }, h.bin);
    const ref = `${locked.reg.host}/helper/bb:1`;
    await tag({ root: locked.root, source: 'busybox:latest', target: ref });
    const pushed = await push({ root: locked.root, env, reference: ref });
    const pulled = await pull({ root: tempRoot('tsbuild-helper-pull-'), env, reference: ref });
    expect(pulled.digest).toBe(pushed.digest);
  });

  it('login through the helper, then pull; logout, then 401', async () => {
    const h = fakeHelper();
    const env = envWith({ credsStore: 'fake' }, h.bin);
    const ref = `${locked.reg.host}/helper/bb:1`;
    await login({ server: locked.reg.host, username: 'alice', password: 'alice-pw', env });
    expect(h.has(locked.reg.host)).toBe(true);
    expect(readConfig(env).auths).toEqual({ [locked.reg.host]: {} });
    await pull({ root: tempRoot('tsbuild-helper-pull-'), env, reference: ref });
    expect(await logout({ server: locked.reg.host, env })).toEqual({
      server: locked.reg.host,
      removed: true,
    });
    const e = await rejected(pull({ root: tempRoot('x-'), env, reference: ref }));
    expect(e).toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
    expect(e.message).toContain('no credentials');
  });

  it('401: the message names the source and the user, never the password', async () => {
    const ref = `${locked.reg.host}/helper/bb:1`;
    const h = fakeHelper({ [locked.reg.host]: { user: 'alice', secret: 'wrong-Secret-42' } });
    const viaHelper = envWith({ credsStore: 'fake' }, h.bin);
    const fromFile = envWith({
      auths: { [locked.reg.host]: { auth: b64('alice:wrong-Pass-43') } },
    });
    for (const [env, source, secret] of [
      [viaHelper, 'docker-credential-fake', 'wrong-Secret-42'],
      [fromFile, configPath(fromFile), 'wrong-Pass-43'],
    ] as const) {
      for (const attempt of [
        () => pull({ root: tempRoot('x-'), env, reference: ref }),
        () => push({ root: locked.root, env, reference: ref }),
      ]) {
        const e = await rejected(attempt());
        expect(e).toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
        expect(e.message).toContain(`credentials of alice from ${source}`);
        expect(e.message).not.toContain(secret);
        expect(JSON.stringify((e as { data?: unknown }).data)).not.toContain(secret);
        expect(e.message).not.toContain(b64(`alice:${secret}`));
      }
    }
  });

  it('403: REGISTRY_DENIED, naming the credentials tried, never the password', async () => {
    const proxy = await startFaultProxy(locked.reg.url);
    try {
      proxy.failFirst(/^PUT .*\/manifests\//, 10, 403);
      const ref = `${proxy.host}/helper/denied:1`;
      const env = envWith({ auths: { [proxy.host]: { auth: b64('alice:alice-pw') } } });
      await tag({ root: locked.root, source: 'busybox:latest', target: ref });
      const e = await rejected(push({ root: locked.root, env, reference: ref }));
      expect(e).toMatchObject({ code: 'REGISTRY_DENIED' });
      expect(e.message).toContain(`credentials of alice from ${configPath(env)}`);
      expect(e.message).not.toContain('alice-pw');
    } finally {
      await proxy.close();
    }
  });

  it('a token server refusing: REGISTRY_UNAUTHORIZED naming user and source, not the password', async () => {
    const tok = await startRegistry({ auth: 'token' });
    try {
      const env = envWith({ auths: { [tok.host]: { auth: b64('alice:tok-Wrong-44') } } });
      const e = await rejected(pull({ root: tempRoot('x-'), env, reference: `${tok.host}/a/b:1` }));
      expect(e).toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
      expect(e.message).toContain(`credentials of alice from ${configPath(env)}`);
      expect(e.message).not.toContain('tok-Wrong-44');
    } finally {
      await tok.stop();
    }
  });
});
