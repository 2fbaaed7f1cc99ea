/**
 * `build --verify`: the target built again without the cache in a scratch
 * store, and compared. Real builds with real RUN steps over busybox: with
 * SOURCE_DATE_EPOCH a Dockerfile writing files is reproducible; a step writing
 * the time or random bytes is named with its line and its file; without the
 * epoch, `created` is named. The store gains nothing from the rebuild.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TsbuildError } from '../../src/errors.js';
import { Store } from '../../src/store/store.js';
import { cli } from '../helpers/cli.js';
import { rejected } from '../helpers/caught.js';
import { tempRoot } from '../helpers/tmp.js';
import { buildIn, contextOf, storeWithBusybox } from './harness.js';

const EPOCH = '1700000000';

const STEADY = [
  'FROM busybox',
  'COPY a.txt /a.txt',
  'RUN mkdir -p /out && echo hello > /out/f && cp /a.txt /out/b && ln -s f /out/link && chmod 0600 /out/b',
  'RUN touch -d @1000 /out/old && adduser -D -u 1234 app 2>/dev/null; echo done > /out/done',
  'ENV X=1',
  'CMD ["sh"]',
].join('\n');

const UNSTEADY = [
  'FROM busybox',
  'RUN echo same > /same',
  // busybox's date has no %N: the host's uptime (in hundredths) tells two runs apart.
  'RUN date +%s > /t && cat /proc/uptime >> /t',
  'ENV Y=2',
  'RUN head -c 16 /dev/urandom > /r && echo steady > /s',
].join('\n');

let root: string;

beforeAll(async () => {
  root = await storeWithBusybox();
}, 120_000);

/** What the store holds that a rebuild must not add to: images, layers, cache records, tmp. */
async function storeState(dir: string) {
  const store = await Store.open(dir);
  const list = (d: string) => (existsSync(join(dir, d)) ? readdirSync(join(dir, d)).sort() : []);
  return {
    images: (await store.images()).map((i) => [i.id, i.tags]),
    snapshots: list('snapshots'),
    layers: list('layers'),
    blobs: list('blobs/sha256'),
    cache: list('cache'),
    tmp: list('tmp').filter((n) => n.startsWith('build-')),
  };
}

describe('build --verify', () => {
  it('finds a Dockerfile with RUN steps reproducible under SOURCE_DATE_EPOCH, and leaves the store as the build left it', async () => {
    const ctx = contextOf({ Dockerfile: STEADY, 'a.txt': 'same\n' });
    const plain = await buildIn(root, {
      context: ctx,
      tags: ['steady'],
      buildArgs: { SOURCE_DATE_EPOCH: EPOCH },
    });
    const before = await storeState(root);
    const r = await buildIn(root, {
      context: ctx,
      tags: ['steady'],
      buildArgs: { SOURCE_DATE_EPOCH: EPOCH },
      verify: true,
    });
    expect(r.id).toBe(plain.id);
    expect(r.verify).toEqual({
      reproducible: true,
      id: r.id,
      digest: r.digest,
      rebuilt: { id: r.id, digest: r.digest },
      config: [],
      layers: [],
    });
    // The rebuild ran every step (no cache) and said so.
    const statuses = r.events.flatMap((e) => (e.type === 'verify' ? [e.status] : []));
    expect(statuses).toContain(
      'rebuild: RUN mkdir -p /out && echo hello > /out/f && cp /a.txt /out/b && ln -s f /out/link && chmod 0600 /out/b',
    );
    expect(statuses.at(-1)).toBe(`reproducible: ${r.id}`);
    expect(await storeState(root)).toEqual(before);
  });

  it('names the steps that write the time and random bytes, with their line and file', async () => {
    const ctx = contextOf({ Dockerfile: UNSTEADY });
    const r = await buildIn(root, {
      context: ctx,
      tags: ['unsteady'],
      env: { SOURCE_DATE_EPOCH: EPOCH },
      verify: true,
    });
    const v = r.verify!;
    expect(v.reproducible).toBe(false);
    expect(v.id).toBe(r.id);
    expect(v.rebuilt.id).not.toBe(r.id);
    expect(
      v.layers.map((l) => [l.step?.file, l.step?.line, l.step?.text, l.files.map((f) => f.path)]),
    ).toEqual([
      ['Dockerfile', 3, 'RUN date +%s > /t && cat /proc/uptime >> /t', ['t']],
      ['Dockerfile', 5, 'RUN head -c 16 /dev/urandom > /r && echo steady > /s', ['r']],
    ]);
    const [t, rnd] = v.layers.map((l) => l.files[0]!);
    expect(t!.change).toBe('changed');
    expect(t!.fields).toContain('content');
    expect(rnd!.fields).toEqual(['content']);
    expect(rnd!.first!.sha256).not.toBe(rnd!.rebuilt!.sha256);
    // Its times are the epoch's in both builds: only the layer list differs in the config.
    expect(v.config.map((c) => c.path)).toEqual(['rootfs.diff_ids']);
    // The build itself stands, tagged; the rebuild is not in the store.
    const store = await Store.open(root);
    expect((await store.resolve('unsteady')).id).toBe(r.id);
    await expect(store.resolve(v.rebuilt.id)).rejects.toThrow(/No such image/);
  });

  it('names the config fields that differ without SOURCE_DATE_EPOCH', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nENV A=1\nRUN echo x > /x\n' });
    const r = await buildIn(root, { context: ctx, verify: true });
    const v = r.verify!;
    expect(v.reproducible).toBe(false);
    const paths = v.config.map((c) => c.path);
    const base = (
      await (await Store.open(root)).config(await (await Store.open(root)).resolve('busybox'))
    ).history!.length;
    expect(paths).toEqual(
      expect.arrayContaining([
        'created',
        `history[${base}].created`,
        `history[${base + 1}].created`,
      ]),
    );
    const created = v.config.find((c) => c.path === 'created')!;
    expect(created.first).not.toBe(created.rebuilt);
  });

  it('refuses a context read from standard input, before building', async () => {
    const e = await rejected(buildIn(root, { context: '-', verify: true }));
    expect(e).toBeInstanceOf(TsbuildError);
    expect((e as Error).message).toBe(
      '--verify cannot rebuild from standard input (it is read once): give a directory, a file or a URL',
    );
  });

  it('on the command line: one line and exit 0, or the report and exit 3, and the metadata file key', async () => {
    const out = tempRoot('tsbuild-verify-cli-');
    const steady = contextOf({ Dockerfile: STEADY, 'a.txt': 'same\n' });
    const ok = await cli(['build', '--root', root, '--verify', '--progress=quiet', steady], {
      env: { SOURCE_DATE_EPOCH: EPOCH },
    });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/^reproducible: sha256:[0-9a-f]{64}\n$/);
    const meta = join(out, 'meta.json');
    const bad = await cli(
      [
        'build',
        ...['--root', root, '--verify', '--metadata-file', meta],
        contextOf({ Dockerfile: UNSTEADY }),
      ],
      { env: { SOURCE_DATE_EPOCH: EPOCH } },
    );
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(
      /not reproducible: sha256:[0-9a-f]{64} built again is sha256:[0-9a-f]{64}: 2 layers \(2 files\) and 1 config field differ\n/,
    );
    expect(bad.stdout).toMatch(
      /layer \d+, step 3 \(Dockerfile:3\): RUN date \+%s > \/t && cat \/proc\/uptime >> \/t\n {2}t: content sha256:/,
    );
    // The diff IDs that differ, one line each (a cut-off list would show only the same ones).
    expect(bad.stdout).toMatch(
      /config:\n {2}rootfs\.diff_ids\[\d\]: "sha256:[0-9a-f]{64}" → "sha256:[0-9a-f]{64}"\n {2}rootfs\.diff_ids\[\d\]: "sha256:[0-9a-f]{64}" → "sha256:[0-9a-f]{64}"\n/,
    );
    const written = JSON.parse(readFileSync(meta, 'utf8')) as Record<string, unknown>;
    expect(written['tsbuild.verify']).toMatchObject({ reproducible: false });
  });

  it('--squash: the one layer is named as the squashed steps, and its differing file listed', async () => {
    const r = await cli(
      [
        'build',
        '--root',
        root,
        '--verify',
        '--squash',
        '--progress=quiet',
        contextOf({ Dockerfile: UNSTEADY }),
      ],
      { env: { SOURCE_DATE_EPOCH: EPOCH } },
    );
    expect(r.code).toBe(3);
    // -q: the image ID alone on stdout, the report on stderr. The squashed layer is the
    // one after busybox's.
    expect(r.stderr).toMatch(
      /: 1 layer \(2 files\) and 1 config field differ\nlayer 1, the build's steps squashed into one \(--squash\)\n {2}r: content sha256:[0-9a-f]{12}…→sha256:[0-9a-f]{12}…\n {2}t: content /,
    );
    expect(r.stderr).toMatch(
      /config:\n {2}rootfs\.diff_ids\[1\]: "sha256:[0-9a-f]{64}" → "sha256:[0-9a-f]{64}"\n$/,
    );
  });
});
