/**
 * ONBUILD COPY --from in a base image: the trigger runs in the child build, so
 * `--from` names a stage of the child's Dockerfile, or else an image (the store's,
 * as for any COPY --from). Docker 20.10's BuildKit copies from an empty state for
 * both (moby/buildkit#816, fixed in later frontends); the classic builder and
 * current BuildKit copy what the trigger names, and so does tsbuild.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DockerfileError } from '../../src/errors.js';
import { rejected } from '../helpers/caught.js';
import { buildIn, configOf, contextOf, flatten, storeWithBusybox } from './harness.js';

let root: string;
beforeAll(async () => {
  root = await storeWithBusybox();
});

describe('ONBUILD COPY --from', () => {
  it("copies from a stage of the child's Dockerfile", async () => {
    const base = contextOf({
      Dockerfile: 'FROM busybox\nONBUILD COPY --from=src /p.txt /from-stage.txt\n',
    });
    await buildIn(root, { context: base, tags: ['obf-stage-base'] });
    const child = contextOf({
      Dockerfile: [
        'FROM busybox AS src',
        'COPY p.txt /p.txt',
        'FROM obf-stage-base',
        'RUN cat /from-stage.txt > /seen',
      ].join('\n'),
      'p.txt': 'payload\n',
    });
    const r = await buildIn(root, { context: child, tags: ['obf-stage-child'] });
    expect(Object.keys(r.cached)).toContain('COPY --from=src /p.txt /from-stage.txt');
    const fs = await flatten(root, 'obf-stage-child');
    expect(readFileSync(join(fs, 'seen'), 'utf8')).toBe('payload\n');
    expect((await configOf(root, 'obf-stage-child')).config?.OnBuild ?? null).toBeNull();
  });

  it('copies from an image in the store', async () => {
    const base = contextOf({
      Dockerfile: 'FROM busybox\nONBUILD COPY --from=busybox /bin/busybox /from-image\n',
    });
    await buildIn(root, { context: base, tags: ['obf-image-base'] });
    const child = contextOf({ Dockerfile: 'FROM obf-image-base\nLABEL child=1\n' });
    await buildIn(root, { context: child, tags: ['obf-image-child'] });
    const fs = await flatten(root, 'obf-image-child');
    expect(statSync(join(fs, 'from-image')).size).toBe(statSync(join(fs, 'bin/busybox')).size);
  });

  it('copies from a stage of the same Dockerfile whose stage has the triggers', async () => {
    const ctx = contextOf({
      Dockerfile: [
        'FROM busybox AS src',
        'RUN echo made > /made.txt',
        'FROM busybox AS base',
        'ONBUILD COPY --from=src /made.txt /got.txt',
        'FROM base',
      ].join('\n'),
    });
    await buildIn(root, { context: ctx, tags: ['obf-same-file'] });
    expect(readFileSync(join(await flatten(root, 'obf-same-file'), 'got.txt'), 'utf8')).toBe(
      'made\n',
    );
  });

  it('names a stage the child has not defined yet as an error at the FROM that ran the trigger', async () => {
    const base = contextOf({
      Dockerfile: 'FROM busybox\nONBUILD COPY --from=later /x /x\n',
    });
    await buildIn(root, { context: base, tags: ['obf-late-base'] });
    const child = contextOf({
      Dockerfile: 'FROM obf-late-base AS app\nFROM busybox AS later\nRUN true\n',
    });
    const e = await rejected(buildIn(root, { context: child, target: 'app' }));
    expect(e).toBeInstanceOf(DockerfileError);
    expect(e).toMatchObject({ code: 'STAGE_ORDER' });
    expect((e as DockerfileError).span.file).toBe('obf-late-base ONBUILD');
  });
});
