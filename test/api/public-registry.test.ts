/**
 * `pull` and `push` through the library's public entry (src/index.ts), as a
 * program using tsbuild would call them, against the loopback registry: an
 * image pushed from one store and pulled into a fresh one is the same image
 * (same ID, the digest push reported recorded as a RepoDigest), with Docker's
 * progress lines as events.
 */
import { describe, expect, it } from 'vitest';
import {
  images,
  inspect,
  pull,
  push,
  tag,
  TsbuildError,
  type PullEvent,
  type PullResult,
  type PushEvent,
  type PushResult,
} from '../../src/index.js';
import { rejected } from '../helpers/caught.js';
import { tempRoot } from '../helpers/tmp.js';
import { useRegistryWithBusybox } from '../helpers/registry-lab.js';

const lab = useRegistryWithBusybox();
const env = { HOME: '/nonexistent' };

describe('pull and push from the public entry', () => {
  it('push from one store, pull into a fresh one: the same image, with its RepoDigest', async () => {
    const name = `${lab.reg.host}/api/base`;
    await tag({ root: lab.root, env, source: 'busybox:latest', target: `${name}:1` });
    const pushEvents: PushEvent[] = [];
    const pushed: PushResult = await push({
      root: lab.root,
      env,
      reference: `${name}:1`,
      onEvent: (e) => pushEvents.push(e),
    });
    expect(pushed.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(pushed.reference).toBe(`${name}:1`);
    expect(pushEvents.at(-1)).toEqual({
      status: `1: digest: ${pushed.digest} size: ${pushed.size}`,
    });

    const b = tempRoot('tsbuild-api-pull-');
    const pullEvents: PullEvent[] = [];
    const pulled: PullResult = await pull({
      root: b,
      env,
      reference: `${name}:1`,
      onEvent: (e) => pullEvents.push(e),
    });
    const [src] = await inspect({ root: lab.root, env, images: [`${name}:1`] });
    expect(pulled).toEqual({
      id: src!.Id,
      digest: pushed.digest,
      reference: `${name}:1`,
      downloaded: true,
    });
    expect(pullEvents.map((e) => e.status)).toContain(`Digest: ${pushed.digest}`);
    const [listed] = await images({ root: b, env });
    expect(listed).toMatchObject({
      id: src!.Id,
      repoTags: [`${name}:1`],
      repoDigests: [`${name}@${pushed.digest}`],
    });

    // Pulled again: nothing downloaded, and by digest it is the same image.
    const again = await pull({ root: b, env, reference: `${name}@${pushed.digest}` });
    expect(again).toMatchObject({ id: src!.Id, digest: pushed.digest, downloaded: false });
  });

  it('a tag the registry does not have rejects with a TsbuildError and leaves the store empty', async () => {
    const b = tempRoot('tsbuild-api-pull-');
    const e = await rejected(pull({ root: b, env, reference: `${lab.reg.host}/api/none:1` }));
    expect(e).toBeInstanceOf(TsbuildError);
    expect(e.code).toBe('REGISTRY_NOT_FOUND');
    expect(await images({ root: b, env, all: true })).toEqual([]);
  });
});
