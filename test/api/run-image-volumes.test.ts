/**
 * An image's VOLUMEs under `tsbuild run`: each gets an anonymous volume, filled
 * from the image, as `docker run` gives it. Every expectation here was checked
 * against Docker 20.10.24 on the same images (built by tsbuild, `tsbuild save |
 * docker load`ed): the Mounts entry, the copied-up modes and owners, writes
 * kept out of the container's layer (and so out of `commit`), `--rm` and
 * `rm -v` removing the volume and `rm` keeping it, an explicit `-v` on the
 * same path replacing it, and a VOLUME over a file refused.
 *
 * The hostile image's VOLUMEs are symlinks to /etc (absolute and through
 * `..`) and a path climbing out with `..`: Docker resolves them inside the
 * rootfs, copying the image's /etc into the volumes and mounting them on the
 * container's /etc; tsbuild must do the same and never read or write the
 * host's /etc.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';
import { buildIn, contextOf, storeWithBusybox } from '../build/harness.js';

/** A name no host has in its /etc, for the hostile image to aim at. */
const HOSTILE = `tsbuild-anonvol-${randomBytes(6).toString('hex')}`;

const IMAGES = {
  'seed:1': [
    'FROM busybox',
    'RUN mkdir -p /data/sub && echo seeded > /data/seed && chmod 640 /data/seed && ' +
      'chown 12:34 /data/seed && ln -s seed /data/link && chmod 2750 /data/sub && echo deep > /data/sub/f',
    'VOLUME /data',
  ],
  'hostile:1': [
    'FROM busybox',
    'RUN ln -s /etc /data && ln -s ../../../../../../etc /up',
    `VOLUME ["/data", "/up", "/x/../../../../../${HOSTILE}"]`,
  ],
  'file:1': ['FROM busybox', 'RUN echo hi > /f', 'VOLUME /f'],
};

let root: string;

beforeAll(async () => {
  root = await storeWithBusybox();
  for (const [tag, lines] of Object.entries(IMAGES))
    await buildIn(root, {
      context: contextOf({ Dockerfile: `${lines.join('\n')}\n` }),
      tags: [tag],
      network: 'none',
    });
}, 120_000);

/** The volumes in the store, by name. */
function volumes(): string[] {
  const dir = join(root, 'volumes');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

interface Mount {
  Type: string;
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

async function mountsOf(name: string): Promise<Mount[]> {
  const r = await cli(['container', 'inspect', '--root', root, '-f', '{{json .Mounts}}', name]);
  expect([r.code, r.stderr]).toEqual([0, '']);
  return JSON.parse(r.stdout) as Mount[];
}

describe.each(['runc', 'crun', 'builtin'] as const)("an image's VOLUME under %s", (runtime) => {
  const tsrun = (args: string[]) =>
    cli(['run', '--root', root, '--runtime', runtime, '--network', 'none', ...args]);
  const tsb = (args: string[]) => cli([...args.slice(0, 1), '--root', root, ...args.slice(1)]);

  it('gets an anonymous volume filled from the image; writes to it stay out of the container', async () => {
    const name = `seeded-${runtime}`;
    const before = volumes();
    const r = await tsrun([
      '--name',
      name,
      'seed:1',
      'sh',
      '-c',
      'cat /data/seed /data/link; stat -c "%a %u %g" /data/seed /data/sub; echo new > /data/new; echo up > /rootnew',
    ]);
    expect([r.code, r.stderr, r.stdout]).toEqual([0, '', 'seeded\nseeded\n640 12 34\n2750 0 0\n']);

    // Docker 20.10's Mounts entry for it, but for the name and the volumes dir.
    const mounts = await mountsOf(name);
    expect(mounts).toHaveLength(1);
    const vol = mounts[0]!.Name!;
    expect(vol).toMatch(/^[0-9a-f]{64}$/);
    expect(mounts[0]).toEqual({
      Type: 'volume',
      Name: vol,
      Source: join(root, 'volumes', vol, '_data'),
      Destination: '/data',
      Driver: 'local',
      Mode: '',
      RW: true,
      Propagation: '',
    });
    expect(volumes()).toEqual([...before, vol].sort());

    // The copy-up kept contents, modes, owners and the symlink as a symlink.
    const data = join(root, 'volumes', vol, '_data');
    expect(readFileSync(join(data, 'seed'), 'utf8')).toBe('seeded\n');
    const seed = lstatSync(join(data, 'seed'));
    expect([seed.mode & 0o7777, seed.uid, seed.gid]).toEqual([0o640, 12, 34]);
    expect(lstatSync(join(data, 'sub')).mode & 0o7777).toBe(0o2750);
    expect(readFileSync(join(data, 'sub', 'f'), 'utf8')).toBe('deep\n');
    expect(readlinkSync(join(data, 'link'))).toBe('seed');
    expect(readFileSync(join(data, 'new'), 'utf8')).toBe('new\n');

    // The write went to the volume: not in the container's layer, so not in diff or commit.
    expect((await tsb(['diff', name])).stdout).toBe('A /rootnew\n');
    const committed = `seed-committed-${runtime}`;
    expect((await tsb(['commit', name, committed])).code).toBe(0);
    const again = await tsrun(['--rm', committed, 'sh', '-c', 'ls /data; cat /rootnew']);
    expect(again.stdout).toBe('link\nseed\nsub\nup\n');
    expect(volumes()).toEqual([...before, vol].sort());

    // rm keeps the volume, as docker rm without -v.
    expect((await tsb(['rm', name])).code).toBe(0);
    expect(volumes()).toContain(vol);
  });

  it('--rm removes it, rm -v removes it, an explicit -v or --mount on the path replaces it', async () => {
    const before = volumes();
    const rm = await tsrun(['--rm', 'seed:1', 'sh', '-c', 'echo x > /data/x; cat /data/seed']);
    expect([rm.code, rm.stdout]).toEqual([0, 'seeded\n']);
    expect(volumes()).toEqual(before);

    const name = `rmv-${runtime}`;
    expect((await tsrun(['--name', name, 'seed:1', 'true'])).code).toBe(0);
    const [mount] = await mountsOf(name);
    expect(volumes()).toContain(mount!.Name);
    expect((await tsb(['rm', '-v', name])).code).toBe(0);
    expect(volumes()).toEqual(before);

    const named = `named-${runtime}`;
    const host = tempRoot('tsbuild-anonvol-host-');
    const cases: [string[], Partial<Mount>][] = [
      [['-v', `${named}:/data`], { Type: 'volume', Name: named, Destination: '/data' }],
      [['-v', `${host}:/data`], { Type: 'bind', Source: host, Destination: '/data' }],
      [['--mount', 'type=tmpfs,dst=/data'], { Type: 'tmpfs', Destination: '/data' }],
      // Docker cleans the paths it compares: /data/ covers VOLUME /data.
      [['-v', '/data/'], { Type: 'volume', Destination: '/data' }],
    ];
    for (const [flags, expected] of cases) {
      const c = `explicit-${runtime}`;
      expect((await tsrun(['--name', c, ...flags, 'seed:1', 'true'])).code).toBe(0);
      const mounts = await mountsOf(c);
      expect(mounts).toHaveLength(1);
      expect(mounts[0]).toMatchObject(expected);
      // Docker 20.10 keeps `-v /path` in Config.Volumes only: HostConfig.Binds has the rest.
      const binds = await cli([
        'container',
        'inspect',
        '--root',
        root,
        '-f',
        '{{json .HostConfig.Binds}}',
        c,
      ]);
      const bind = flags[0] === '-v' && flags[1]!.includes(':') ? [flags[1]] : null;
      expect(binds.stdout).toBe(`${JSON.stringify(bind)}\n`);
      expect((await tsb(['rm', '-v', c])).code).toBe(0);
    }
    expect(volumes()).toEqual([...before, named].sort());
  });

  it('start mounts the same volume again, filled once: what the container did to it stays', async () => {
    const name = `restart-${runtime}`;
    const script = 'cat /data/x 2>/dev/null; echo again >> /data/x; ls /data; rm -f /data/seed';
    const first = await tsrun(['--name', name, 'seed:1', 'sh', '-c', script]);
    expect([first.code, first.stderr, first.stdout]).toEqual([0, '', 'link\nseed\nsub\nx\n']);
    const [before] = await mountsOf(name);
    const again = await tsb(['start', '-a', name]);
    // Not filled again from the image: seed stays removed, x keeps the first run's line.
    expect([again.code, again.stderr, again.stdout]).toEqual([0, '', 'again\nlink\nsub\nx\n']);
    expect(await mountsOf(name)).toEqual([before]);
    expect((await tsb(['rm', '-v', name])).code).toBe(0);
    expect(volumes()).not.toContain(before!.Name);
  });

  it('is mounted before a deeper -v, which then shows inside it', async () => {
    const host = tempRoot('tsbuild-anonvol-host-');
    const r = await tsrun([
      '--rm',
      '-v',
      `${host}:/data/sub`,
      'seed:1',
      'sh',
      '-c',
      'ls /data; ls -A /data/sub',
    ]);
    // Docker 20.10: /data from the image, /data/sub the (empty) host dir.
    expect([r.code, r.stderr, r.stdout]).toEqual([0, '', 'link\nseed\nsub\n']);
  });

  it("a hostile image's VOLUMEs resolve inside its rootfs, never on the host", async () => {
    const name = `hostile-${runtime}`;
    const before = volumes();
    const r = await tsrun([
      '--name',
      name,
      'hostile:1',
      'sh',
      '-c',
      `echo x > /data/${HOSTILE}-w; echo y > /up/${HOSTILE}-w2; echo z > /${HOSTILE}/f; ls /etc; ls -d /${HOSTILE}`,
    ]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    // Both links lead to the container's own /etc, where /up's volume (mounted last) is.
    expect(r.stdout).toBe(`group\npasswd\n${HOSTILE}-w\n${HOSTILE}-w2\n/${HOSTILE}\n`);
    for (const f of [`/etc/${HOSTILE}-w`, `/etc/${HOSTILE}-w2`, `/${HOSTILE}`])
      expect(existsSync(f)).toBe(false);

    const mounts = await mountsOf(name);
    // Docker 20.10 shows the same three, the last cleaned to /${HOSTILE}.
    expect(mounts.map((m) => m.Destination)).toEqual(['/data', '/up', `/${HOSTILE}`]);
    const listing = (m: Mount) => readdirSync(m.Source).sort();
    // Each was filled from the image's /etc (group, passwd), not the host's.
    expect(mounts.map(listing)).toEqual([
      ['group', 'passwd'],
      ['group', 'passwd', `${HOSTILE}-w`, `${HOSTILE}-w2`],
      ['f'],
    ]);
    expect((await tsb(['rm', '-v', name])).code).toBe(0);
    expect(volumes()).toEqual(before);
  });

  it('a VOLUME over a file is refused, as Docker refuses it', async () => {
    const before = volumes();
    const r = await tsrun(['--rm', 'file:1', 'cat', '/f']);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(
      /^error: cannot mount volume over existing file, file exists \/\S+\/rootfs\/f\n$/,
    );
    expect(volumes()).toEqual(before);
  });
});

describe('Mounts beside the image volume, as Docker 20.10 shows them', () => {
  it("Mode is the -v's mode as given, z for a local volume without one, '' for the rest", async () => {
    const host = tempRoot('tsbuild-anonvol-host-');
    const name = 'modes';
    const args = [
      ...['-v', 'mv:/x', '-v', 'mv3:/x3:rw', '-v', 'mv4:/x4:nocopy', '-v', 'mv5:/x5:ro,nocopy'],
      ...['--mount', 'type=volume,src=mv2,dst=/w,ro'],
      ...['--mount', `type=bind,src=${host},dst=/z,readonly`],
      ...['-v', `${host}:/b:ro`, '-v', `${host}:/c:rw`, '-v', '/anon'],
      ...['--mount', 'type=volume,dst=/y', '--mount', 'type=tmpfs,dst=/t,readonly'],
    ];
    const r = await cli([
      'run',
      '--root',
      root,
      '--network',
      'none',
      '--name',
      name,
      ...args,
      'seed:1',
      'true',
    ]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const shown = await cli([
      'container',
      'inspect',
      '--root',
      root,
      '-f',
      '{{range .Mounts}}{{.Destination}} {{.Mode}} {{.RW}}{{"\\n"}}{{end}}',
      name,
    ]);
    // Docker 20.10.24, the same run (lines sorted: its Mounts come from a map).
    expect(shown.stdout.trimEnd().split('\n').sort()).toEqual([
      '/anon  true',
      '/b ro false',
      '/c rw true',
      '/data  true',
      '/t  false',
      '/w z false',
      '/x z true',
      '/x3 rw true',
      '/x4 nocopy true',
      '/x5 ro,nocopy false',
      '/y z true',
      '/z  false',
    ]);
    expect((await cli(['rm', '--root', root, '-v', name])).code).toBe(0);
  });

  it('an anonymous --mount volume cannot be read-only (Docker refuses it)', async () => {
    const r = await cli([
      'run',
      '--root',
      root,
      '--rm',
      '--mount',
      'type=volume,dst=/y,ro',
      'busybox',
      'true',
    ]);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      125,
      '',
      'error: invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes\n',
    ]);
  });
});
