/**
 * The seeds' container lessons through the CLI, on real `tsbuild run`
 * containers under every runtime, beside the Docker engine the tests start:
 * `diff` lists what `docker diff` lists; run, change a file, `commit -m -a`,
 * `history` shows the comment and the image runs with the change; `export`
 * then `import` then `run`; `rmi` refuses an image a container uses (Docker's
 * words) and `-f` takes the tag while the container keeps working;
 * `container prune` removes stopped containers, `prune` never does.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar } from '../helpers/busybox.js';
import { cli } from '../helpers/cli.js';
import { docker, dockerOk } from '../helpers/docker.js';
import { tempRoot } from '../helpers/tmp.js';
import { storeWithBusybox } from '../build/harness.js';

const RUN_ID = randomBytes(6).toString('hex');
const BASE = `tsbuild-commit-busybox:${RUN_ID}`;
/** Docker's containers of this file, so `docker container prune` touches no other test's. */
const LABEL = `tsbuild-test=${RUN_ID}`;

/** Adds, changes and deletes files and directories; replaces one (an opaque dir). */
const SCRIPT = [
  'set -e',
  'echo hi > /new',
  'echo x >> /etc/passwd',
  'rm /etc/group',
  'mkdir -p /a/b && echo 1 > /a/b/f',
  'rm -rf /home && mkdir -p /home/app && touch /home/new',
  'mkdir /tmp/o',
  'rm /bin/vi',
  'ln -s /new /lnk',
  'mkdir /x && echo y > /x/y && rm -rf /x',
].join('\n');

let root: string;

beforeAll(async () => {
  root = await storeWithBusybox();
  await dockerOk(['import', await busyboxRootfsTar(), BASE]);
}, 120_000);

/** `tsbuild ARGS` on `store`, `--root` after the (sub)command. */
const on = (store: string, args: string[], opts: Parameters<typeof cli>[1] = {}) => {
  const at = args[0] === 'container' ? 2 : 1;
  return cli([...args.slice(0, at), '--root', store, ...args.slice(at)], opts);
};
const ts = (args: string[], opts: Parameters<typeof cli>[1] = {}) => on(root, args, opts);
const ok = async (args: string[], opts: Parameters<typeof cli>[1] = {}) => {
  const r = await ts(args, opts);
  if (r.code !== 0) throw new Error(`tsbuild ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r;
};
const lines = (s: string) => s.split('\n').filter((l) => l !== '');

describe.each(['runc', 'crun', 'builtin'] as const)('containers under %s', (runtime) => {
  const name = (what: string) => `${what}-${runtime}-${RUN_ID}`;
  const tsrun = (args: string[]) => ts(['run', '--runtime', runtime, '--network', 'none', ...args]);

  it('diff lists what docker diff lists for the same changes, a directory before its contents', async () => {
    const d = name('diff');
    await dockerOk([
      'run',
      '--name',
      d,
      '--label',
      LABEL,
      '--network',
      'none',
      BASE,
      'sh',
      '-c',
      SCRIPT,
    ]);
    const want = lines((await dockerOk(['diff', d])).stdout);
    expect((await tsrun(['--name', d, 'busybox', 'sh', '-c', SCRIPT])).code).toBe(0);
    const got = lines((await ok(['diff', d])).stdout);
    // Docker's order changes from run to run (Go map order); the set of lines does not.
    expect([...got].sort()).toEqual([...want].sort());
    expect(want).toContain('C /etc');
    expect(got).toEqual([
      'A /a',
      'A /a/b',
      'A /a/b/f',
      'C /bin',
      'D /bin/vi',
      'C /etc',
      'C /etc/passwd',
      'D /etc/group',
      'C /home',
      'C /home/app',
      'A /home/new',
      'A /lnk',
      'A /new',
      'C /tmp',
      'A /tmp/o',
    ]);
    expect((await ok(['container', 'diff', d])).stdout).toBe(`${got.join('\n')}\n`);
  });

  it("the seeds' commit lesson: commit -m -a, history shows the comment, the image runs with the change", async () => {
    const c = name('thrift');
    const image = `sam/thriftdev:${runtime}-${RUN_ID}`;
    const cmd = ['sh', '-c', 'mkdir /thrift && echo 0.9.1 > /thrift/README'];
    expect((await tsrun(['--name', c, 'busybox', ...cmd])).code).toBe(0);
    const made = await ok([
      'container',
      'commit',
      '-m',
      'Thrift dev',
      '-a',
      'Sam Thrift',
      c,
      image,
    ]);
    expect(made.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    const fmt = ['--no-trunc', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Comment}}'];
    const [top] = lines((await ok(['history', ...fmt, image])).stdout);
    expect(top).toBe(
      `${made.stdout.trim()}|sh -c mkdir /thrift && echo 0.9.1 > /thrift/README|Thrift dev`,
    );
    const author = await ok(['inspect', '-f', '{{.Author}}|{{.Comment}}', image]);
    expect(author.stdout).toBe('Sam Thrift|Thrift dev\n');
    const ran = await tsrun(['--rm', image, 'cat', '/thrift/README']);
    expect(ran).toMatchObject({ code: 0, stdout: '0.9.1\n' });

    // Docker, the same steps: the same history line and author.
    const dc = name('thrift-docker');
    await dockerOk(['run', '--name', dc, '--label', LABEL, '--network', 'none', BASE, ...cmd]);
    await dockerOk(['commit', '-m', 'Thrift dev', '-a', 'Sam Thrift', dc, image]);
    const dfmt = ['--format', '{{.CreatedBy}}|{{.Comment}}', '--no-trunc'];
    const [dtop] = lines((await dockerOk(['history', ...dfmt, image])).stdout);
    expect(top!.slice(top!.indexOf('|') + 1)).toBe(dtop);
    expect(
      (await dockerOk(['image', 'inspect', '-f', '{{.Author}}|{{.Comment}}', image])).stdout,
    ).toBe(author.stdout);
  });

  it("the seeds' export/import lesson: export -o, import, run; and export | import -", async () => {
    const c = name('export');
    expect(
      (await tsrun(['--name', c, 'busybox', 'sh', '-c', 'echo kept > /etc/motd; rm /bin/vi'])).code,
    ).toBe(0);
    const file = join(tempRoot(), 'se.tar');
    expect((await ok(['container', 'export', '-o', file, c])).stdout).toBe('');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const image = `newbase:first_cut-${runtime}`;
    expect((await ok(['import', file, image])).stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    const h = await ok(['history', '--format', '{{.Comment}}', image]);
    expect(h.stdout).toBe('Imported from -\n');
    const ran = await tsrun(['--rm', image, 'sh', '-c', 'cat /etc/motd; ls /bin/vi || echo gone']);
    expect(ran.stdout).toBe('kept\ngone\n');

    const piped = await ok(['export', c]);
    expect(piped.raw.equals(readFileSync(file))).toBe(true);
    const imported = await ok(['import', '-c', 'CMD ["cat", "/etc/motd"]', '-', `${image}-piped`], {
      stdin: piped.raw,
    });
    expect(imported.stdout).toMatch(/^sha256:/);
    expect(await tsrun(['--rm', `${image}-piped`])).toMatchObject({ code: 0, stdout: 'kept\n' });
  });
});

describe('commit, beside docker commit', () => {
  const DOCKERFILE = [
    'ENV A=1 B=2',
    'LABEL l1=v1',
    'EXPOSE 80/tcp',
    'WORKDIR /w',
    'USER app',
    'STOPSIGNAL SIGUSR1',
    'ONBUILD RUN echo hi',
    'SHELL ["/bin/sh", "-xc"]',
    'HEALTHCHECK CMD true',
    'ENTRYPOINT ["/bin/echo"]',
    'CMD ["x"]',
  ];

  it('keeps the container Config as it ran, with -c changes, as Docker 20.10 does', async () => {
    const { buildIn, contextOf } = await import('../build/harness.js');
    const ctx = contextOf({
      Dockerfile: ['ARG BASE=busybox', 'FROM $BASE', ...DOCKERFILE, ''].join('\n'),
    });
    const full = `commit-full:${RUN_ID}`;
    await buildIn(root, { context: ctx, tags: [full], network: 'none' });
    await dockerOk(
      ['build', '--network=none', '-q', '-t', full, '--build-arg', `BASE=${BASE}`, ctx],
      {
        env: { DOCKER_BUILDKIT: '1' },
      },
    );
    const c = `full-${RUN_ID}`;
    // No --label here: a container's labels are part of the Config that commit keeps.
    await dockerOk(['run', '--name', c, '--network', 'none', '-e', 'C=3', full, 'y', 'z']);
    expect(
      (await ts(['run', '--network', 'none', '--name', c, '-e', 'C=3', full, 'y', 'z'])).code,
    ).toBe(0);
    for (const changes of [
      [],
      ['CMD a b', 'ENV Q=$A', 'EXPOSE 90/udp', 'VOLUME /v', 'WORKDIR rel'],
      ['ENTRYPOINT ["/bin/sh"]', 'LABEL l2=v2', 'USER nobody', 'ONBUILD RUN x'],
    ]) {
      const flags = changes.flatMap((x) => ['-c', x]);
      const tag = `committed:${RUN_ID}`;
      await dockerOk(['commit', ...flags, c, tag]);
      await ok(['commit', ...flags, c, tag]);
      // The whole inspect JSON: a template's {{json .Config}} is the docker CLI's Go struct.
      const view = (out: string) => {
        const [i] = JSON.parse(out) as { Config: object; ContainerConfig: object }[];
        const short = /"Hostname":"[0-9a-f]{12}"/g;
        return JSON.parse(
          JSON.stringify([i!.Config, i!.ContainerConfig]).replaceAll(short, '"Hostname":"<id>"'),
        ) as unknown;
      };
      const want = view((await dockerOk(['image', 'inspect', tag])).stdout);
      expect(view((await ok(['inspect', tag])).stdout)).toEqual(want);
    }
  });
});

describe('rmi of an image a container uses, beside docker', () => {
  it("refuses with Docker's words; -f takes the tag and the image, the container keeps working", async () => {
    const image = `inuse:${RUN_ID}`;
    const c = `inuse-${RUN_ID}`;
    // An image of its own in each engine (import makes a new one each time):
    // Docker refuses only to remove an image's last reference.
    await ok(['import', await busyboxRootfsTar(), image]);
    await dockerOk(['import', await busyboxRootfsTar(), image]);
    await ok(['run', '--network', 'none', '--name', c, image, 'sh', '-c', 'echo a > /a']);
    await dockerOk([
      'run',
      '--name',
      c,
      '--label',
      LABEL,
      '--network',
      'none',
      image,
      'sh',
      '-c',
      'echo a > /a',
    ]);
    const ids = async (
      engine: (a: string[]) => Promise<{ stdout: string }>,
      inspect: string[],
    ) => ({
      container: (await engine(['container', 'inspect', '-f', '{{.Id}}', c])).stdout
        .trim()
        .slice(0, 12),
      image: (await engine([...inspect, '-f', '{{.Id}}', image])).stdout.trim().slice(7, 19),
    });
    const ours = await ids(ok, ['inspect']);
    const theirs = await ids(dockerOk, ['image', 'inspect']);
    const mask = (s: string, x: { container: string; image: string }) =>
      s
        .replaceAll(/sha256:[0-9a-f]{64}/g, 'sha256:<id>')
        .replaceAll(x.container, '<container>')
        .replaceAll(x.image, '<image>')
        .replace('Error response from daemon: ', 'Error: ');
    for (const [ref, dref] of [
      [image, image],
      [ours.image, theirs.image],
    ]) {
      const got = await ts(['rmi', ref!]);
      const want = await docker(['rmi', dref!]);
      expect([got.code, want.code]).toEqual([1, 1]);
      expect(mask(got.stderr, ours)).toBe(mask(want.stderr, theirs));
      expect(mask(got.stderr, ours)).toMatch(/^Error: conflict: unable to /);
    }
    const forced = await ok(['rmi', '-f', image]);
    const dforced = await dockerOk(['rmi', '-f', image]);
    expect(mask(forced.stdout, ours)).toBe(mask(dforced.stdout, theirs));
    expect(mask(forced.stdout, ours)).toBe(`Untagged: ${image}\nDeleted: sha256:<id>\n`);
    // The container still has all it runs on: diff, commit and export work; `prune` keeps it.
    await ok(['prune', '--all']);
    expect((await ok(['diff', c])).stdout).toBe('A /a\n');
    await ok(['commit', c, `rescued:${RUN_ID}`]);
    const ran = await ts(['run', '--rm', '--network', 'none', `rescued:${RUN_ID}`, 'cat', '/a']);
    expect(ran).toMatchObject({ code: 0, stdout: 'a\n' });
  });
});

describe('container prune, beside docker container prune', () => {
  it("removes stopped containers with Docker's output; prune keeps every container", async () => {
    const own = await storeWithBusybox();
    const t = (args: string[], opts: Parameters<typeof cli>[1] = {}) => on(own, args, opts);
    const label = `tsbuild-test-prune=${RUN_ID}`;
    const c = `pruned-${RUN_ID}`;
    const cmd = ['sh', '-c', 'echo hello > /f'];
    await t(['run', '--network', 'none', '--name', c, 'busybox', ...cmd]);
    await t(['run', '--network', 'none', '--rm', 'busybox', 'true']);
    const id = (await t(['container', 'inspect', '-f', '{{.Id}}', c])).stdout.trim();
    await t(['prune', '--all']);
    expect((await t(['ps', '-a', '--no-trunc', '-q'])).stdout).toBe(`${id}\n`);

    const declined = await t(['container', 'prune'], { stdin: 'n\n' });
    expect(declined.stdout).toBe(
      'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] Total reclaimed space: 0B\n',
    );
    expect((await t(['ps', '-a', '--no-trunc', '-q'])).stdout).toBe(`${id}\n`);

    await dockerOk(['run', '--name', c, '--label', label, '--network', 'none', BASE, ...cmd]);
    const did = (await dockerOk(['container', 'inspect', '-f', '{{.Id}}', c])).stdout.trim();
    const got = await t(['container', 'prune'], { stdin: 'y\n' });
    const want = await dockerOk(['container', 'prune', '--filter', `label=${label}`], {
      input: 'y\n',
    });
    expect(got.stdout.replace(id, '<id>')).toBe(want.stdout.replace(did, '<id>'));
    expect(got.stdout).toContain(`Deleted Containers:\n${id}\n\nTotal reclaimed space: 6B\n`);
    expect((await t(['ps', '-a', '-q'])).stdout).toBe('');
    expect((await t(['container', 'prune', '-f'])).stdout).toBe('Total reclaimed space: 0B\n');
  });
});
