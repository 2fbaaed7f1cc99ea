/**
 * `--provenance` with `--output type=oci` (issue 17): the archive's index.json
 * names an OCI index of the image and a BuildKit attestation manifest whose one
 * layer is the SLSA v0.2 statement; skopeo (a third-party reader) picks the
 * image from it. `--provenance=false` and `type=docker` give the plain image as
 * before. What the predicate holds in mode=min and mode=max, and what it never
 * holds: a secret's value, credentials of a git context's URL.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  createReadStream,
  createWriteStream,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { load } from '../../src/api/load.js';
import { save } from '../../src/api/save.js';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';
import { makeRepo, writeFiles } from '../setup/git-repos.js';
import { startGitHttp, type GitHttpServer } from '../setup/git-server.js';
import { buildIn, contextOf, storeWithBusybox } from './harness.js';

const SLSA = 'https://slsa.dev/provenance/v0.2';
const SECRET = 'hunter2-never-in-provenance';
let root: string;

beforeAll(async () => {
  root = await storeWithBusybox();
}, 60_000);

interface Layout {
  dir: string;
  blob(digest: string): Buffer;
  json<T = Record<string, unknown>>(digest: string): T;
  index: {
    manifests: { mediaType: string; digest: string; annotations?: Record<string, string> }[];
  };
}

function unpack(tarPath: string): Layout {
  const dir = tempRoot('tsbuild-prov-oci-');
  execFileSync('tar', ['-xf', tarPath, '-C', dir]);
  const blob = (d: string) => readFileSync(join(dir, 'blobs/sha256', d.slice('sha256:'.length)));
  return {
    dir,
    blob,
    json: <T>(d: string) => JSON.parse(blob(d).toString()) as T,
    index: JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as Layout['index'],
  };
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string };
}

/** The image index an OCI archive names, its two manifests, and the statement. */
function attested(l: Layout) {
  expect(l.index.manifests).toHaveLength(1);
  const top = l.index.manifests[0]!;
  expect(top.mediaType).toBe('application/vnd.oci.image.index.v1+json');
  const index = l.json<{ manifests: Descriptor[] }>(top.digest);
  expect(index.manifests).toHaveLength(2);
  const [image, att] = index.manifests as [Descriptor, Descriptor];
  expect(image.platform).toEqual({ architecture: 'amd64', os: 'linux' });
  expect(att.platform).toEqual({ architecture: 'unknown', os: 'unknown' });
  expect(att.annotations).toEqual({
    'vnd.docker.reference.digest': image.digest,
    'vnd.docker.reference.type': 'attestation-manifest',
  });
  const manifest = l.json<{ layers: Descriptor[]; config: Descriptor }>(att.digest);
  expect(manifest.layers).toHaveLength(1);
  const layer = manifest.layers[0]!;
  expect(layer.mediaType).toBe('application/vnd.in-toto+json');
  expect(layer.annotations).toEqual({ 'in-toto.io/predicate-type': SLSA });
  const raw = l.blob(layer.digest).toString();
  const statement = JSON.parse(raw) as {
    _type: string;
    predicateType: string;
    subject: { name: string; digest: { sha256: string } }[];
    predicate: Predicate;
  };
  return { top, image, att, raw, statement };
}

interface Predicate {
  builder: { id: string };
  buildType: string;
  materials?: { uri: string; digest?: Record<string, string> }[];
  invocation: {
    configSource: { uri?: string; digest?: Record<string, string>; entryPoint?: string };
    parameters: {
      frontend: string;
      args: Record<string, string>;
      secrets?: { id: string; optional?: boolean }[];
      locals?: { name: string }[];
    };
    environment: { platform: string };
  };
  buildConfig?: { llbDefinition: { id: string; inputs?: string[] }[] };
  metadata: {
    buildStartedOn: string;
    buildFinishedOn: string;
    completeness: { parameters: boolean; environment: boolean; materials: boolean };
    reproducible: boolean;
    'https://mobyproject.org/buildkit@v1#metadata': {
      source?: { infos: { filename: string; data: string }[] };
    };
  };
}

const DOCKERFILE = [
  'FROM busybox AS build',
  'ARG GREETING',
  'RUN --mount=type=secret,id=token,required=true test "$(cat /run/secrets/token)" = "$SECRET_EXPECTED" || true',
  'RUN echo "$GREETING" > /greeting',
  'FROM busybox',
  'COPY --from=build /greeting /',
  'LABEL stage=final',
  '',
].join('\n');

async function ociBuild(flags: string[], tag = 'prov-app:1') {
  const ctx = contextOf({ Dockerfile: DOCKERFILE });
  const secret = join(tempRoot('tsbuild-prov-secret-'), 'token');
  writeFileSync(secret, SECRET);
  const out = join(tempRoot('tsbuild-prov-out-'), 'img.tar');
  const r = await cli(
    [
      'build',
      '--root',
      root,
      '--progress=plain',
      '--network=none',
      '-t',
      tag,
      '--build-arg',
      'GREETING=hello-arg',
      '--label',
      'team=core',
      '--secret',
      `id=token,src=${secret}`,
      '-o',
      `type=oci,dest=${out}`,
      ...flags,
      ctx,
    ],
    { env: { HOME: '/nonexistent' } },
  );
  expect(r.stderr).not.toContain('error');
  expect(r.code).toBe(0);
  return { out, stderr: r.stderr };
}

describe('--output type=oci --provenance=mode=max', () => {
  let tar: string;
  let l: Layout;
  let s: ReturnType<typeof attested>;

  beforeAll(async () => {
    tar = (await ociBuild(['--provenance=mode=max'])).out;
    l = unpack(tar);
    s = attested(l);
  }, 120_000);

  it('names the image in the archive by an index with the attestation manifest', () => {
    expect(l.index.manifests[0]!.annotations).toEqual({
      'io.containerd.image.name': 'docker.io/library/prov-app:1',
      'org.opencontainers.image.ref.name': '1',
    });
    // manifest.json (docker load's) still names the image alone.
    const docker = JSON.parse(readFileSync(join(l.dir, 'manifest.json'), 'utf8')) as {
      Config: string;
    }[];
    const image = l.json<{ config: { digest: string } }>(s.image.digest);
    expect(docker.map((d) => d.Config)).toEqual([
      `blobs/sha256/${image.config.digest.slice('sha256:'.length)}`,
    ]);
  });

  it('a SLSA v0.2 statement about the image manifest', () => {
    const { statement } = s;
    expect(statement._type).toBe('https://in-toto.io/Statement/v0.1');
    expect(statement.predicateType).toBe(SLSA);
    expect(statement.subject).toEqual([
      {
        name: 'pkg:docker/prov-app@1?platform=linux%2Famd64',
        digest: { sha256: s.image.digest.slice('sha256:'.length) },
      },
    ]);
    const p = statement.predicate;
    expect(Object.keys(p)).toEqual([
      'builder',
      'buildType',
      'materials',
      'invocation',
      'buildConfig',
      'metadata',
    ]);
    expect(p.builder).toEqual({ id: '' });
    expect(p.buildType).toBe('https://mobyproject.org/buildkit@v1');
    // busybox was imported, never pulled: no registry digest is known for it.
    expect(p.materials).toEqual([{ uri: 'pkg:docker/busybox@latest?platform=linux%2Famd64' }]);
    expect(p.invocation.configSource).toEqual({ entryPoint: 'Dockerfile' });
    expect(p.invocation.parameters).toEqual({
      frontend: 'dockerfile.v0',
      args: { 'build-arg:GREETING': 'hello-arg', 'label:team': 'core' },
      secrets: [{ id: 'token' }],
      locals: [{ name: 'context' }, { name: 'dockerfile' }],
    });
    expect(p.invocation.environment).toEqual({ platform: 'linux/amd64' });
    expect(p.metadata.completeness).toEqual({
      parameters: true,
      environment: true,
      materials: false,
    });
    expect(p.metadata.reproducible).toBe(false);
    expect(Date.parse(p.metadata.buildFinishedOn)).toBeGreaterThanOrEqual(
      Date.parse(p.metadata.buildStartedOn),
    );
  });

  it('mode=max: the steps, and the Dockerfile in the source map', () => {
    const p = s.statement.predicate;
    // build: FROM, ARG, RUN, RUN; final: FROM, COPY --from (the last RUN too), LABEL.
    expect(p.buildConfig!.llbDefinition).toEqual([
      { id: 'step0' },
      { id: 'step1', inputs: ['step0:0'] },
      { id: 'step2', inputs: ['step1:0'] },
      { id: 'step3', inputs: ['step2:0'] },
      { id: 'step4' },
      { id: 'step5', inputs: ['step4:0', 'step3:0'] },
      { id: 'step6', inputs: ['step5:0'] },
    ]);
    const infos = p.metadata['https://mobyproject.org/buildkit@v1#metadata'].source!.infos;
    expect(infos.map((i) => i.filename)).toEqual(['Dockerfile']);
    expect(Buffer.from(infos[0]!.data, 'base64').toString()).toBe(DOCKERFILE);
  });

  it("never a secret's value, anywhere in the archive", () => {
    expect(s.raw).not.toContain(SECRET);
    const grep = spawnSync('grep', ['-rlF', SECRET, l.dir], { encoding: 'utf8' });
    expect(grep.stdout).toBe('');
    expect(grep.status).toBe(1);
  });

  it('skopeo reads the index and, copying the image, picks the image and not the attestation', () => {
    const raw = JSON.parse(
      execFileSync('skopeo', ['inspect', '--raw', `oci-archive:${tar}`], { encoding: 'utf8' }),
    ) as { manifests: Descriptor[] };
    expect(raw.manifests.map((m) => m.digest)).toEqual([s.image.digest, s.att.digest]);
    const dir = join(tempRoot('tsbuild-prov-skopeo-'), 'img');
    execFileSync('skopeo', ['copy', '-q', `oci-archive:${tar}`, `dir:${dir}`]);
    const copied = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      config: Descriptor;
    };
    expect(copied).toEqual(l.json(s.image.digest));
    expect(copied.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
  });
});

describe('mode=min, false, and the docker output', () => {
  it('mode=min: no build-arg or label values, no secret IDs, no steps', async () => {
    const { out } = await ociBuild(['--provenance=mode=min,builder-id=https://ci.example/run/7']);
    const { statement, raw } = attested(unpack(out));
    const p = statement.predicate;
    expect(p.builder).toEqual({ id: 'https://ci.example/run/7' });
    expect(p.invocation.parameters.args).toEqual({});
    expect(p.invocation.parameters.secrets).toBeUndefined();
    expect(p.buildConfig).toBeUndefined();
    expect(p.metadata.completeness.parameters).toBe(false);
    expect(p.metadata['https://mobyproject.org/buildkit@v1#metadata']).toEqual({});
    expect(raw).not.toContain('hello-arg');
    expect(raw).not.toContain(SECRET);
  });

  it('--provenance=false: index.json names the image manifest, as without the flag', async () => {
    const { out } = await ociBuild(['--provenance=false']);
    const l = unpack(out);
    expect(l.index.manifests.map((m) => m.mediaType)).toEqual([
      'application/vnd.oci.image.manifest.v1+json',
    ]);
    expect(readdirSync(join(l.dir, 'blobs/sha256')).length).toBe(
      // the manifest, the config and busybox's one layer (the build adds none to the final stage's
      // own but the COPY's)
      readdirSync(join(unpack((await ociBuild([])).out).dir, 'blobs/sha256')).length,
    );
  });

  it('type=docker leaves it out, and says so when nothing would carry it', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nLABEL a=b\n' });
    const out = join(tempRoot('tsbuild-prov-docker-'), 'img.tar');
    const r = await cli([
      'build',
      '--root',
      root,
      '--progress=plain',
      '--provenance=mode=max',
      '-o',
      `type=docker,dest=${out}`,
      ctx,
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'provenance is attached to pushed images and --output type=oci only',
    );
    const l = unpack(out);
    expect(l.index.manifests.map((m) => m.mediaType)).toEqual([
      'application/vnd.oci.image.manifest.v1+json',
    ]);
    expect(spawnSync('grep', ['-rl', 'in-toto', l.dir]).status).toBe(1);
  });
});

it('with SOURCE_DATE_EPOCH, the image manifest is the same in two stores; the index is not (it records when)', async () => {
  const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN echo same > /same.txt\n' });
  // The same base in the second store: saved from the first and loaded (an import
  // would give it another `created`).
  const archive = join(tempRoot('tsbuild-prov-base-'), 'busybox.tar');
  await save({ root, env: {}, images: ['busybox'], output: createWriteStream(archive) });
  const other = tempRoot('tsbuild-prov-store-');
  await load({ root: other, env: {}, input: createReadStream(archive) });
  const indexes = [];
  for (const store of [root, other]) {
    const out = join(tempRoot('tsbuild-prov-sde-'), 'img.tar');
    await buildIn(store, {
      context: ctx,
      tags: ['prov-sde:1'],
      network: 'none',
      buildArgs: { SOURCE_DATE_EPOCH: '1700000000' },
      provenance: { mode: 'min' },
      outputs: [{ type: 'oci', dest: out }],
    });
    const l = unpack(out);
    indexes.push({ top: l.index.manifests[0]!.digest, image: attested(l).image.digest });
  }
  expect(indexes[1]!.image).toBe(indexes[0]!.image);
  expect(indexes[1]!.top).not.toBe(indexes[0]!.top);
}, 120_000);

describe('a git context with credentials in its URL', () => {
  const TOKEN = 'ghp-token-never-in-provenance';
  let srv: GitHttpServer;
  let commit: string;

  beforeAll(async () => {
    const repos = tempRoot('tsbuild-prov-repos-');
    makeRepo(repos, 'priv', (work, git) => {
      writeFiles(work, { Dockerfile: 'FROM busybox\nCOPY hello.txt /\n', 'hello.txt': 'hi\n' });
      git('add', '-A');
      git('commit', '-q', '-m', 'one');
      commit = git('rev-parse', 'HEAD').trim();
    });
    srv = await startGitHttp({
      root: repos,
      private: { priv: { user: 'x-access-token', password: TOKEN } },
    });
  }, 60_000);

  afterAll(async () => {
    await srv?.stop();
  });

  it('names the repository and commit, the credentials redacted', async () => {
    const url = `${srv.url.replace('http://', `http://x-access-token:${TOKEN}@`)}/priv.git#main`;
    const out = join(tempRoot('tsbuild-prov-git-'), 'img.tar');
    await buildIn(root, {
      context: url,
      tags: ['prov-git:1'],
      env: { HOME: '/nonexistent' },
      provenance: { mode: 'max' },
      outputs: [{ type: 'oci', dest: out }],
    });
    const { statement, raw } = attested(unpack(out));
    expect(raw).not.toContain(TOKEN);
    const redacted = `${srv.url.replace('http://', 'http://xxxxx:xxxxx@')}/priv.git#main`;
    const p = statement.predicate;
    expect(p.invocation.configSource).toEqual({
      uri: redacted,
      digest: { sha1: commit },
      entryPoint: 'Dockerfile',
    });
    expect(p.materials).toContainEqual({ uri: redacted, digest: { sha1: commit } });
    // Nothing local was read: the materials are complete.
    expect(p.invocation.parameters.locals).toBeUndefined();
    expect(p.metadata.completeness.materials).toBe(true);
  });
});
