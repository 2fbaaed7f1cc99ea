/**
 * `--cache-to type=local,dest=DIR` / `--cache-from type=local,src=DIR`: real
 * builds with RUN steps export their cache to a directory (an OCI layout, as
 * BuildKit's local cache exporter writes), and a fresh store that imports it
 * runs no RUN and gives the same image. Plus mode=min/max, tags, and the
 * faults: a missing or damaged src is a warning, bad flags and paths that
 * would leave DIR are one-line errors, and a failed export leaves index.json
 * as it was.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BuildEvent } from '../../src/api/build-types.js';
import { parseCacheSpec } from '../../src/api/cache-spec.js';
import { load } from '../../src/api/load.js';
import { save } from '../../src/api/save.js';
import { rejected } from '../helpers/caught.js';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';
import { buildIn, contextOf, flatten, storeWithBusybox } from './harness.js';

const DOCKERFILE = [
  'FROM busybox',
  'RUN echo one > /one && echo ran-one',
  'COPY msg.txt /msg.txt',
  'RUN cat /msg.txt /one > /both && echo ran-two',
  'ENV DONE=1',
].join('\n');

const files = () => contextOf({ Dockerfile: `${DOCKERFILE}\n`, 'msg.txt': 'shared\n' });
const warnings = (events: BuildEvent[]) =>
  events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));

interface Index {
  manifests: { digest: string; annotations?: Record<string, string> }[];
}
const readJson = <T>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T;
const blob = (dir: string, digest: string) =>
  join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
/** The records the cache tagged `tag` in `dir` holds. */
function recordsIn(dir: string, tag = 'latest'): { key: string }[] {
  const index = readJson<Index>(join(dir, 'index.json'));
  const entry = index.manifests.find(
    (m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag,
  )!;
  const manifest = readJson<{ config: { digest: string } }>(blob(dir, entry.digest));
  return readJson<{ records: { key: string }[] }>(blob(dir, manifest.config.digest)).records;
}

let a: string;
let busyboxTar: string;
beforeAll(async () => {
  a = await storeWithBusybox();
  // Another machine has the same base (an import would give it another `created`).
  busyboxTar = join(tempRoot('tsbuild-cache-base-'), 'busybox.tar');
  await save({ root: a, env: {}, images: ['busybox'], output: createWriteStream(busyboxTar) });
}, 60_000);

/** An empty store but for the same busybox as store `a`'s: another machine. */
async function freshStore(): Promise<string> {
  const root = tempRoot('tsbuild-cache-store-');
  await load({ root, env: {}, input: createReadStream(busyboxTar) });
  return root;
}

describe('a build cache in a directory', () => {
  it('a fresh store imports what another exported: every step cached, no RUN runs, the same image', async () => {
    const dir = join(tempRoot('tsbuild-cache-dir-'), 'ci-cache');
    const onA = await buildIn(a, {
      context: files(),
      tags: ['local-a'],
      cacheTo: `type=local,dest=${dir},mode=max`,
    });
    expect(onA.output).toContain('ran-two');
    expect(onA.events).toContainEqual({
      type: 'push',
      ref: dir,
      status: 'cache: 4 records exported',
    });

    // An OCI layout, as BuildKit's exporter writes: every blob is named by its digest.
    expect(readJson(join(dir, 'oci-layout'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = readJson<Index & { schemaVersion: number; mediaType: string }>(
      join(dir, 'index.json'),
    );
    expect(index.schemaVersion).toBe(2);
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]!.annotations).toEqual({
      'org.opencontainers.image.ref.name': 'latest',
    });
    const names = readdirSync(join(dir, 'blobs', 'sha256'));
    for (const name of names)
      expect(
        createHash('sha256')
          .update(readFileSync(join(dir, 'blobs', 'sha256', name)))
          .digest('hex'),
      ).toBe(name);
    // The manifest, its config and the two RUN layers and the COPY layer; no temp file left.
    expect(names).toHaveLength(5);
    expect(recordsIn(dir).map((r) => r.key)).toEqual(onA.steps.map((s) => s.key));

    // Machine B: an empty store (busybox only), the sources in another folder.
    const b = await freshStore();
    const onB = await buildIn(b, {
      context: files(),
      tags: ['local-b'],
      cacheFrom: [`type=local,src=${dir}`],
    });
    expect(onB.output).toBe(''); // no RUN ran
    expect(onB.cached).toEqual({
      'RUN echo one > /one && echo ran-one': true,
      'COPY msg.txt /msg.txt': true,
      'RUN cat /msg.txt /one > /both && echo ran-two': true,
      'ENV DONE=1': true,
    });
    expect(onB.id).toBe(onA.id);
    expect(onB.digest).toBe(onA.digest);
    expect(readFileSync(join(await flatten(b, 'local-b'), 'both'), 'utf8')).toBe('shared\none\n');

    // A changed source: the step before it still hits, the RUN after it runs.
    const c = await freshStore();
    const onC = await buildIn(c, {
      context: contextOf({ Dockerfile: `${DOCKERFILE}\n`, 'msg.txt': 'changed\n' }),
      cacheFrom: [`type=local,src=${dir}`],
    });
    expect(onC.output).not.toContain('ran-one');
    expect(onC.output).toContain('ran-two');
  });

  it('mode=min exports the image’s stages, mode=max every stage', async () => {
    const df = [
      'FROM busybox AS builder',
      'RUN echo ran-builder && echo built > /b',
      'FROM busybox',
      'RUN echo ran-final && echo final > /f',
      'COPY --from=builder /b /from-builder',
    ].join('\n');
    const root = tempRoot('tsbuild-cache-modes-');
    const min = join(root, 'min');
    const max = join(root, 'max');
    const built = await buildIn(a, {
      context: contextOf({ Dockerfile: `${df}\n` }),
      cacheTo: [`type=local,dest=${min}`, `type=local,dest=${max},mode=max`],
    });
    const builderKey = built.steps.find((s) => s.text.startsWith('RUN echo ran-builder'))!.key;
    expect(recordsIn(min).map((r) => r.key)).not.toContain(builderKey);
    expect(recordsIn(max).map((r) => r.key)).toContain(builderKey);
    expect(recordsIn(max)).toHaveLength(recordsIn(min).length + 1);

    const fromMin = await buildIn(await freshStore(), {
      context: contextOf({ Dockerfile: `${df}\n` }),
      cacheFrom: [`type=local,src=${min}`],
    });
    expect(fromMin.output).toContain('ran-builder'); // not in a min cache
    expect(fromMin.output).not.toContain('ran-final');
    const fromMax = await buildIn(await freshStore(), {
      context: contextOf({ Dockerfile: `${df}\n` }),
      cacheFrom: [`type=local,src=${max}`],
    });
    expect(fromMax.output).toBe('');
    expect(fromMax.id).toBe(built.id);
  });

  it('tags share one directory: another tag is kept, the same tag replaced; digest= picks a manifest', async () => {
    const dir = join(tempRoot('tsbuild-cache-tags-'), 'c');
    const one = await buildIn(a, {
      context: contextOf({ Dockerfile: 'FROM busybox\nRUN echo tag-one && echo 1 > /t\n' }),
      cacheTo: `type=local,dest=${dir},tag=one`,
    });
    await buildIn(a, {
      context: contextOf({ Dockerfile: 'FROM busybox\nRUN echo tag-two && echo 2 > /t\n' }),
      cacheTo: `type=local,dest=${dir},tag=two`,
    });
    await buildIn(a, {
      context: contextOf({ Dockerfile: 'FROM busybox\nRUN echo tag-two-again && echo 3 > /t\n' }),
      cacheTo: `type=local,dest=${dir},tag=two`,
    });
    const index = readJson<Index>(join(dir, 'index.json'));
    expect(
      index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']),
    ).toEqual(['one', 'two']);
    // tag= reads its own manifest; the default tag (latest) names none here: a warning.
    const b = await freshStore();
    const hit = await buildIn(b, {
      context: contextOf({ Dockerfile: 'FROM busybox\nRUN echo tag-one && echo 1 > /t\n' }),
      cacheFrom: [`type=local,src=${dir},tag=one`],
    });
    expect(hit.output).toBe('');
    expect(hit.id).toBe(one.id);
    const byDigest = await buildIn(await freshStore(), {
      context: contextOf({ Dockerfile: 'FROM busybox\nRUN echo tag-one && echo 1 > /t\n' }),
      cacheFrom: [`type=local,src=${dir},digest=${index.manifests[0]!.digest}`],
    });
    expect(byDigest.output).toBe('');
    const untagged = await buildIn(await freshStore(), {
      context: contextOf({ Dockerfile: 'FROM busybox\nRUN echo tag-one && echo 1 > /t\n' }),
      cacheFrom: [`type=local,src=${dir}`],
    });
    expect(untagged.output).toBe('tag-one\n');
    expect(warnings(untagged.events)).toEqual([
      `local cache import at ${dir} skipped: no manifest tagged latest`,
    ]);
  });
});

describe('faults', () => {
  it('a missing or damaged src is a warning and the build runs, as BuildKit', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN echo fresh\n' });
    const missing = join(tempRoot('tsbuild-cache-missing-'), 'nothing-here');
    const r = await buildIn(a, {
      context: ctx,
      cacheFrom: [`type=local,src=${missing}`],
    });
    expect(warnings(r.events)).toEqual([`local cache import at ${missing} not found`]);
    expect(existsSync(missing)).toBe(false); // reading never creates it

    const damaged = tempRoot('tsbuild-cache-damaged-');
    writeFileSync(join(damaged, 'index.json'), '{"manifests": [');
    mkdirSync(join(damaged, 'blobs', 'sha256'), { recursive: true });
    const d = await buildIn(await freshStore(), {
      context: ctx,
      cacheFrom: [`type=local,src=${damaged}`],
    });
    expect(d.output).toContain('fresh');
    expect(warnings(d.events)).toEqual([
      `local cache import at ${damaged} skipped: a file is not JSON`,
    ]);

    // An index naming a blob outside blobs/sha256 is never followed there.
    const escaping = tempRoot('tsbuild-cache-escape-');
    mkdirSync(join(escaping, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(
      join(escaping, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            digest: 'sha256:../../../etc/passwd',
            annotations: { 'org.opencontainers.image.ref.name': 'latest' },
          },
        ],
      }),
    );
    const e = await buildIn(await freshStore(), {
      context: ctx,
      cacheFrom: [`type=local,src=${escaping}`],
    });
    expect(warnings(e.events)).toEqual([
      `local cache import at ${escaping} skipped: index.json names no valid digest for latest`,
    ]);
  });

  it('reading never follows a symlink out of SRC; a layer blob gone is a miss', async () => {
    const df = 'FROM busybox\nRUN echo ran-linked && echo l > /l\n';
    const dir = join(tempRoot('tsbuild-cache-readlink-'), 'c');
    await buildIn(a, { context: contextOf({ Dockerfile: df }), cacheTo: `type=local,dest=${dir}` });
    const manifest = readJson<{ layers: { digest: string }[] }>(
      blob(dir, readJson<Index>(join(dir, 'index.json')).manifests[0]!.digest),
    );
    const layer = blob(dir, manifest.layers[0]!.digest);
    // The layer blob a symlink to a copy elsewhere: not read, the step runs.
    const elsewhere = join(tempRoot('tsbuild-cache-outside-'), 'blob');
    writeFileSync(elsewhere, readFileSync(layer));
    rmSync(layer);
    symlinkSync(elsewhere, layer);
    const linked = await buildIn(await freshStore(), {
      context: contextOf({ Dockerfile: df }),
      cacheFrom: [`type=local,src=${dir}`],
    });
    expect(linked.output).toBe('ran-linked\n');
    expect(warnings(linked.events)).toEqual([
      `local cache import at ${dir}: cache blob ${layer} is a symlink: the step runs`,
    ]);
    rmSync(layer);
    const gone = await buildIn(await freshStore(), {
      context: contextOf({ Dockerfile: df }),
      cacheFrom: [`type=local,src=${dir}`],
    });
    expect(gone.output).toBe('ran-linked\n');
    expect(warnings(gone.events)).toEqual([
      expect.stringMatching(
        new RegExp(`^local cache import at ${dir}: cache blob ${layer}: ENOENT.*: the step runs$`),
      ),
    ]);
    // blobs/ itself a symlink: the cache is not read at all.
    const outside = tempRoot('tsbuild-cache-outside-blobs-');
    const { renameSync } = await import('node:fs');
    renameSync(join(dir, 'blobs'), join(outside, 'blobs'));
    symlinkSync(join(outside, 'blobs'), join(dir, 'blobs'));
    const viaLink = await buildIn(await freshStore(), {
      context: contextOf({ Dockerfile: df }),
      cacheFrom: [`type=local,src=${dir}`],
    });
    expect(viaLink.output).toBe('ran-linked\n');
    expect(warnings(viaLink.events)).toEqual([
      `local cache import at ${dir} skipped: ${join(dir, 'blobs')} is a symlink: the cache stays inside ${dir}`,
    ]);
  });

  it('a tampered directory never hangs, crashes or picks a step’s time: FIFOs, devices, bad shapes, bad blobs', async () => {
    const df = 'FROM busybox\nRUN echo ran-tampered && echo t > /t\n';
    const importFrom = async (dir: string) =>
      buildIn(await freshStore(), {
        context: contextOf({ Dockerfile: df }),
        cacheFrom: [`type=local,src=${dir}`],
      });
    const where = (dir: string) => `local cache import at ${dir}`;

    // index.json a FIFO (reading it would wait for a writer for ever) or a link to a device.
    const fifo = tempRoot('tsbuild-cache-fifo-');
    mkdirSync(join(fifo, 'blobs', 'sha256'), { recursive: true });
    execFileSync('mkfifo', [join(fifo, 'index.json')]);
    const f = await importFrom(fifo);
    expect(f.output).toBe('ran-tampered\n');
    expect(warnings(f.events)).toEqual([
      `${where(fifo)} skipped: cache index ${join(fifo, 'index.json')} is not a regular file`,
    ]);
    const dev = tempRoot('tsbuild-cache-dev-');
    mkdirSync(join(dev, 'blobs', 'sha256'), { recursive: true });
    symlinkSync('/dev/zero', join(dev, 'index.json'));
    expect(warnings((await importFrom(dev)).events)).toEqual([
      `${where(dev)} skipped: cache index ${join(dev, 'index.json')} is a symlink`,
    ]);

    // JSON of the wrong shape: a warning on import, and an export still writes its entry.
    const shapes = tempRoot('tsbuild-cache-shapes-');
    mkdirSync(join(shapes, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(shapes, 'index.json'), '{"manifests":[null, 7]}');
    expect(warnings((await importFrom(shapes)).events)).toEqual([
      `${where(shapes)} skipped: no manifest tagged latest`,
    ]);
    await buildIn(a, {
      context: contextOf({ Dockerfile: df }),
      cacheTo: `type=local,dest=${shapes}`,
    });
    expect(recordsIn(shapes)).toHaveLength(1);

    // A layer blob with other bytes of the same size (not even gzip): a miss, never the layer.
    const manifestOf = (dir: string) =>
      readJson<{ config: { digest: string; size: number }; layers: { digest: string }[] }>(
        blob(dir, readJson<Index>(join(dir, 'index.json')).manifests.at(-1)!.digest),
      );
    const layer = blob(shapes, manifestOf(shapes).layers[0]!.digest);
    const good = readFileSync(layer);
    writeFileSync(layer, Buffer.alloc(good.length, 7));
    const bad = await importFrom(shapes);
    expect(bad.output).toBe('ran-tampered\n');
    const layerDigest = manifestOf(shapes).layers[0]!.digest;
    expect(warnings(bad.events)).toEqual([
      `${where(shapes)}: cache ${shapes}: layer ${layerDigest}: incorrect header check: the step runs`,
    ]);
    // The next export puts the right bytes back rather than keeping a blob of the right size.
    await buildIn(a, {
      context: contextOf({ Dockerfile: df }),
      cacheTo: `type=local,dest=${shapes}`,
    });
    expect(readFileSync(layer).equals(good)).toBe(true);
    expect((await importFrom(shapes)).output).toBe('');

    // A record whose time is not a time is dropped: it would be the step's `created`.
    const m = manifestOf(shapes);
    const config = readJson<{ records: { created: string }[] }>(blob(shapes, m.config.digest));
    config.records[0]!.created = 'garbage';
    const configBytes = Buffer.from(JSON.stringify(config));
    const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
    writeFileSync(blob(shapes, sha(configBytes)), configBytes);
    const manifestBytes = Buffer.from(
      JSON.stringify({
        ...m,
        config: { ...m.config, digest: sha(configBytes), size: configBytes.length },
      }),
    );
    writeFileSync(blob(shapes, sha(manifestBytes)), manifestBytes);
    writeFileSync(
      join(shapes, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: sha(manifestBytes),
            size: manifestBytes.length,
            annotations: { 'org.opencontainers.image.ref.name': 'latest' },
          },
        ],
      }),
    );
    const timeless = await importFrom(shapes);
    expect(timeless.output).toBe('ran-tampered\n');
    expect(warnings(timeless.events)).toEqual([]);
  });

  it('a directory BuildKit wrote is said to be one, and the build runs', async () => {
    // BuildKit's layout: the manifest's config is its own cache config type.
    const dir = tempRoot('tsbuild-cache-buildkit-');
    const blobs = join(dir, 'blobs', 'sha256');
    mkdirSync(blobs, { recursive: true });
    const put = (bytes: string) => {
      const hex = createHash('sha256').update(bytes).digest('hex');
      writeFileSync(join(blobs, hex), bytes);
      return { digest: `sha256:${hex}`, size: Buffer.byteLength(bytes) };
    };
    const config = put('{"layers":[],"records":[]}');
    const manifest = put(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.buildkit.cacheconfig.v0', ...config },
        layers: [],
      }),
    );
    writeFileSync(
      join(dir, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          { ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'latest' } },
        ],
      }),
    );
    const r = await buildIn(await freshStore(), {
      context: contextOf({ Dockerfile: 'FROM busybox\nRUN echo from-scratch\n' }),
      cacheFrom: [`type=local,src=${dir}`],
    });
    expect(r.output).toBe('from-scratch\n');
    expect(warnings(r.events)).toEqual([
      `local cache import at ${dir} skipped: not a tsbuild cache (its config is application/vnd.buildkit.cacheconfig.v0; BuildKit's cache format is not read)`,
    ]);
  });

  it('an export never writes through a symlink inside DEST', async () => {
    const dest = tempRoot('tsbuild-cache-link-');
    const elsewhere = tempRoot('tsbuild-cache-elsewhere-');
    symlinkSync(elsewhere, join(dest, 'blobs'));
    const err = await rejected(
      buildIn(a, {
        context: contextOf({ Dockerfile: 'FROM busybox\nRUN echo linked > /l\n' }),
        cacheTo: `type=local,dest=${dest}`,
      }),
    );
    expect(err.code).toBe('CACHE_PATH');
    expect(err.message).toBe(`${join(dest, 'blobs')} is a symlink: the cache stays inside ${dest}`);
    expect(readdirSync(elsewhere)).toEqual([]);
    expect(existsSync(join(dest, 'index.json'))).toBe(false);
  });

  it('an export that fails part way leaves index.json as it was', async () => {
    const dest = join(tempRoot('tsbuild-cache-atomic-'), 'c');
    const df = 'FROM busybox\nRUN echo atomic > /a\n';
    const first = await buildIn(a, {
      context: contextOf({ Dockerfile: df }),
      cacheTo: `type=local,dest=${dest}`,
    });
    const before = readFileSync(join(dest, 'index.json'));
    // The RUN's layer blob, replaced by a directory: the next export cannot put it there.
    const manifest = readJson<{ layers: { digest: string }[] }>(
      blob(dest, readJson<Index>(join(dest, 'index.json')).manifests[0]!.digest),
    );
    const layer = blob(dest, manifest.layers[0]!.digest);
    rmSync(layer);
    mkdirSync(join(layer, 'in-the-way'), { recursive: true });
    const err = await rejected(
      buildIn(a, {
        context: contextOf({ Dockerfile: df }),
        cacheTo: `type=local,dest=${dest},tag=second`,
      }),
    );
    expect(err.message).toMatch(new RegExp(`^exporting cache to ${dest}: `));
    expect(readFileSync(join(dest, 'index.json'))).toEqual(before);
    expect(readdirSync(join(dest, 'blobs', 'sha256')).filter((n) => n.startsWith('.'))).toEqual([]);
    // ignore-error=true: BuildKit's, the build stands and says why.
    const ignored = await buildIn(a, {
      context: contextOf({ Dockerfile: df }),
      cacheTo: `type=local,dest=${dest},tag=second,ignore-error=true`,
    });
    expect(ignored.id).toBe(first.id);
    expect(warnings(ignored.events)).toEqual([
      expect.stringMatching(new RegExp(`^exporting cache to ${dest}: EISDIR`)),
    ]);
  });

  it('bad flags are one-line errors', async () => {
    const cases: [string, '--cache-to' | '--cache-from', string][] = [
      ['type=local', '--cache-to', '--cache-to type=local: dest= is required'],
      [
        'type=local,dest=/x',
        '--cache-from',
        '--cache-from type=local,dest=/x: unknown option "dest" for type=local',
      ],
      [
        'type=local,src=/x,digest=sha256:abc',
        '--cache-from',
        '--cache-from type=local,src=/x,digest=sha256:abc: digest= is sha256:<64 hex digits>',
      ],
      [
        'type=gha',
        '--cache-to',
        '--cache-to type=gha: type=gha is not supported (registry, local and inline are)',
      ],
      [
        'type=inline',
        '--cache-from',
        "--cache-from type=inline: type=inline is for --cache-to; to use an image's inline cache, give --cache-from IMAGE",
      ],
      [
        'type=local,dest=/x,mode=all',
        '--cache-to',
        '--cache-to type=local,dest=/x,mode=all: mode is min or max',
      ],
      [
        'type=local,dest=/x,compression=zstd',
        '--cache-to',
        '--cache-to type=local,dest=/x,compression=zstd: unknown option "compression" for type=local',
      ],
      [
        'type=local,dest=/x,oci-mediatypes=false',
        '--cache-to',
        '--cache-to type=local,dest=/x,oci-mediatypes=false: oci-mediatypes=false is not supported: the cache is written with OCI media types',
      ],
    ];
    for (const [text, flag, message] of cases) {
      const err = await rejected(Promise.resolve().then(() => parseCacheSpec(text, flag)));
      expect(err.message).toBe(message);
    }
    expect(parseCacheSpec('type=local,dest=rel/dir,mode=max', '--cache-to', '/w')).toEqual({
      type: 'local',
      dir: '/w/rel/dir',
      tag: 'latest',
      mode: 'max',
    });
    // Through the CLI: one line, non-zero, nothing built.
    const r = await cli(
      [
        'build',
        '--root',
        a,
        '--cache-to',
        'type=local',
        contextOf({ Dockerfile: 'FROM busybox\n' }),
      ],
      { env: {} },
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([
      'error: --cache-to type=local: dest= is required',
    ]);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace

    // --cache-to more than once, as buildx takes it: each gets the cache.
    const two = tempRoot('tsbuild-cache-two-');
    const ok = await cli(
      [
        'build',
        '--root',
        a,
        '--cache-to',
        `type=local,dest=${join(two, 'x')}`,
        '--cache-to',
        `type=local,dest=${join(two, 'y')},mode=max`,
        contextOf({ Dockerfile: 'FROM busybox\nRUN echo twice > /t\n' }),
      ],
      { env: {} },
    );
    expect(ok.code).toBe(0);
    expect(recordsIn(join(two, 'x'))).toEqual(recordsIn(join(two, 'y')));
    expect(recordsIn(join(two, 'x'))).toHaveLength(1);
  });
});
