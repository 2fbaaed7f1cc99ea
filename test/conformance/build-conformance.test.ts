/**
 * Whole builds side by side with a real Docker 20.10 engine (BuildKit): every
 * folder under test/fixtures/build-cases is a context with its Dockerfile,
 * built by the suite's private dockerd and by tsbuild over the same busybox
 * base, and the two images compared — the config's `config` object key by
 * key, `author`, the platform, the history (created_by, empty_layer, comment)
 * and the flattened filesystem (path, type, mode, owner, symlink target,
 * content; not mtimes). test/fixtures/build-cases/README.md has the format.
 *
 * A case's optional case.json gives build args, a target, a base image both
 * builders build first (ONBUILD), and the differences we expect, each with the
 * value on both sides and why: a declared difference must still hold exactly,
 * so fixing it fails the case until the declaration goes.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import type { ImageConfig } from '../../src/image/types.js';
import { buildIn, storeWithBusybox } from '../build/harness.js';
import { busyboxRootfsTar } from '../helpers/busybox.js';
import { docker, dockerOk } from '../helpers/docker.js';
import { tempRoot } from '../helpers/tmp.js';
import { listLayers } from './layer-listing.js';
import type { Readable } from 'node:stream';

const CASES = join(import.meta.dirname, '..', 'fixtures', 'build-cases');

interface Difference {
  /**
   * `config.<Key>`, `author`, `platform`, `history.<index>`, `history` (all entries,
   * as a list) or an absolute path in the filesystem.
   */
  at: string;
  /** Each side's value there; `null` when it has none. */
  docker: unknown;
  tsbuild: unknown;
  /** Why it differs; `KNOWN: …` for a tsbuild bug outside this test's files. */
  why: string;
}

interface CaseSpec {
  buildArgs?: Record<string, string>;
  target?: string;
  /** The Dockerfile, relative to the context (`-f`); default `Dockerfile`. */
  dockerfile?: string;
  /** `--label`: for the final image only. */
  labels?: Record<string, string>;
  /** Built first, from the same context, by each builder into its own store. */
  base?: { dockerfile: string; tag: string };
  differences?: Difference[];
  /**
   * A build that fails: Docker's output contains `docker`, and tsbuild refuses it with
   * `code` and a message containing `message`. Where one of `docker` and `code` is
   * null, that builder builds it instead, and `why` says why the two differ.
   */
  fails?: { docker: string | null; code: string | null; message?: string; why?: string };
}

/** What we compare, flattened to one value per key so a difference can name its spot. */
type Observation = Record<string, unknown>;

const cases = readdirSync(CASES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function specOf(name: string): CaseSpec {
  const file = join(CASES, name, 'case.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as CaseSpec) : {};
}

function observe(config: ImageConfig, fs: Record<string, string>): Observation {
  const obs: Observation = {};
  // Go writes a nil slice or map as null and a Go reader makes it nil again:
  // null and absent mean the same to Docker, so both are left out.
  for (const [k, v] of Object.entries(config.config ?? {}))
    if (v !== null && v !== undefined) obs[`config.${k}`] = v;
  if (config.author !== undefined) obs.author = config.author;
  obs.platform = [config.os, config.architecture, config.variant].filter(Boolean).join('/');
  // The base image's entries too: both builders start from the same import.
  (config.history ?? []).forEach((h, i) => {
    obs[`history.${i}`] =
      `${h.created_by ?? ''} | ${h.empty_layer ? 'empty' : 'layer'} | ${h.comment ?? ''}`;
  });
  for (const [path, line] of Object.entries(fs)) obs[`/${path}`] = line;
  return obs;
}

/**
 * Remove and return the value at `at` (`null` when there is none); `history` is
 * every history entry as one list, for a difference that shifts them all.
 */
function take(obs: Observation, at: string): unknown {
  const keys = at === 'history' ? Object.keys(obs).filter((k) => k.startsWith('history.')) : [at];
  const values = keys.map((k) => obs[k] ?? null);
  for (const k of keys) delete obs[k];
  return at === 'history' ? values : values[0];
}

const DOCKER_ENV = { DOCKER_BUILDKIT: '1' };

async function dockerBuild(dir: string, tag: string, spec: CaseSpec, base = false) {
  const dockerfile = (base ? spec.base?.dockerfile : spec.dockerfile) ?? 'Dockerfile';
  const args = ['build', '--network=none', '-q', '-t', tag, '-f', join(dir, dockerfile)];
  for (const [k, v] of Object.entries(spec.buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
  if (!base) {
    if (spec.target) args.push('--target', spec.target);
    for (const [k, v] of Object.entries(spec.labels ?? {})) args.push('--label', `${k}=${v}`);
  }
  await dockerOk([...args, dir], { env: DOCKER_ENV });
}

async function dockerSide(name: string, spec: CaseSpec): Promise<Observation> {
  const dir = join(CASES, name);
  if (spec.base) await dockerBuild(dir, spec.base.tag, spec, true);
  const tag = `tsb-conf/${name}:1`;
  await dockerBuild(dir, tag, spec);
  const out = tempRoot('tsbuild-conf-save-');
  try {
    await dockerOk(['save', '-o', join(out, 'image.tar'), tag]);
    execFileSync('tar', ['-xf', join(out, 'image.tar'), '-C', out]);
    const [manifest] = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      Config: string;
      Layers: string[];
    }[];
    const config = JSON.parse(readFileSync(join(out, manifest!.Config), 'utf8')) as ImageConfig;
    const layers = manifest!.Layers.map((l) => () => createReadStream(join(out, l)));
    return observe(config, await listLayers(layers));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function ourSide(root: string, name: string, spec: CaseSpec): Promise<Observation> {
  const context = join(CASES, name);
  const common = { context, buildArgs: spec.buildArgs };
  if (spec.base)
    await buildIn(root, {
      ...common,
      dockerfile: join(context, spec.base.dockerfile),
      tags: [spec.base.tag],
    });
  const tag = `tsb-conf/${name}:1`;
  await buildIn(root, {
    ...common,
    dockerfile: spec.dockerfile && join(context, spec.dockerfile),
    target: spec.target,
    labels: spec.labels,
    tags: [tag],
  });
  const store = await Store.open(root);
  const record = await store.resolve(tag);
  const layers = await Promise.all(
    (await store.manifest(record)).layers.map(async (l) => {
      const bytes = (await store.layerBytes(l.digest))!;
      return (): Readable => bytes.open();
    }),
  );
  return observe(await store.config(record), await listLayers(layers));
}

describe('whole builds against Docker 20.10 BuildKit', () => {
  let root: string;
  beforeAll(async () => {
    await dockerOk(['import', await busyboxRootfsTar(), 'busybox:latest']);
    root = await storeWithBusybox();
  }, 60_000);

  it('finds its cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  describe.concurrent.each(cases)('%s', (name) => {
    const { fails } = specOf(name);
    if (fails)
      it('fails as Docker fails', async () => {
        const dir = join(CASES, name);
        const tag = `tsb-conf/${name}:1`;
        const [theirs, ours] = await Promise.all([
          docker(['build', '--network=none', '-q', '-t', tag, dir], { env: DOCKER_ENV }),
          buildIn(root, { context: dir, tags: [tag] }).then(
            () => undefined,
            (e: Error & { code?: string }) => e,
          ),
        ]);
        if (fails.docker === null || fails.code === null)
          expect(fails.why, 'why one side builds it').toMatch(/\S/);
        if (fails.docker === null) {
          expect({ dockerExit: theirs.code }).toEqual({ dockerExit: 0 });
        } else {
          const said = theirs.stderr.includes(fails.docker)
            ? fails.docker
            : theirs.stderr.trim().split('\n').at(-1);
          expect({ failed: theirs.code !== 0, said }).toEqual({ failed: true, said: fails.docker });
        }
        if (fails.code === null) {
          expect({ ours: ours?.message ?? 'built' }).toEqual({ ours: 'built' });
        } else {
          expect({ code: ours?.code, message: ours?.message }).toMatchObject({
            code: fails.code,
            message: expect.stringContaining(fails.message ?? '') as string,
          });
        }
      }, 90_000);
    else
      it('builds the image Docker builds', async () => {
        const spec = specOf(name);
        const [theirs, ours] = await Promise.all([
          dockerSide(name, spec),
          ourSide(root, name, spec),
        ]);
        for (const d of spec.differences ?? []) {
          expect(d.why, `${d.at}: a reason`).toMatch(/\S/);
          expect({ at: d.at, docker: take(theirs, d.at) }).toEqual({ at: d.at, docker: d.docker });
          expect({ at: d.at, tsbuild: take(ours, d.at) }).toEqual({ at: d.at, tsbuild: d.tsbuild });
        }
        expect(ours).toEqual(theirs);
      }, 90_000);
  });
});
