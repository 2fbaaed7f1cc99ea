/**
 * The image commands end to end through the CLI, on a real busybox rootfs
 * imported into a temp store: what a person sees, and the exit codes.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { sha256 } from '../../src/util/digest.js';
import { busyboxRootfsTar } from '../helpers/busybox.js';
import { cli } from '../helpers/cli.js';
import { addTestImage } from '../helpers/images.js';
import { tempRoot } from '../helpers/tmp.js';

let rootfs: string;
beforeAll(async () => {
  rootfs = await busyboxRootfsTar();
});

const lines = (s: string) => s.trimEnd().split('\n');

describe('tsbuild import / images / inspect / history', () => {
  it('imports a rootfs tarball as a one-layer image whose diff ID is the tar digest', async () => {
    const root = tempRoot();
    const r = await cli(['import', '--root', root, rootfs, 'bb:1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(/^sha256:[a-f0-9]{64}$/);
    const [img] = JSON.parse((await cli(['inspect', '--root', root, 'bb:1'])).stdout);
    expect(img.Id).toBe(id);
    expect(img.RepoTags).toEqual(['bb:1']);
    expect(img.Comment).toBe('Imported from -');
    expect(img.RootFS).toEqual({ Type: 'layers', Layers: [sha256(readFileSync(rootfs))] });
    expect(img.Config).toMatchObject({ Env: null, Cmd: null, User: '', Labels: null });
    expect(img.Os).toBe('linux');
  });

  it('takes --root before the command too, as docker takes its global options', async () => {
    const root = tempRoot();
    expect((await cli(['--root', root, 'import', rootfs, 'bb:1'])).code).toBe(0);
    const r = await cli([`--root=${root}`, 'images', '--format', '{{.Repository}}:{{.Tag}}']);
    expect([r.code, r.stderr, r.stdout]).toEqual([0, '', 'bb:1\n']);
    const i = await cli(['--root', root, 'inspect', '-f', '{{.RepoTags}}', 'bb:1']);
    expect(i.stdout).toBe('[bb:1]\n');
  });

  it('lists images as docker does, one row per tag, newest first', async () => {
    const root = tempRoot();
    const store = await Store.open(root);
    const old = await addTestImage(store, {
      layers: [{ a: 'x'.repeat(1500) }],
      tags: ['localhost:5000/team/old:v1'],
      created: new Date(Date.now() - 3 * 86_400_000).toISOString(),
    });
    const fresh = await addTestImage(store, { layers: [{ b: '1' }], tags: ['fresh', 'fresh:2'] });
    const r = await cli(['images', '--root', root]);
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toMatch(/^REPOSITORY\s{3,}TAG\s{3,}IMAGE ID\s{3,}CREATED\s{3,}SIZE$/);
    expect(out.slice(1).map((l) => l.split(/\s{3,}/))).toEqual([
      ['fresh', 'latest', fresh.id.slice(7, 19), expect.stringMatching(/ago$/), '1B'],
      ['fresh', '2', fresh.id.slice(7, 19), expect.stringMatching(/ago$/), '1B'],
      ['localhost:5000/team/old', 'v1', old.id.slice(7, 19), '3 days ago', '1.5kB'],
    ]);
    // Columns line up: every row starts its TAG column where the header does.
    const col = out[0]!.indexOf('TAG');
    for (const l of out.slice(1)) expect(l[col - 1]).toBe(' ');
  });

  it('supports -q, --no-trunc, --digests, --format and filters', async () => {
    const root = tempRoot();
    const store = await Store.open(root);
    const base = await addTestImage(store, {
      layers: [{ a: '1' }],
      tags: ['base:1'],
      created: '2024-01-01T00:00:00Z',
      config: { Labels: { team: 'core' } },
    });
    const mid = await addTestImage(store, {
      parent: base,
      layers: [{ m: '1' }],
      created: '2024-01-02T00:00:00Z',
    });
    const app = await addTestImage(store, {
      parent: mid,
      layers: [{ b: '1' }],
      tags: ['app:2'],
      created: '2024-01-03T00:00:00Z',
    });
    const dangling = await addTestImage(store, {
      layers: [{ d: '1' }],
      created: '2024-01-04T00:00:00Z',
    });
    const q = async (...args: string[]) =>
      lines((await cli(['images', '--root', root, ...args])).stdout);
    const short = (i: { id: string }) => i.id.slice(7, 19);

    expect(await q('-q')).toEqual([short(dangling), short(app), short(base)]);
    expect(await q('-q', '-a')).toEqual([short(dangling), short(app), short(mid), short(base)]);
    expect(await q('-q', '--no-trunc', '--filter', 'dangling=true')).toEqual([dangling.id]);
    expect(await q('-q', '--filter', 'dangling=false')).toEqual([short(app), short(base)]);
    // app inherits base's labels, as a built image does.
    expect(await q('-q', '--filter', 'label=team=core')).toEqual([short(app), short(base)]);
    expect(await q('-q', '--filter', 'label=team')).toEqual([short(app), short(base)]);
    expect(await q('-q', '--filter', 'label=team=other')).toEqual(['']);
    expect(await q('-q', '--filter', 'before=app:2')).toEqual([short(base)]);
    expect(await q('-q', '--filter', 'since=base:1')).toEqual([short(dangling), short(app)]);
    expect(await q('-q', '--filter', 'reference=ap*')).toEqual([short(app)]);
    expect(await q('-q', 'base')).toEqual([short(base)]);
    expect(await q('--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.CreatedAt}}')).toEqual([
      `<none>:<none> ${short(dangling)} 2024-01-04 00:00:00 +0000 UTC`,
      `app:2 ${short(app)} 2024-01-03 00:00:00 +0000 UTC`,
      `base:1 ${short(base)} 2024-01-01 00:00:00 +0000 UTC`,
    ]);
    const json = JSON.parse((await q('--format', '{{json .}}', 'app'))[0]!);
    expect(Object.keys(json)).toEqual([
      'Containers',
      'CreatedAt',
      'CreatedSince',
      'Digest',
      'ID',
      'Repository',
      'SharedSize',
      'Size',
      'Tag',
      'UniqueSize',
      'VirtualSize',
    ]);
    expect(json).toMatchObject({ Repository: 'app', Tag: '2', Digest: '<none>', ID: short(app) });
    const digests = await q('--digests');
    expect(digests[0]).toMatch(/^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID\s+CREATED\s+SIZE$/);
    // A reference filter lists only the tags it matched, as docker does.
    await store.tag('app:2', 'other:9');
    expect(await q('--format', '{{.Repository}}:{{.Tag}}', 'app')).toEqual(['app:2']);
    expect(await q('--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=other')).toEqual([
      'other:9',
    ]);
    const bad = await cli(['images', '--root', root, '--filter', 'color=red']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("invalid filter 'color'");
  });

  it('inspects with Go templates and fails for a missing image after printing the rest', async () => {
    const root = tempRoot();
    const store = await Store.open(root);
    const img = await addTestImage(store, {
      layers: [{ a: '1' }, { b: '2' }],
      tags: ['app'],
      config: { Env: ['A=1', 'B=2'], Cmd: ['sh', '-c', 'echo hi'], Labels: { 'a.b': 'c' } },
    });
    const f = async (fmt: string) =>
      (await cli(['inspect', '--root', root, '-f', fmt, 'app'])).stdout;
    expect(await f('{{.Config.Env}}')).toBe('[A=1 B=2]\n');
    expect(await f('{{json .RootFS.Layers}}')).toBe(
      `${JSON.stringify(img ? (await store.config(img)).rootfs.diff_ids : [])}\n`,
    );
    expect(await f('{{range .Config.Env}}{{println .}}{{end}}')).toBe('A=1\nB=2\n\n');
    expect(await f('{{index .Config.Labels "a.b"}} {{join .Config.Cmd " "}}')).toBe(
      'c sh -c echo hi\n',
    );
    const bare = await addTestImage(store, {
      layers: [{ c: '1' }],
      tags: ['bare'],
      created: '2024-01-01T00:00:00.500Z',
    });
    // Go's time encoding: the fraction loses its trailing zeros.
    const created = await cli(['inspect', '--root', root, '-f', '{{.Created}}', 'bare']);
    expect(created.stdout).toBe('2024-01-01T00:00:00.5Z\n');
    const g = async (fmt: string) =>
      (await cli(['inspect', '--root', root, '-f', fmt, bare.id])).stdout;
    expect(
      await g('{{.Config.Env}}|{{.Config.Labels}}|{{.Config.StopSignal}}|{{json .Config.Cmd}}'),
    ).toBe('[]|map[]||null\n');
    const unknown = await cli(['inspect', '--root', root, '-f', '{{.Nope}}', 'app']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('map has no entry for key "Nope"');
    const r = await cli(['inspect', '--root', root, '-f', '{{.Id}}', 'app', 'nope']);
    expect(r.stdout).toBe(`${img.id}\n`);
    expect(r.stderr).toBe('Error: No such image: nope\n');
    expect(r.code).toBe(1);
  });

  it('shows history newest first with parent IDs and <missing> beyond them', async () => {
    const root = tempRoot();
    const store = await Store.open(root);
    const base = await addTestImage(store, {
      layers: [{ a: 'x'.repeat(2000) }],
      history: [
        { created: '2024-01-01T00:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
        {
          created: '2024-01-01T00:00:00Z',
          created_by: '/bin/sh -c #(nop)  CMD ["sh"]',
          empty_layer: true,
        },
      ],
      tags: ['base'],
    });
    const app = await addTestImage(store, {
      parent: base,
      layers: [{ b: '1' }],
      history: [
        {
          created: '2024-01-02T00:00:00Z',
          created_by:
            '/bin/sh -c echo a very long command line that docker truncates at forty-five characters',
          comment: 'note',
        },
      ],
      tags: ['app'],
    });
    const r = await cli(['history', '--root', root, 'app']);
    expect(r.code).toBe(0);
    // Like docker's, a row with an empty last column keeps its padding: trim it.
    const out = lines(r.stdout).map((l) => l.trimEnd().split(/\s{3,}/));
    expect(out[0]).toEqual(['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT']);
    expect(out[1]).toEqual([
      app.id.slice(7, 19),
      expect.stringMatching(/ago$/),
      '/bin/sh -c echo a very long command line tha…',
      '1B',
      'note',
    ]);
    expect(out[2]).toEqual([
      base.id.slice(7, 19),
      expect.stringMatching(/ago$/),
      '/bin/sh -c #(nop)  CMD ["sh"]',
      '0B',
    ]);
    expect(out[3]).toEqual([
      '<missing>',
      expect.stringMatching(/ago$/),
      '/bin/sh -c #(nop) ADD file:abc in /',
      '2kB',
    ]);
    const q = await cli(['history', '--root', root, '-q', '--no-trunc', 'app']);
    expect(lines(q.stdout)).toEqual([app.id, base.id, '<missing>']);
    // -H is a Go bool flag: alone it is true, -H=false prints raw sizes and RFC 3339 times.
    const raw = await cli([
      'history',
      '--root',
      root,
      '-H=false',
      '--format',
      '{{.Size}} {{.CreatedSince}}',
      'app',
    ]);
    expect(lines(raw.stdout)).toEqual([
      '1 2024-01-02T00:00:00Z',
      '0 2024-01-01T00:00:00Z',
      '2000 2024-01-01T00:00:00Z',
    ]);
    expect((await cli(['history', '--root', root, '-H', '-q', 'app'])).code).toBe(0);
  });
});

describe('tsbuild tag / rmi / prune / cache du', () => {
  it("tags, untags and deletes with docker's messages", async () => {
    const root = tempRoot();
    const store = await Store.open(root);
    const img = await addTestImage(store, { layers: [{ a: '1' }], tags: ['app'] });
    expect((await cli(['tag', '--root', root, 'app', 'localhost:5000/app:v1'])).code).toBe(0);
    expect((await store.resolve('localhost:5000/app:v1')).id).toBe(img.id);
    const bad = await cli(['tag', '--root', root, 'app', 'Bad:Name']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/invalid reference format: repository name .*must be lowercase/);
    let r = await cli(['rmi', '--root', root, 'app']);
    expect(r.stdout).toBe('Untagged: app:latest\n');
    const layer = (await store.manifest(img)).layers[0]!;
    r = await cli(['rmi', '--root', root, 'localhost:5000/app:v1', 'nope']);
    expect(lines(r.stdout)).toEqual([
      'Untagged: localhost:5000/app:v1',
      `Deleted: ${img.id}`,
      `Deleted: ${layer.digest}`,
    ]);
    expect(r.stderr).toBe('Error: No such image: nope\n');
    expect(r.code).toBe(1);
    expect((await cli(['images', '--root', root, '-qa'])).stdout).toBe('');
  });

  it('prunes dangling images and orphan records, and reports the space', async () => {
    const root = tempRoot();
    const store = await Store.open(root);
    const kept = await addTestImage(store, { layers: [{ a: '1' }], tags: ['keep'] });
    const dangling = await addTestImage(store, { layers: [{ d: 'x'.repeat(5000) }] });
    const r = await cli(['prune', '--root', root]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Deleted Images:\\ndeleted: ${dangling.id}\\n`));
    expect(r.stdout).toMatch(/Total reclaimed space: \d+(\.\d+)?kB\n$/);
    expect((await store.images()).map((i) => i.id)).toEqual([kept.id]);
  });

  it('prunes only what is older than --filter until=', async () => {
    const root = tempRoot();
    const store = await Store.open(root);
    const old = await addTestImage(store, {
      layers: [{ o: '1' }],
      created: '2024-01-01T00:00:00Z',
    });
    const fresh = await addTestImage(store, { layers: [{ f: '1' }] });
    const r = await cli(['prune', '--root', root, '--filter', 'until=24h']);
    expect(r.stdout).toContain(`deleted: ${old.id}`);
    expect((await store.images()).map((i) => i.id)).toEqual([fresh.id]);
    const bad = await cli(['prune', '--root', root, '--filter', 'until=soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid until value "soon"');
  });

  it('reports cache records and their reclaimable space', async () => {
    const root = tempRoot();
    const store = await Store.open(root);
    const img = await addTestImage(store, { layers: [{ a: '1' }], tags: ['keep'] });
    const layer = (await store.manifest(img)).layers[0]!;
    const now = new Date().toISOString();
    await store.cache.put({
      key: `sha256:${'a'.repeat(64)}`,
      input: { step: 1 },
      layer,
      created: now,
      lastUsed: now,
    });
    await store.cache.put({
      key: `sha256:${'b'.repeat(64)}`,
      input: { step: 2 },
      created: now,
      lastUsed: now,
    });
    const r = await cli(['cache', 'du', '--root', root]);
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toMatch(/^ID\s+RECLAIMABLE\s+SIZE\s+LAST ACCESSED$/);
    expect(
      out
        .slice(1, 3)
        .map((l) => l.split(/\s{3,}/)[1])
        .sort(),
    ).toEqual(['false', 'true']);
    expect(out.at(-1)).toMatch(/^Total:\s+\d+B$/);
    // What a killed command left in tmp/ goes too, once it is older than the grace period.
    const { mkdirSync, utimesSync } = await import('node:fs');
    const stale = join(root, 'tmp', 'load-killed');
    mkdirSync(join(stale, 'blobs'), { recursive: true });
    utimesSync(stale, new Date(0), new Date(0));
    const fresh = join(root, 'tmp', 'load-running');
    mkdirSync(fresh);
    const pruned = await cli(['prune', '--root', root, '--all']);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    expect(pruned.stdout).toContain('Deleted build cache objects:');
    expect((await store.cache.list()).length).toBe(0);
    expect((await store.images()).length).toBe(1);
  });
});

describe('tsbuild save / load', () => {
  it('round-trips images through an archive file into another store', async () => {
    const a = tempRoot();
    const b = tempRoot();
    expect((await cli(['import', '--root', a, rootfs, 'bb:1'])).code).toBe(0);
    const out = join(tempRoot(), 'bb.tar');
    const s = await cli(['save', '--root', a, '-o', out, 'bb:1']);
    expect(s.stderr).toBe('');
    expect(existsSync(out)).toBe(true);
    const l = await cli(['load', '--root', b, '-i', out]);
    expect(l.stdout).toBe('Loaded image: bb:1\n');
    const ia = JSON.parse((await cli(['inspect', '--root', a, 'bb:1'])).stdout)[0];
    const ib = JSON.parse((await cli(['inspect', '--root', b, 'bb:1'])).stdout)[0];
    expect(ib.Id).toBe(ia.Id);
    expect(ib.RootFS).toEqual(ia.RootFS);
  });

  for (const [kind, magic] of [
    ['gzip', [0x1f, 0x8b]],
    ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ] as const) {
    it(`saves ${kind} layers on request, compressing each layer once and identically`, async () => {
      const a = tempRoot();
      await cli(['import', '--root', a, rootfs, 'bb:c']);
      const dir = tempRoot();
      const one = join(dir, 'one.tar');
      const two = join(dir, 'two.tar');
      expect((await cli(['save', '--root', a, '--compress', kind, '-o', one, 'bb:c'])).code).toBe(
        0,
      );
      const store = await Store.open(a);
      const twin = (await store.layers.get(sha256(readFileSync(rootfs))))?.[kind];
      expect(twin?.mediaType).toBe(`application/vnd.oci.image.layer.v1.tar+${kind}`);
      const blob = join(a, 'blobs', 'sha256', twin!.digest.slice(7));
      expect([...readFileSync(blob).subarray(0, magic.length)]).toEqual(magic);
      const made = statSync(blob).mtimeMs;
      expect((await cli(['save', '--root', a, '--compress', kind, '-o', two, 'bb:c'])).code).toBe(
        0,
      );
      expect(statSync(blob).mtimeMs).toBe(made);
      expect(sha256(readFileSync(two))).toBe(sha256(readFileSync(one)));
      expect(readFileSync(one).length).toBeLessThan(statSync(rootfs).size);
      const b = tempRoot();
      expect((await cli(['load', '--root', b, '-i', one])).stdout).toBe('Loaded image: bb:c\n');
      const id = (r: string) =>
        cli(['inspect', '--root', r, '-f', '{{.Id}} {{.RootFS.Layers}}', 'bb:c']);
      expect((await id(b)).stdout).toBe((await id(a)).stdout);
      // The compressed twin goes with its layer.
      await cli(['rmi', '--root', a, 'bb:c']);
      expect(existsSync(blob)).toBe(false);
    });
  }

  it('saves every tag of a repository named without a tag, as docker save does', async () => {
    const a = tempRoot();
    const store = await Store.open(a);
    const one = await addTestImage(store, { layers: [{ a: '1' }], tags: ['app:1'] });
    const two = await addTestImage(store, { layers: [{ b: '2' }], tags: ['app:2', 'other:1'] });
    const out = join(tempRoot(), 'app.tar');
    expect((await cli(['save', '--root', a, '-o', out, 'app'])).code).toBe(0);
    const b = tempRoot();
    const l = await cli(['load', '--root', b, '-i', out]);
    expect(lines(l.stdout).sort()).toEqual(['Loaded image: app:1', 'Loaded image: app:2']);
    const ids = await cli(['images', '--root', b, '-q', '--no-trunc']);
    expect(lines(ids.stdout).sort()).toEqual([one.id, two.id].sort());
  });

  it('refuses to write an archive to a terminal, or to read one from it', async () => {
    const a = tempRoot();
    await cli(['import', '--root', a, rootfs, 'bb:t']);
    const s = await cli(['save', '--root', a, 'bb:t'], { tty: true });
    expect(s.code).toBe(2);
    expect(s.stderr).toContain(
      'cowardly refusing to save to a terminal. Use the -o flag or redirect',
    );
    expect(s.raw.length).toBe(0);
    const l = await cli(['load', '--root', a], { tty: true });
    expect(l.code).toBe(2);
    expect(l.stderr).toContain('requested load from stdin, but stdin is empty');
  });

  it('loads from standard input, and writes to standard output', async () => {
    const a = tempRoot();
    const b = tempRoot();
    await cli(['import', '--root', a, rootfs, 'bb:2']);
    const s = await cli(['save', '--root', a, 'bb:2']);
    expect(s.code).toBe(0);
    const l = await cli(['load', '--root', b], { stdin: s.raw });
    expect(l.stdout).toBe('Loaded image: bb:2\n');
    expect(
      (await cli(['images', '--root', b, '--format', '{{.Repository}}:{{.Tag}}'])).stdout,
    ).toBe('bb:2\n');
  });
});
