/**
 * RUN --mount=type=bind|cache|tmpfs: real builds over busybox, each behaviour
 * asserted on the image's files, the step's output and what the cache did.
 * (Secrets: run-mount-secret.test.ts; ssh: run-mount-ssh.test.ts; the same
 * Dockerfiles against Docker 20.10: run-mount-docker.test.ts.)
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/api/build.js';
import { cacheUsage, prune } from '../../src/api/prune.js';
import { DockerfileError, TsbuildError } from '../../src/errors.js';
import { rejected } from '../helpers/caught.js';
import { cli } from '../helpers/cli.js';
import { buildIn, contextOf, flatten, storeWithBusybox } from './harness.js';

const tsbuild = (root: string, ctx: string, extra: object = {}) =>
  buildIn(root, { context: ctx, network: 'none', ...extra });

describe('RUN --mount=type=bind', () => {
  it('binds the context read-only by default, from a stage, and an image; rw writes are discarded', async () => {
    const root = await storeWithBusybox();
    const ctx = contextOf({
      'a.txt': 'from the context\n',
      'dir/b.txt': 'bee\n',
      Dockerfile: [
        'FROM busybox AS seed',
        'RUN mkdir /s && echo staged > /s/f',
        'FROM busybox',
        'RUN --mount=target=/ctx cat /ctx/a.txt > /out1 && (touch /ctx/x 2>/dev/null && echo writable || echo readonly) >> /out1',
        'RUN --mount=type=bind,from=seed,source=/s,target=/m cat /m/f > /out2',
        'RUN --mount=type=bind,from=busybox,source=/bin/busybox,target=/bb test -x /bb && echo image-file > /out3',
        'RUN --mount=type=bind,source=dir,target=/d,rw echo new > /d/new && ls /d > /out4',
        'RUN --mount=type=bind,source=a.txt,target=/etc/newfile.txt cat /etc/newfile.txt > /out5',
        'RUN --mount=from=seed,source=/s,target=/m,rw echo w > /m/new && ls /m > /out6',
        'RUN --mount=from=seed,source=/s,target=/m ls /m > /out7',
      ].join('\n'),
    });
    await tsbuild(root, ctx, { tags: ['bind:1'] });
    const fs = await flatten(root, 'bind:1');
    expect(readFileSync(join(fs, 'out1'), 'utf8')).toBe('from the context\nreadonly\n');
    expect(readFileSync(join(fs, 'out2'), 'utf8')).toBe('staged\n');
    expect(readFileSync(join(fs, 'out3'), 'utf8')).toBe('image-file\n');
    expect(readFileSync(join(fs, 'out4'), 'utf8')).toBe('b.txt\nnew\n');
    expect(readFileSync(join(fs, 'out5'), 'utf8')).toBe('from the context\n');
    // A stage bound rw takes the write; the next step's bind of it does not see it.
    expect(readFileSync(join(fs, 'out6'), 'utf8')).toBe('f\nnew\n');
    expect(readFileSync(join(fs, 'out7'), 'utf8')).toBe('f\n');
    // The rw write went nowhere: not the context, not the image.
    expect(existsSync(join(ctx, 'dir', 'new'))).toBe(false);
    expect(readdirSync(join(fs, 'd'))).toEqual([]);
    // A bind of a file onto a missing path leaves no file (BuildKit leaves none).
    expect(existsSync(join(fs, 'etc', 'newfile.txt'))).toBe(false);
    // A directory target that did not exist stays, empty, as BuildKit leaves it.
    expect(readdirSync(join(fs, 'ctx'))).toEqual([]);
  }, 120_000);

  it('keys the step on what is bound: a changed file reruns it, a touched one does not', async () => {
    const root = await storeWithBusybox();
    const ctx = contextOf({
      'src/x': 'one\n',
      other: 'unrelated\n',
      Dockerfile: 'FROM busybox\nRUN --mount=source=src,target=/src cat /src/x > /x\n',
    });
    const step = 'RUN --mount=source=src,target=/src cat /src/x > /x';
    await tsbuild(root, ctx);
    writeFileSync(join(ctx, 'other'), 'changed, but not bound\n');
    expect((await tsbuild(root, ctx)).cached[step]).toBe(true);
    writeFileSync(join(ctx, 'src', 'x'), 'two\n');
    const again = await tsbuild(root, ctx, { tags: ['k:1'], explainCache: true });
    expect(again.cached[step]).toBe(false);
    expect(again.events.find((e) => e.type === 'miss')).toMatchObject({
      explain: { reason: 'sources', message: 'the files RUN --mount binds changed' },
    });
    expect(readFileSync(join(await flatten(root, 'k:1'), 'x'), 'utf8')).toBe('two\n');
  }, 120_000);

  it('shows the context as .dockerignore leaves it, also below a source directory', async () => {
    const root = await storeWithBusybox();
    const ctx = contextOf({
      '.dockerignore': 'hidden.txt\nsub/secret\n',
      'hidden.txt': 'no\n',
      'seen.txt': 'yes\n',
      'sub/secret': 'no\n',
      'sub/kept': 'yes\n',
      Dockerfile:
        'FROM busybox\nRUN --mount=target=/c ls -A /c > /list\nRUN --mount=source=sub,target=/s,rw ls -A /s > /sub\n',
    });
    await tsbuild(root, ctx, { tags: ['ign:1'] });
    const fs = await flatten(root, 'ign:1');
    expect(readFileSync(join(fs, 'list'), 'utf8')).toBe(
      '.dockerignore\nDockerfile\nseen.txt\nsub\n',
    );
    expect(readFileSync(join(fs, 'sub'), 'utf8')).toBe('kept\n');
  }, 120_000);
});

describe('RUN --mount=type=cache', () => {
  it('keeps its contents across builds and Dockerfiles with one id, never in a layer nor the key', async () => {
    const root = await storeWithBusybox();
    const a = contextOf({
      Dockerfile:
        'FROM busybox\nRUN --mount=type=cache,target=/var/cache/app echo one >> /var/cache/app/log && cat /var/cache/app/log > /seen\n',
    });
    const b = contextOf({
      Dockerfile:
        'FROM busybox\nRUN --mount=type=cache,id=/var/cache/app,target=/elsewhere echo two >> /elsewhere/log && cat /elsewhere/log > /seen\n',
    });
    await tsbuild(root, a, { tags: ['c:a'] });
    await tsbuild(root, b, { tags: ['c:b'] });
    const fs = await flatten(root, 'c:b');
    expect(readFileSync(join(fs, 'seen'), 'utf8')).toBe('one\ntwo\n');
    // The mount point stays (empty), the cache's files do not.
    expect(readdirSync(join(fs, 'elsewhere'))).toEqual([]);
    const usage = await cacheUsage({ root });
    const mounts = usage.filter((u) => u.type === 'exec.cachemount');
    expect(mounts).toHaveLength(1);
    expect(mounts[0]!.description).toBe('/var/cache/app');
    expect(mounts[0]!.size).toBeGreaterThan(0);
    // Not part of the key: the same step hits although the cache changed since.
    const again = await tsbuild(root, a);
    expect(Object.values(again.cached)).toEqual([true]);
  }, 120_000);

  it('honours uid, gid, mode, from/source seeding and readonly', async () => {
    const root = await storeWithBusybox();
    const ctx = contextOf({
      Dockerfile: [
        'FROM busybox AS seed',
        'RUN mkdir -p /seed/sub && echo seeded > /seed/sub/f && chown 5:6 /seed/sub && chmod 750 /seed/sub',
        'FROM busybox',
        'RUN --mount=type=cache,target=/c2,uid=7,gid=8,mode=0700 stat -c "%u:%g %a" /c2 > /owner',
        'RUN --mount=type=cache,target=/cc,from=seed,source=/seed/sub (stat -c "%u:%g %a" /cc; cat /cc/f) > /seeded',
        'RUN --mount=type=cache,target=/ro,readonly (touch /ro/x 2>/dev/null && echo writable || echo readonly) > /ro-out',
      ].join('\n'),
    });
    await tsbuild(root, ctx, { tags: ['c:own'] });
    const fs = await flatten(root, 'c:own');
    expect(readFileSync(join(fs, 'owner'), 'utf8')).toBe('7:8 700\n');
    expect(readFileSync(join(fs, 'seeded'), 'utf8')).toBe('5:6 750\nseeded\n');
    expect(readFileSync(join(fs, 'ro-out'), 'utf8')).toBe('readonly\n');
  }, 120_000);

  it('sharing=locked: two tsbuild processes on one store never interleave their steps', async () => {
    const root = await storeWithBusybox();
    // Each step appends its start and end around a pause: locked steps never interleave.
    const locked = contextOf({
      Dockerfile:
        'FROM busybox\nARG N\nRUN --mount=type=cache,id=L,target=/l,sharing=locked echo start$N >> /l/log && sleep 1 && echo end$N >> /l/log && cp /l/log /log\n',
    });
    const vite = join(process.cwd(), 'node_modules', '.bin', 'vite-node');
    const entry = join(import.meta.dirname, '..', 'security', 'cli-child.ts');
    const codes = await Promise.all(
      ['1', '2'].map(
        (n) =>
          new Promise<number | null>((resolve) => {
            const argv = ['build', '--root', root, '--network', 'none', '--build-arg', `N=${n}`];
            const child = spawn(vite, [entry, '--', ...argv, '-t', `l:${n}`, '-q', locked], {
              stdio: 'ignore',
            });
            child.on('close', resolve);
          }),
      ),
    );
    expect(codes).toEqual([0, 0]);
    const logs = await Promise.all(
      ['l:1', 'l:2'].map(async (t) => readFileSync(join(await flatten(root, t), 'log'), 'utf8')),
    );
    const longest = logs.sort((a, b) => b.length - a.length)[0];
    expect(longest).toMatch(/^start(\d)\nend\1\nstart(\d)\nend\2\n$/);
  }, 120_000);

  it('tsbuild prune frees cache mounts; the type=exec.cachemount filter frees only them', async () => {
    const root = await storeWithBusybox();
    const ctx = contextOf({
      Dockerfile:
        'FROM busybox\nRUN --mount=type=cache,target=/c dd if=/dev/zero of=/c/blob bs=1024 count=64 2>/dev/null\n',
    });
    await tsbuild(root, ctx);
    const du = await cli(['cache', 'du', '--root', root]);
    expect(du.stdout.split('\n')[0]).toMatch(
      /^ID\s+RECLAIMABLE\s+SIZE\s+LAST ACCESSED\s+DESCRIPTION$/,
    );
    expect(du.stdout).toMatch(/\strue\s+\d+(\.\d+)?kB\s+.*cache mount \/c\n/);
    const r = await prune({ root, filters: ['type=exec.cachemount'] });
    expect(r.cacheMounts).toEqual(['/c']);
    expect(r.cache).toEqual([]);
    expect(r.reclaimed).toBeGreaterThanOrEqual(64 * 1024);
    expect((await cacheUsage({ root })).filter((u) => u.type === 'exec.cachemount')).toEqual([]);
  }, 120_000);
});

describe('RUN --mount=type=tmpfs', () => {
  it('mounts a tmpfs (size honoured) whose files go nowhere; the target directory stays', async () => {
    const root = await storeWithBusybox();
    const ctx = contextOf({
      Dockerfile:
        'FROM busybox\nRUN --mount=type=tmpfs,target=/newdir/sub,size=1m (grep " /newdir/sub " /proc/mounts | cut -d" " -f3,4; echo x > /newdir/sub/f; dd if=/dev/zero of=/newdir/sub/big bs=1024 count=2048 2>&1 | grep -o "No space left on device") > /out\n',
    });
    await tsbuild(root, ctx, { tags: ['t:1'] });
    const fs = await flatten(root, 't:1');
    const out = readFileSync(join(fs, 'out'), 'utf8');
    expect(out).toBe('tmpfs rw,nosuid,relatime,size=1024k\nNo space left on device\n');
    expect(readdirSync(join(fs, 'newdir', 'sub'))).toEqual([]);
  }, 120_000);
});

describe('steps whose layers are the same', () => {
  // Two secret mounts in one second leave the same /run/secrets entry twice:
  // identical layers, which overlayfs refuses to stack as two lower dirs.
  it('stack: a later step still runs over two identical layers', async () => {
    const root = await storeWithBusybox();
    const ctx = contextOf({
      Dockerfile: [
        'FROM busybox',
        'RUN echo x > /f && touch -d @0 /f',
        'RUN echo x > /f && touch -d @0 /f',
        'RUN cat /f > /g',
      ].join('\n'),
    });
    const built = await tsbuild(root, ctx, { tags: ['same:1'] });
    const layers = built.events.flatMap((e) => (e.type === 'done' && e.layer ? [e.layer] : []));
    expect(layers[0]).toBe(layers[1]);
    expect(readFileSync(join(await flatten(root, 'same:1'), 'g'), 'utf8')).toBe('x\n');
  }, 120_000);
});

describe('RUN --mount errors', () => {
  it.each([
    [
      'RUN --mount=type=cahce,target=/c true',
      'BAD_MOUNT',
      'unsupported mount type "cahce" (did you mean cache?)',
      13,
    ],
    [
      'RUN --mount=type=cache,target=/c,sharing=lokced true',
      'BAD_MOUNT',
      'unsupported sharing value "lokced" (did you mean locked?)',
      34,
    ],
    [
      'RUN --mount=type=bind,target=/c,mode=0755 true',
      'BAD_MOUNT',
      'mode not allowed for "bind" type mounts',
      33,
    ],
    [
      'RUN --mount=type=tmpfs,target=/c,size=lots true',
      'BAD_MOUNT',
      'invalid value for size: lots',
      34,
    ],
    [
      'RUN --mount=type=cache,tagret=/c true',
      'BAD_MOUNT',
      "unexpected key 'tagret' in 'tagret=/c' (did you mean target?)",
      24,
    ],
    ['RUN --mount=type=bind,target=/ true', 'BAD_MOUNT', 'invalid mount target "/"', 5],
    [
      'RUN --mount=type=secret true',
      'BAD_MOUNT',
      'invalid secret mount. one of source, target required',
      5,
    ],
  ])(
    '%s',
    async (line, code, reason, col) => {
      const root = await storeWithBusybox();
      const ctx = contextOf({ Dockerfile: `FROM busybox\n${line}\n` });
      const e = await rejected(build({ root, env: {}, context: ctx, network: 'none' }));
      expect(e).toBeInstanceOf(DockerfileError);
      expect((e as DockerfileError).code).toBe(code);
      expect((e as DockerfileError).reason).toBe(reason);
      expect((e as DockerfileError).span).toMatchObject({ line: 2, col });
      expect(e).toBeInstanceOf(TsbuildError);
    },
    60_000,
  );
});
