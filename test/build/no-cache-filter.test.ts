/**
 * `--no-cache-filter STAGE[,STAGE]` (issue 17, "Flags CI scripts pass"), built
 * for real: the named stage's steps run again, the others come from the cache,
 * as BuildKit's dockerui IsNoCache picks them (names without regard to case;
 * a name no stage has changes nothing).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { buildIn, contextOf, flatten, storeWithBusybox } from './harness.js';

let root: string;
beforeAll(async () => {
  root = await storeWithBusybox();
});

/** Each RUN writes 16 random bytes: a step that ran again writes other ones. */
const DOCKERFILE = [
  'FROM busybox AS base',
  'RUN head -c 16 /dev/urandom | od -An -tx1 > /base',
  'FROM busybox AS final',
  'COPY --from=base /base /base',
  'RUN head -c 16 /dev/urandom | od -An -tx1 > /final',
].join('\n');

const read = async (image: string, file: string) =>
  readFileSync(join(await flatten(root, image), file), 'utf8');

describe('--no-cache-filter', () => {
  it("runs the named stage's steps again while the other stage is cached", async () => {
    const ctx = contextOf({ Dockerfile: DOCKERFILE });
    await buildIn(root, { context: ctx, tags: ['ncf:1'] });
    const again = await buildIn(root, { context: ctx, tags: ['ncf:2'], noCacheFilter: ['FINAL'] });
    expect(again.cached).toEqual({
      'RUN head -c 16 /dev/urandom | od -An -tx1 > /base': true,
      'COPY --from=base /base /base': false,
      'RUN head -c 16 /dev/urandom | od -An -tx1 > /final': false,
    });
    const misses = again.events.filter((e) => e.type === 'miss');
    expect(misses.map((e) => e.type === 'miss' && e.explain.message)).toEqual([
      '--no-cache-filter final',
      '--no-cache-filter final',
    ]);
    expect(await read('ncf:2', 'base')).toBe(await read('ncf:1', 'base'));
    expect(await read('ncf:2', 'final')).not.toBe(await read('ncf:1', 'final'));
    // Without the filter, all of it comes from the cache again.
    const plain = await buildIn(root, { context: ctx, tags: ['ncf:3'] });
    expect(Object.values(plain.cached)).toEqual([true, true, true]);
  });

  it('changes nothing for a name no stage has, and warns about it', async () => {
    const ctx = contextOf({ Dockerfile: DOCKERFILE });
    await buildIn(root, { context: ctx });
    const r = await buildIn(root, { context: ctx, noCacheFilter: ['fnial'] });
    expect(Object.values(r.cached)).toEqual([true, true, true]);
    expect(r.events).toContainEqual({
      type: 'warning',
      message: '--no-cache-filter: no stage is named "fnial"',
    });
  });

  it('takes names comma-separated and repeated; not together with --no-cache', async () => {
    const ctx = contextOf({ Dockerfile: DOCKERFILE });
    await buildIn(root, { context: ctx });
    const both = await cli(
      [
        'build',
        '--root',
        root,
        '--progress=plain',
        '--no-cache-filter',
        'x,base',
        '--no-cache-filter',
        'final',
        ctx,
      ],
      { env: {} },
    );
    expect(both.code).toBe(0);
    expect(both.stderr).not.toContain('CACHED');
    const r = await cli(['build', '--root', root, '--no-cache', '--no-cache-filter', 'base', ctx], {
      env: {},
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'tsbuild: --no-cache and --no-cache-filter cannot currently be used together\n',
    );
  });
});
