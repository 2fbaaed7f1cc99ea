/**
 * Issue 13, "Contexts and inputs": what a build or a load reads from the user
 * must not reach further than Docker lets it, and what tsbuild stores must mean
 * one filesystem. Each describe is one item of the issue, built for real
 * through the CLI entry or the API, with real files.
 */
import { createHash } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import tar from 'tar-stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/util/digest.js';
import { buildIn, contextOf, flatten, storeWithBusybox } from '../build/harness.js';
import { rejected } from '../helpers/caught.js';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';

let root: string;
beforeAll(async () => {
  root = await storeWithBusybox();
});

/** `tsbuild <verb> --root <the test store> …`. */
const run = (argv: string[]) => cli([argv[0]!, '--root', root, ...argv.slice(1)]);

const imageCount = async (store: string) =>
  (await cli(['images', '--root', store, '-q'])).stdout.split('\n').filter(Boolean).length;

describe('a git-looking context string is never folded into a local path', () => {
  // resolve(cwd, s) folds the four components before the '..'s (`https:`,
  // `example.com`, `org`, `repo.git#v1:x`) away, landing on <cwd>/target.
  const https = 'https://example.com/org/repo.git#v1:x/../../../../target';
  const gitProto = 'git://host/repo.git#main:sub/../../../target';

  for (const context of [https, gitProto]) {
    it(`reads ${context.split('#')[0]} as a git URL, not as <cwd>/target`, async () => {
      const cwd = tempRoot();
      contextOf({ Dockerfile: 'FROM scratch\nCOPY marker /\n', marker: 'x' }, join(cwd, 'target'));
      const store = tempRoot();
      const e = await rejected(buildIn(store, { context, cwd }));
      // Docker 20.10 takes it for a git URL too; its folder climbs out of the repository.
      expect(e.code).toBe('GIT_BAD_FOLDER');
      expect(e.message).toContain(`leaves the repository ('..')`);
      expect(await imageCount(store)).toBe(0);
    });
  }

  it('takes it as a local directory when the literal path exists, as Docker stats it', async () => {
    const cwd = tempRoot();
    contextOf({ Dockerfile: 'FROM scratch\nCOPY marker /\n', marker: 'x' }, join(cwd, 'target'));
    // The kernel resolves each '..' after the component before it exists.
    mkdirSync(join(cwd, 'https:/example.com/org/repo.git#v1:x'), { recursive: true });
    const store = tempRoot();
    const built = await buildIn(store, { context: https, cwd });
    expect(readFileSync(join(await flatten(store, built.id), 'marker'), 'utf8')).toBe('x');
  });
});

describe('a symlinked Dockerfile or .dockerignore resolves inside the context', () => {
  const SECRET = 'FROM scratch\nLABEL host-secret-7f3a=1\n';
  let host: string;
  beforeAll(() => {
    host = join(tempRoot(), 'host-file');
    writeFileSync(host, SECRET);
  });

  /** A context whose Dockerfile is `link`. */
  function linkedDockerfile(link: string, files: Record<string, string> = {}): string {
    const ctx = contextOf({ marker: 'x', ...files });
    symlinkSync(link, join(ctx, 'Dockerfile'));
    return ctx;
  }

  it('does not read a Dockerfile that links to a host file (Docker: not found)', async () => {
    const ctx = linkedDockerfile(host);
    const r = await run(['build', ctx]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: Dockerfile not found: ${ctx}/Dockerfile is a symlink to ${JSON.stringify(host)}, ` +
        `which resolves to nothing inside ${ctx} (symlinks resolve inside the Dockerfile's directory)\n`,
    );
    expect(r.stdout + r.stderr).not.toContain('host-secret');
  });

  it('never echoes a byte of /etc/shadow', async () => {
    const ctx = linkedDockerfile('/etc/shadow');
    const r = await run(['build', ctx]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: Dockerfile not found: ${ctx}/Dockerfile is a symlink to "/etc/shadow", ` +
        `which resolves to nothing inside ${ctx} (symlinks resolve inside the Dockerfile's directory)\n`,
    );
  });

  it('follows a link that stays inside the context, an absolute one from the root', async () => {
    const ctx = linkedDockerfile('/sub/real.df', {
      'sub/real.df': 'FROM scratch\nCOPY marker /\n',
    });
    expect((await run(['build', '-q', ctx])).code).toBe(0);
  });

  it('confines -f to its own directory when it names a link, as Docker does', async () => {
    const ctx = linkedDockerfile(host);
    const viaF = await run(['build', '-f', join(ctx, 'Dockerfile'), ctx]);
    expect(viaF.code).toBe(1);
    expect(viaF.stderr).toMatch(/^error: Dockerfile not found: /);
    expect(viaF.stderr).not.toContain('host-secret');
    // `-f` at a file outside the context is the user's choice, and is read.
    const outside = join(tempRoot(), 'outside.Dockerfile');
    writeFileSync(outside, 'FROM scratch\nCOPY marker /\n');
    expect((await run(['build', '-q', '-f', outside, ctx])).code).toBe(0);
  });

  it('applies no .dockerignore that links to a host file (Docker 20.10 copies `secret`)', async () => {
    const ignore = join(tempRoot(), 'ignore-list');
    writeFileSync(ignore, 'secret\n');
    const ctx = contextOf({ Dockerfile: 'FROM scratch\nCOPY . /ctx/\n', secret: 's' });
    symlinkSync(ignore, join(ctx, '.dockerignore'));
    const built = await buildIn(root, { context: ctx });
    expect(readdirSync(join(await flatten(root, built.id), 'ctx')).sort()).toEqual([
      '.dockerignore',
      'Dockerfile',
      'secret',
    ]);
  });

  it('follows a .dockerignore link inside the context (Docker 20.10 excludes `secret`)', async () => {
    const ctx = contextOf({
      Dockerfile: 'FROM scratch\nCOPY . /ctx/\n',
      secret: 's',
      'lists/ignore': 'secret\n',
    });
    symlinkSync('lists/ignore', join(ctx, '.dockerignore'));
    const built = await buildIn(root, { context: ctx });
    expect(readdirSync(join(await flatten(root, built.id), 'ctx')).sort()).toEqual([
      '.dockerignore',
      'Dockerfile',
      'lists',
    ]);
  });

  it('never reads Dockerfile.dockerignore through a link to the host', async () => {
    const ignore = join(tempRoot(), 'bad-patterns');
    writeFileSync(ignore, '[host-pattern-9c1\n');
    const ctx = contextOf({ Dockerfile: 'FROM scratch\nCOPY . /ctx/\n' });
    symlinkSync(ignore, join(ctx, 'Dockerfile.dockerignore'));
    const r = await run(['build', '-q', ctx]);
    expect(r.stderr).not.toContain('host-pattern');
    expect(r.code).toBe(0);
  });
});

describe('COPY --chown takes one uid/gid range, 0-2147483647', () => {
  for (const value of ['4294967296', '-1', '4294967295', '2147483648', '1:4294967295']) {
    it(`refuses --chown=${value} at the flag`, async () => {
      const ctx = contextOf({ Dockerfile: `FROM scratch\nCOPY --chown=${value} f /f\n`, f: 'x' });
      const r = await run(['build', ctx]);
      expect(r.code).toBe(1);
      // BuildKit's plain progress comes first; the error is its own line after it.
      expect(r.stderr.split('\n').find((l) => l.startsWith('error:'))).toBe(
        `error: Dockerfile:2:6: --chown=${value}: uids and gids must be in range 0-2147483647`,
      );
    });
  }

  it('gives the largest one, 2147483647, to the file', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM scratch\nCOPY --chown=2147483647:7 f /f\n', f: 'x' });
    const built = await buildIn(root, { context: ctx });
    const st = lstatSync(join(await flatten(root, built.id), 'f'));
    expect([st.uid, st.gid]).toEqual([2147483647, 7]);
  });
});

type Entry = {
  name: string;
  body?: string | Buffer;
  type?: 'file' | 'symlink' | 'link' | 'directory';
  linkname?: string;
};

const file = (name: string, body = 'x'): Entry => ({ name, body });

async function tarBytes(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = {
      name: e.name,
      type,
      linkname: e.linkname,
      mode: type === 'directory' ? 0o755 : 0o644,
      mtime: new Date(0),
    };
    if (type === 'file') pack.entry(header, e.body ?? '');
    else pack.entry(header);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

describe('no entry with a name OCI reserves for whiteouts gets into a layer', () => {
  it('refuses ADD of an archive holding .wh.bin, naming it', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nADD arch.tar /t/\n' });
    writeFileSync(join(ctx, 'arch.tar'), await tarBytes([file('.wh.bin'), file('keep')]));
    const r = await run(['build', ctx]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'Dockerfile:2:1: "/t/.wh.bin": a name starting with ".wh." cannot be put in a layer (OCI reserves it for whiteouts)',
    );
  });

  it('refuses COPY of a context file named .wh.x', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM scratch\nCOPY .wh.x /c/\n', '.wh.x': 'z' });
    const e = await rejected(buildIn(root, { context: ctx }));
    expect(e.code).toBe('LAYER_RESERVED_NAME');
    expect(e.message).toBe(
      'Dockerfile:2:1: "/c/.wh.x": a name starting with ".wh." cannot be put in a layer (OCI reserves it for whiteouts)',
    );
  });

  it('refuses a RUN that leaves a file or a directory named .wh.*', async () => {
    for (const [cmd, name] of [
      ['touch /.wh.r', '/.wh.r'],
      ['mkdir -p /d/.wh..wh..opq', '/d/.wh..wh..opq'],
    ]) {
      const ctx = contextOf({ Dockerfile: `FROM busybox\nRUN ${cmd}\n` });
      const e = await rejected(buildIn(root, { context: ctx }));
      expect(e.code).toBe('LAYER_RESERVED_NAME');
      expect(e.message).toContain(`"${name}": a name starting with ".wh."`);
    }
  });
});

/** Every file under the store with its content hash: what "unchanged" means. */
function storeSnapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(dir, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** A docker-archive of one image `i13:1` whose layers (in order) hold `layers`. */
async function dockerArchive(layers: Entry[][]): Promise<string> {
  const blobs = await Promise.all(layers.map(tarBytes));
  const cfg = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: blobs.map((b) => sha256(b)) },
  });
  const cfgName = `${sha256(cfg).slice(7)}.json`;
  const names = blobs.map((_, i) => `l${i}/layer.tar`);
  const file = join(tempRoot(), 'image.tar');
  writeFileSync(
    file,
    await tarBytes([
      ...blobs.map((b, i) => ({ name: names[i]!, body: b })),
      { name: cfgName, body: cfg },
      {
        name: 'manifest.json',
        body: JSON.stringify([{ Config: cfgName, RepoTags: ['i13:1'], Layers: names }]),
      },
    ]),
  );
  return file;
}

describe('load and import refuse layers whose entries leave the root', () => {
  let store: string;
  let before: Record<string, string>;
  beforeAll(async () => {
    store = tempRoot();
    const good = await dockerArchive([[{ name: 'hello', body: 'world' }]]);
    expect((await cli(['load', '--root', store, '-i', good])).code).toBe(0);
    before = storeSnapshot(store);
  });

  /** `argv` fails with exactly `message` on one line, and the store is as it was. */
  async function refused(argv: string[], message: string) {
    const r = await cli([...argv, '--root', store]);
    expect(r.stderr).toBe(`error: ${message}\n`);
    expect(r.code).toBe(1);
    expect(storeSnapshot(store)).toEqual(before);
  }

  const cases: [string, Entry[][], string, string][] = [
    [
      'a name that climbs out',
      [[file('a'), file('../escape')]],
      'l0',
      '"../escape": ".." in the name',
    ],
    ['an absolute name', [[file('/abs/file')]], 'l0', '"/abs/file": an absolute name'],
    [
      'a file under a symlink of the same layer',
      [[{ name: 'link', type: 'symlink', linkname: '/etc' }, file('link/passwd')]],
      'l0',
      '"link/passwd": under the symlink "link"',
    ],
    [
      'a file under a symlink of an earlier layer',
      [[{ name: 'lib', type: 'symlink', linkname: 'usr/lib' }], [file('lib/libc.so')]],
      'l1',
      '"lib/libc.so": under the symlink "lib" (from an earlier layer)',
    ],
    [
      'a hardlink to a host file',
      [[{ name: 'pw', type: 'link', linkname: '/etc/passwd' }]],
      'l0',
      '"pw": hardlink target "/etc/passwd": an absolute name',
    ],
    [
      'a hardlink to a name not earlier in the layer',
      [[file('etc/passwd')], [{ name: 'pw', type: 'link', linkname: 'etc/passwd' }]],
      'l1',
      '"pw": hardlink target "etc/passwd" is not earlier in this layer',
    ],
  ];
  for (const [what, layers, layer, why] of cases) {
    it(`load: ${what}`, async () => {
      const archive = await dockerArchive(layers);
      await refused(['load', '-i', archive], `${archive}: ${layer}/layer.tar: layer entry ${why}`);
    });
  }

  it('import: a name that climbs out, a hardlink out, a file under a symlink', async () => {
    for (const [entries, why] of [
      [[file('../../x')], '"../../x": ".." in the name'],
      [
        [{ name: 'h', type: 'link', linkname: '../etc/passwd' } as Entry],
        '"h": hardlink target "../etc/passwd": ".." in the name',
      ],
      [
        [{ name: 's', type: 'symlink', linkname: '/' } as Entry, file('s/x')],
        '"s/x": under the symlink "s"',
      ],
    ] as const) {
      const rootfs = join(tempRoot(), 'rootfs.tar');
      writeFileSync(rootfs, await tarBytes([...entries]));
      await refused(['import', rootfs, 'i13:imp'], `${rootfs}: layer entry ${why}`);
    }
  });

  it("load: an OCI layout whose second layer writes under the first one's symlink", async () => {
    const blobs = [
      await tarBytes([{ name: 'etc', type: 'symlink', linkname: '/host-etc' }]),
      await tarBytes([file('etc/cron.d/job')]),
    ];
    const cfg = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: blobs.map((b) => sha256(b)) },
    });
    const desc = (mediaType: string, data: string | Buffer) => ({
      mediaType,
      digest: sha256(data),
      size: Buffer.byteLength(data),
    });
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: desc('application/vnd.oci.image.config.v1+json', cfg),
      layers: blobs.map((b) => desc('application/vnd.oci.image.layer.v1.tar', b)),
    });
    const blob = (data: string | Buffer): Entry => ({
      name: `blobs/sha256/${sha256(data).slice(7)}`,
      body: data,
    });
    const layout = join(tempRoot(), 'oci.tar');
    writeFileSync(
      layout,
      await tarBytes([
        { name: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}' },
        ...blobs.map(blob),
        blob(cfg),
        blob(manifest),
        {
          name: 'index.json',
          body: JSON.stringify({
            schemaVersion: 2,
            manifests: [desc('application/vnd.oci.image.manifest.v1+json', manifest)],
          }),
        },
      ]),
    );
    const second = `blobs/sha256/${sha256(blobs[1]!).slice(7)}`;
    await refused(
      ['load', '-i', layout],
      `${layout}: ${second}: layer entry "etc/cron.d/job": under the symlink "etc" (from an earlier layer)`,
    );
  });

  it('still loads what real layers hold: links, a symlink replaced by a directory, whiteouts', async () => {
    const archive = await dockerArchive([
      [
        { name: 'usr/', type: 'directory' },
        file('usr/a'),
        { name: 'usr/b', type: 'link', linkname: 'usr/a' },
        { name: 'lib', type: 'symlink', linkname: 'usr' },
        { name: 'old', type: 'symlink', linkname: '/' },
      ],
      [
        { name: 'lib/', type: 'directory' },
        file('lib/x'),
        file('.wh.old'),
        { name: 'old/', type: 'directory' },
        file('old/y'),
      ],
    ]);
    const fresh = tempRoot();
    const r = await cli(['load', '--root', fresh, '-i', archive]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('Loaded image: i13:1\n');
  });
});
