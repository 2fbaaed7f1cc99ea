/**
 * Inline cache through the loopback registry (test/setup/registry.ts):
 * `--cache-to type=inline` (or `--build-arg BUILDKIT_INLINE_CACHE=1`) puts the
 * image's step records in its config under `moby.buildkit.cache.v0`, as
 * BuildKit does; another machine's `--cache-from IMAGE` then runs no RUN, and
 * COPY hits too (Docker classic's history match never trusts a COPY).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { load } from '../../src/api/load.js';
import { push } from '../../src/api/push.js';
import { save } from '../../src/api/save.js';
import { tag } from '../../src/api/tag.js';
import { dockerOk } from '../helpers/docker.js';
import { tempRoot } from '../helpers/tmp.js';
import { useRegistryWithBusybox } from '../helpers/registry-lab.js';
import { buildIn, configOf, contextOf } from '../build/harness.js';

const env = { HOME: '/nonexistent' };
const lab = useRegistryWithBusybox();
let base: string;

beforeAll(async () => {
  base = `${lab.reg.host}/inline/base:1`;
  await tag({ root: lab.root, source: 'busybox:latest', target: base });
  await push({ root: lab.root, env, reference: base });
}, 60_000);

const dockerfile = () =>
  [
    `FROM ${base}`,
    'RUN echo ran-one && echo one > /one',
    'COPY msg.txt /msg.txt',
    'RUN echo ran-two && cat /msg.txt /one > /both',
    'ENV DONE=1',
  ].join('\n');
const ctx = () => contextOf({ Dockerfile: `${dockerfile()}\n`, 'msg.txt': 'inline\n' });

describe('inline cache', () => {
  it('pushed with the image, it serves another machine: every step cached, the same image', async () => {
    const app = `${lab.reg.host}/inline/app:1`;
    const onA = await buildIn(lab.root, {
      context: ctx(),
      tags: [app],
      cacheTo: 'type=inline',
      push: true,
    });
    expect(onA.output).toContain('ran-two');
    const config = await configOf(lab.root, app);
    const inline = config['moby.buildkit.cache.v0'];
    expect(typeof inline).toBe('string');
    // BuildKit's shape: base64 of a JSON array; ours holds each step's key, time and layer.
    const records = JSON.parse(Buffer.from(inline as string, 'base64').toString('utf8')) as {
      key: string;
      layer?: { diffID: string };
    }[];
    expect(records.map((r) => r.key)).toEqual(onA.steps.map((s) => s.key));
    for (const r of records.filter((x) => x.layer))
      expect(config.rootfs.diff_ids).toContain(r.layer!.diffID);

    // Machine B: nothing but the registry. It pulls the image and uses its records.
    const b = tempRoot('tsbuild-inline-b-');
    const onB = await buildIn(b, {
      context: ctx(),
      tags: ['inline-b'],
      cacheFrom: [app],
      cacheTo: 'type=inline',
    });
    expect(onB.output).toBe(''); // no RUN ran
    expect(onB.cached).toEqual({
      'RUN echo ran-one && echo one > /one': true,
      'COPY msg.txt /msg.txt': true,
      'RUN echo ran-two && cat /msg.txt /one > /both': true,
      'ENV DONE=1': true,
    });
    expect(onB.id).toBe(onA.id);

    // The build arg BuildKit reads gives the same image as the flag.
    const onC = await buildIn(tempRoot('tsbuild-inline-c-'), {
      context: ctx(),
      cacheFrom: [app],
      buildArgs: { BUILDKIT_INLINE_CACHE: '1' },
    });
    expect(onC.output).toBe('');
    expect(onC.id).toBe(onA.id);
    expect(onC.events.filter((e) => e.type === 'warning')).toEqual([]); // the arg is not "unused"

    // Without inline cache the config has no such key: another image ID, as in BuildKit.
    const plain = await buildIn(lab.root, { context: ctx() });
    expect((await configOf(lab.root, plain.id))['moby.buildkit.cache.v0']).toBeUndefined();
    expect(plain.id).not.toBe(onA.id);
  });

  it('an image in the store serves as --cache-from without a registry', async () => {
    const built = await buildIn(lab.root, {
      context: ctx(),
      tags: ['inline-local'],
      cacheTo: 'type=inline',
    });
    const archive = join(tempRoot('tsbuild-inline-archive-'), 'app.tar');
    await save({
      root: lab.root,
      env: {},
      images: ['inline-local'],
      output: createWriteStream(archive),
    });
    const d = tempRoot('tsbuild-inline-d-');
    await load({ root: d, env: {}, input: createReadStream(archive) });
    const onD = await buildIn(d, {
      context: ctx(),
      cacheFrom: ['inline-local'],
      cacheTo: 'type=inline',
    });
    expect(onD.output).toBe('');
    expect(onD.cached['COPY msg.txt /msg.txt']).toBe(true);
    expect(onD.id).toBe(built.id);
    // The base is FROM's to pull; the cache image is never asked of a registry.
    expect(onD.events.filter((e) => e.type === 'pull' && e.ref === 'inline-local')).toEqual([]);
  });

  it('without inline cache, --cache-from IMAGE stays Docker classic: a COPY runs again', async () => {
    const app = `${lab.reg.host}/inline/classic:1`;
    await buildIn(lab.root, { context: ctx(), tags: [app], push: true });
    const onB = await buildIn(tempRoot('tsbuild-inline-classic-'), {
      context: ctx(),
      cacheFrom: [app],
    });
    expect(onB.cached['RUN echo ran-one && echo one > /one']).toBe(true);
    expect(onB.cached['COPY msg.txt /msg.txt']).toBe(false);
    expect(onB.output).toContain('ran-two');
  });

  it('mode=max inline is a warning (min only, as BuildKit)', async () => {
    const r = await buildIn(lab.root, { context: ctx(), cacheTo: 'type=inline,mode=max' });
    expect(r.events.filter((e) => e.type === 'warning')).toEqual([
      {
        type: 'warning',
        message:
          '--cache-to type=inline supports mode=min only (the image carries its own layers): use type=registry or type=local for mode=max',
      },
    ]);
  });

  it('Docker 20.10: its BuildKit writes the same shape; each ignores the other’s records and builds', async () => {
    const ours = `${lab.reg.host}/inline/ours:1`;
    await buildIn(lab.root, { context: ctx(), tags: [ours], cacheTo: 'type=inline', push: true });
    const theirs = `${lab.reg.host}/inline/docker:1`;
    const dctx = contextOf({ Dockerfile: `FROM ${base}\nRUN echo docker-ran > /d\n` });
    const buildkit = { env: { DOCKER_BUILDKIT: '1' } };
    await dockerOk(
      [
        'build',
        '--network=none',
        '-q',
        '--build-arg',
        'BUILDKIT_INLINE_CACHE=1',
        '-t',
        theirs,
        dctx,
      ],
      buildkit,
    );
    await dockerOk(['push', theirs]);
    // tsbuild takes Docker's image as a cache: BuildKit's records name no key of ours.
    const fresh = tempRoot('tsbuild-inline-theirs-');
    const r = await buildIn(fresh, { context: dctx, cacheFrom: [theirs] });
    expect(r.events.filter((e) => e.type === 'warning')).toEqual([]);
    const config = await configOf(fresh, theirs);
    const records = JSON.parse(
      Buffer.from(config['moby.buildkit.cache.v0'] as string, 'base64').toString('utf8'),
    ) as { digest?: string }[];
    expect(Array.isArray(records)).toBe(true); // a base64 JSON array, as tsbuild writes
    expect(records.every((x) => typeof x.digest === 'string')).toBe(true);
    // Docker takes tsbuild's: the build runs and succeeds.
    const dockerCtx = ctx();
    const built = await dockerOk(
      [
        'build',
        '--network=none',
        '--progress=plain',
        '--cache-from',
        ours,
        '-t',
        'dk/from-ours:1',
        dockerCtx,
      ],
      buildkit,
    );
    expect(built.stderr).toContain('ran-two');
    await dockerOk(['rmi', 'dk/from-ours:1', theirs]);
  });
});
