/**
 * Every API that takes an AbortSignal rejects, once it is aborted, with the
 * signal's reason — the caller's own value, or the DOMException AbortError
 * abort() puts there — as fetch and Node's promise APIs do, after it has
 * stopped what it started (the RUN killed, the pull's blobs dropped).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { build, images, login, pull, push, run, tag } from '../../src/index.js';
import { rejected } from '../helpers/caught.js';
import { tempRoot } from '../helpers/tmp.js';
import { useRegistryWithBusybox } from '../helpers/registry-lab.js';
import { contextOf } from '../build/harness.js';

const lab = useRegistryWithBusybox();
const env = { HOME: '/nonexistent' };

describe('an aborted call rejects with signal.reason', () => {
  it('build: a signal aborted before the call, with no reason given: a DOMException AbortError', async () => {
    const signal = AbortSignal.abort();
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN true\n' });
    const err = await rejected(build({ root: lab.root, env, context: ctx, signal }));
    expect(err).toBe(signal.reason);
    expect(err).toBeInstanceOf(DOMException);
    expect(err.name).toBe('AbortError');
  });

  it("build: the caller's own reason, given mid-RUN, is what it rejects with", async () => {
    const ac = new AbortController();
    const mine = new Error('deploy window closed');
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN echo go; sleep 30\n' });
    const err = await rejected(
      build({
        root: lab.root,
        env,
        context: ctx,
        network: 'none',
        signal: ac.signal,
        onEvent: (e) => {
          if (e.type === 'output' && e.data.includes('go')) ac.abort(mine);
        },
      }),
    );
    expect(err).toBe(mine);
    expect(readdirSync(join(lab.root, 'tmp')).filter((n) => n.startsWith('build-'))).toEqual([]);
  });

  it('run: the container is killed, then result rejects with the reason', async () => {
    const ac = new AbortController();
    const c = run({
      root: lab.root,
      env,
      image: 'busybox',
      command: ['sh', '-c', 'echo up; sleep 30'],
      network: 'none',
      rm: true,
      signal: ac.signal,
    });
    c.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('up')) ac.abort();
    });
    const err = await rejected(c.result);
    expect(err).toBe(ac.signal.reason);
    expect(err.name).toBe('AbortError');
    // --rm: nothing of it is left.
    const dir = join(lab.root, 'containers');
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });

  it('pull: aborted as the first layer starts, the store is left as it was', async () => {
    const name = `${lab.reg.host}/abort/base:1`;
    await tag({ root: lab.root, env, source: 'busybox:latest', target: name });
    await push({ root: lab.root, env, reference: name });
    const fresh = tempRoot('tsbuild-abort-pull-');
    const ac = new AbortController();
    const err = await rejected(
      pull({
        root: fresh,
        env,
        reference: name,
        signal: ac.signal,
        onEvent: (e) => {
          if (e.status === 'Pulling fs layer') ac.abort();
        },
      }),
    );
    expect(err).toBe(ac.signal.reason);
    expect(err.name).toBe('AbortError');
    expect(await images({ root: fresh, env, all: true })).toEqual([]);
    const blobs = join(fresh, 'blobs', 'sha256');
    expect(existsSync(blobs) ? readdirSync(blobs) : []).toEqual([]);
  });

  it('push: aborted while preparing the layers, nothing is tagged in the registry', async () => {
    const name = `${lab.reg.host}/abort/pushed:1`;
    await tag({ root: lab.root, env, source: 'busybox:latest', target: name });
    const ac = new AbortController();
    const err = await rejected(
      push({
        root: lab.root,
        env,
        reference: name,
        signal: ac.signal,
        onEvent: (e) => {
          if (e.status === 'Preparing') ac.abort();
        },
      }),
    );
    expect(err).toBe(ac.signal.reason);
    const res = await fetch(`${lab.reg.url}/v2/abort/pushed/manifests/1`, {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    expect(res.status).toBe(404);
  });

  it('login: a signal already aborted rejects with its reason and stores nothing', async () => {
    const home = tempRoot('tsbuild-abort-home-');
    const signal = AbortSignal.abort(new Error('not now'));
    const err = await rejected(
      login({ server: lab.reg.host, username: 'a', password: 'b', env: { HOME: home }, signal }),
    );
    expect(err).toBe(signal.reason);
    expect(existsSync(join(home, '.docker', 'config.json'))).toBe(false);
  });
});
