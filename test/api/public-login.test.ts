/**
 * `login` and `logout` from the public entry, against loopback registries with
 * Basic (htpasswd) and token auth: login stores what a later push and pull use,
 * logout takes it away, and credentials the registry refuses are not stored and
 * reject with its answer in one line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  login,
  logout,
  pull,
  push,
  tag,
  TsbuildError,
  type LoginResult,
  type LogoutResult,
} from '../../src/index.js';
import { rejected } from '../helpers/caught.js';
import { useRegistryWithBusybox } from '../helpers/registry-lab.js';
import { tempRoot } from '../helpers/tmp.js';

const configOf = (home: string) =>
  JSON.parse(readFileSync(join(home, '.docker/config.json'), 'utf8')) as {
    auths: Record<string, { auth?: string }>;
  };

describe.each(['htpasswd', 'token'] as const)('login and logout, %s auth', (auth) => {
  const lab = useRegistryWithBusybox({ auth });

  it('login stores the credentials a following push and pull use; logout removes them', async () => {
    const home = tempRoot('tsbuild-login-home-');
    const env = { HOME: home };
    const ref = `${lab.reg.host}/login/bb:1`;
    await tag({ root: lab.root, env, source: 'busybox:latest', target: ref });
    const anonymous = await rejected(push({ root: lab.root, env, reference: ref }));
    expect(anonymous.code).toMatch(/^REGISTRY_(UNAUTHORIZED|DENIED)$/);

    const logged: LoginResult = await login({
      server: lab.reg.host,
      username: 'alice',
      password: 'alice-pw',
      env,
    });
    expect(logged).toEqual({
      server: lab.reg.host,
      storedIn: join(home, '.docker/config.json'),
    });
    const stored = configOf(home).auths[lab.reg.host]?.auth ?? '';
    expect(Buffer.from(stored, 'base64').toString()).toBe('alice:alice-pw');

    const pushed = await push({ root: lab.root, env, reference: ref });
    const pulled = await pull({ root: tempRoot('tsbuild-login-pull-'), env, reference: ref });
    expect(pulled.digest).toBe(pushed.digest);
    if (auth === 'token')
      expect(lab.reg.token!.issued).toContainEqual({
        user: 'alice',
        scope: 'repository:login/bb:pull,push',
      });

    const out: LogoutResult = await logout({ server: lab.reg.host, env });
    expect(out).toEqual({ server: lab.reg.host, removed: true });
    expect(configOf(home).auths).toEqual({});
    const after = await rejected(push({ root: lab.root, env, reference: ref }));
    expect(after.code).toMatch(/^REGISTRY_(UNAUTHORIZED|DENIED)$/);
    expect(after.message).toContain('no credentials');
    expect(await logout({ server: lab.reg.host, env })).toEqual({
      server: lab.reg.host,
      removed: false,
    });
  });

  it("a wrong password rejects with the registry's answer in one line, and nothing is stored", async () => {
    const home = tempRoot('tsbuild-login-wrong-');
    const err = await rejected(
      login({
        server: `http://${lab.reg.host}/`,
        username: 'alice',
        password: 'not-her-Pw-7',
        env: { HOME: home },
      }),
    );
    expect(err).toBeInstanceOf(TsbuildError);
    expect(err.code).toBe('REGISTRY_UNAUTHORIZED');
    const tried = '(HTTP 401; tried credentials of alice from the login request)';
    // The registry's own words: distribution's errcode body, as `docker login` shows it
    // ("unauthorized: bad credentials" is what Docker 20.10 printed against the token server).
    expect(err.message).toBe(
      auth === 'htpasswd'
        ? `${lab.reg.host}: GET /v2/: unauthorized: authentication required ${tried}`
        : `${lab.reg.host}: the token server ${lab.reg.token!.url}/token refused: unauthorized: bad credentials ${tried}`,
    );
    expect(existsSync(join(home, '.docker/config.json'))).toBe(false);
  });

  it('an aborted logout rejects with signal.reason and keeps the credentials', async () => {
    const home = tempRoot('tsbuild-logout-abort-');
    const env = { HOME: home };
    await login({ server: lab.reg.host, username: 'alice', password: 'alice-pw', env });
    const signal = AbortSignal.abort(new Error('not now'));
    const err = await rejected(logout({ server: lab.reg.host, env, signal }));
    expect(err).toBe(signal.reason);
    expect(Object.keys(configOf(home).auths)).toEqual([lab.reg.host]);
  });
});
