/** Multi-stage builds, ONBUILD, .dockerignore and bad input, built for real. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DockerfileError } from '../../src/errors.js';
import { rejected } from '../helpers/caught.js';
import { Store } from '../../src/store/store.js';
import { buildIn, configOf, contextOf, flatten, storeWithBusybox } from './harness.js';

let root: string;
beforeAll(async () => {
  root = await storeWithBusybox();
});

describe('multi-stage', () => {
  it('builds only the stages the target needs, and says which it skipped', async () => {
    const ctx = contextOf({
      Dockerfile: [
        'FROM busybox AS a',
        'RUN echo from-a > /a.txt',
        'FROM busybox AS unused',
        'RUN exit 1',
        'FROM busybox AS b',
        'RUN echo from-b > /b.txt',
        'FROM scratch',
        'COPY --from=a /a.txt /',
        'COPY --from=b /b.txt /',
      ].join('\n'),
    });
    const r = await buildIn(root, { context: ctx, tags: ['ms'] });
    const plan = r.events.find((e) => e.type === 'plan');
    expect(plan).toMatchObject({
      skipped: [{ index: 1, name: 'unused', reason: 'not needed by target 3' }],
    });
    const fs = await flatten(root, 'ms');
    expect(readdirSync(fs).sort()).toEqual(['a.txt', 'b.txt']);
    expect(readFileSync(join(fs, 'b.txt'), 'utf8')).toBe('from-b\n');
    const config = await configOf(root, 'ms');
    expect(config.rootfs.diff_ids).toHaveLength(2);
  });

  it('takes COPY --from by index, written as the front end reads one (01 is stage 1)', async () => {
    const ctx = contextOf({
      Dockerfile:
        'FROM busybox\nRUN echo zero > /z\nFROM busybox\nRUN echo one > /o\nFROM scratch\nCOPY --from=01 /o /\nCOPY --from=0 /z /\n',
    });
    const r = await buildIn(root, { context: ctx, tags: ['by-index'] });
    expect(r.id).toBeDefined();
    expect(readdirSync(await flatten(root, 'by-index')).sort()).toEqual(['o', 'z']);
  });

  it('builds --target and what it needs only', async () => {
    const ctx = contextOf({
      Dockerfile:
        'FROM busybox AS base\nRUN echo base > /base\nFROM base AS dev\nRUN cat /base > /dev.txt\nFROM busybox\nRUN exit 9\n',
    });
    const r = await buildIn(root, { context: ctx, target: 'dev', tags: ['dev'] });
    expect(Object.keys(r.cached)).toEqual(['RUN echo base > /base', 'RUN cat /base > /dev.txt']);
    expect(readFileSync(join(await flatten(root, 'dev'), 'dev.txt'), 'utf8')).toBe('base\n');
  });

  it('runs independent stages at the same time: both RUNs start before either ends', async () => {
    // Each RUN waits, through one shared cache mount, until the other has started: run
    // together they meet at once; run one after the other, the first gives up and fails.
    // The wait's cap only ends a serial build; the test asserts on events, not on time.
    const meet = (me: string, other: string) =>
      `RUN --mount=type=cache,id=meet,target=/m touch /m/${me} && i=0 && ` +
      `while [ ! -e /m/${other} ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done && ` +
      `test -e /m/${other} && echo ${me} > /${me}`;
    const ctx = contextOf({
      Dockerfile: [
        'FROM busybox AS one',
        meet('one', 'two'),
        'FROM busybox AS two',
        meet('two', 'one'),
        'FROM busybox',
        'COPY --from=one /one /',
        'COPY --from=two /two /',
      ].join('\n'),
    });
    const r = await buildIn(root, { context: ctx, noCache: true, tags: ['together'] });
    const runs = new Set(
      r.events.flatMap((e) => (e.type === 'step' && e.text.startsWith('RUN ') ? [e.step] : [])),
    );
    expect(runs.size).toBe(2);
    // In event order: the RUN steps that started (ran: 'miss') before the first RUN finished.
    const firstDone = r.events.findIndex((e) => e.type === 'done' && runs.has(e.step));
    const startedBefore = r.events
      .slice(0, firstDone)
      .flatMap((e) => (e.type === 'miss' && runs.has(e.step) ? [e.step] : []));
    expect(startedBefore.sort()).toEqual([...runs].sort());
    const fs = await flatten(root, 'together');
    expect(readFileSync(join(fs, 'one'), 'utf8') + readFileSync(join(fs, 'two'), 'utf8')).toBe(
      'one\ntwo\n',
    );
  }, 120_000);

  it('stops the other stages when one fails, leaving no mount and no process', async () => {
    const ctx = contextOf({
      Dockerfile: [
        'FROM busybox AS slow',
        'RUN sleep 4242',
        'FROM busybox AS broken',
        'RUN sleep 0.3; exit 7',
        'FROM busybox',
        'COPY --from=slow /etc/passwd /a',
        'COPY --from=broken /etc/passwd /b',
      ].join('\n'),
    });
    const err = await rejected(buildIn(root, { context: ctx, noCache: true }));
    expect(err).toMatchObject({ code: 'RUN_FAILED', data: { exitCode: 7 } });
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.includes(root));
    expect(mounts).toEqual([]);
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps.split('\n').filter((l) => l.trim() === 'sleep 4242')).toEqual([]);
  });

  it('refuses an unknown --target and COPY --from stage with clear errors', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox AS a\nRUN true\n' });
    const e1 = await rejected(buildIn(root, { context: ctx, target: 'nope' }));
    expect(e1.message).toMatch(/target stage "?nope"? could not be found/);
    const ctx2 = contextOf({ Dockerfile: 'FROM busybox\nCOPY --from=nostage /x /x\n' });
    const e2 = await rejected(buildIn(root, { context: ctx2 }));
    expect(e2.message).toContain('nostage');
    expect(e2).toBeInstanceOf(DockerfileError);
    expect((e2 as DockerfileError).span.line).toBe(2);
  });
});

describe('ONBUILD', () => {
  it("runs the base image's triggers right after FROM, and does not pass them on", async () => {
    const base = contextOf({
      Dockerfile:
        'FROM busybox\nONBUILD COPY app.txt /app/\nONBUILD RUN cat /app/app.txt > /app/seen\n',
    });
    await buildIn(root, { context: base, tags: ['ob-base'] });
    expect((await configOf(root, 'ob-base')).config?.OnBuild).toEqual([
      'COPY app.txt /app/',
      'RUN cat /app/app.txt > /app/seen',
    ]);
    const app = contextOf({
      Dockerfile: 'FROM ob-base\nLABEL child=1\n',
      'app.txt': 'hello app\n',
    });
    const r = await buildIn(root, { context: app, tags: ['ob-app'] });
    expect(Object.keys(r.cached)).toEqual([
      'COPY app.txt /app/',
      'RUN cat /app/app.txt > /app/seen',
      'LABEL child=1',
    ]);
    expect(readFileSync(join(await flatten(root, 'ob-app'), 'app/seen'), 'utf8')).toBe(
      'hello app\n',
    );
    expect((await configOf(root, 'ob-app')).config?.OnBuild ?? null).toBeNull();
  });
});

describe('ONBUILD in a stage', () => {
  it("runs a parent stage's triggers in the child and leaves them out of its image", async () => {
    const ctx = contextOf({
      Dockerfile: 'FROM busybox AS a\nONBUILD RUN echo trig > /trig\nFROM a\nLABEL x=1\n',
    });
    const r = await buildIn(root, { context: ctx, tags: ['ob-stage'] });
    expect(Object.keys(r.cached)).toContain('RUN echo trig > /trig');
    expect(readFileSync(join(await flatten(root, 'ob-stage'), 'trig'), 'utf8')).toBe('trig\n');
    expect((await configOf(root, 'ob-stage')).config?.OnBuild ?? null).toBeNull();
  });
});

describe('.dockerignore', () => {
  it('keeps excluded files out of COPY, exceptions in, and names the pattern when one is asked for', async () => {
    const ctx = contextOf({
      Dockerfile: 'FROM scratch\nCOPY . /ctx/\n',
      '.dockerignore': '# litter\n**/*.tmp\n!keep.tmp\nsecret\n',
      'a.txt': 'a',
      'x.tmp': 'x',
      'sub/y.tmp': 'y',
      'keep.tmp': 'k',
      'secret/key': 's',
    });
    const r = await buildIn(root, { context: ctx, tags: ['di'] });
    const fs = await flatten(root, 'di');
    expect(readdirSync(join(fs, 'ctx')).sort()).toEqual([
      '.dockerignore',
      'Dockerfile',
      'a.txt',
      'keep.tmp',
      'sub',
    ]);
    expect(readdirSync(join(fs, 'ctx/sub'))).toEqual([]);
    expect(r.id).toBeDefined();
    const ctx2 = contextOf({
      Dockerfile: 'FROM scratch\nCOPY secret/key /\n',
      '.dockerignore': 'secret\n',
      'secret/key': 's',
    });
    const e = await rejected(buildIn(root, { context: ctx2 }));
    expect(e.message).toContain('secret/key');
    expect(e.message).toMatch(/\.dockerignore.*line 1|line 1.*\.dockerignore/);
  });
});

describe('bad input', () => {
  it('names a missing context or Dockerfile', async () => {
    const e1 = await rejected(buildIn(root, { context: '/nonexistent/ctx' }));
    expect(e1.message).toContain('/nonexistent/ctx');
    const e2 = await rejected(buildIn(root, { context: contextOf({ 'a.txt': '' }) }));
    expect(e2.message).toMatch(/Dockerfile/);
  });

  it('points at the FROM line of a base image that is not there, and leaves the store as it was', async () => {
    const store = await Store.open(root);
    const before = (await store.images()).length;
    const ctx = contextOf({
      Dockerfile: 'FROM busybox\nRUN true\nFROM nosuchimage:1 AS x\nRUN true\n',
    });
    const e = await rejected(buildIn(root, { context: ctx }));
    expect(e).toBeInstanceOf(DockerfileError);
    expect((e as DockerfileError).span).toMatchObject({ line: 3, col: 6 });
    expect(e.message).toContain('nosuchimage:1');
    expect((await store.images()).length).toBe(before);
  });

  it('refuses a COPY source that leaves the context', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM scratch\nCOPY ../../etc/passwd /\n' });
    const e = await rejected(buildIn(root, { context: ctx }));
    expect(e.message).toContain('../../etc/passwd');
    expect(existsSync(ctx)).toBe(true);
  });

  it('refuses another platform', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM scratch\n' });
    const e = await rejected(buildIn(root, { context: ctx, platform: 'linux/s390x' }));
    expect(e).toMatchObject({ code: 'PLATFORM' });
  });
});
