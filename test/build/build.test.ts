/**
 * The engine end to end: real builds over a busybox base with real RUN steps,
 * checked through the image config, the flattened filesystem, the history and
 * what came from the cache.
 */
import { chmodSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../src/api/build.js';
import { DockerfileError } from '../../src/errors.js';
import { rejected } from '../helpers/caught.js';
import { buildIn, configOf, contextOf, flatten, storeWithBusybox, type Built } from './harness.js';

let root: string;
beforeAll(async () => {
  root = await storeWithBusybox();
});

describe('a build', () => {
  it('makes the image docker would: config, history, files', async () => {
    const ctx = contextOf({
      Dockerfile: [
        'FROM busybox',
        'ARG WHO=world',
        'ENV GREETING="hello"',
        'WORKDIR /app',
        'COPY hello.txt .',
        'RUN echo "$GREETING, $WHO" > greeting.txt',
        'LABEL version=1',
        'EXPOSE 8080',
        'CMD ["cat", "greeting.txt"]',
      ].join('\n'),
      'hello.txt': 'hi\n',
    });
    const r = await buildIn(root, { context: ctx, tags: ['t1'] });
    expect(r.id).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(r.tags).toEqual(['docker.io/library/t1:latest']);
    const config = await configOf(root, 't1');
    expect(config.config).toMatchObject({
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'GREETING=hello'],
      WorkingDir: '/app',
      Labels: { version: '1' },
      ExposedPorts: { '8080/tcp': {} },
      Cmd: ['cat', 'greeting.txt'],
    });
    const history = config.history!.slice(1).map((h) => [h.created_by, h.empty_layer ?? false]);
    expect(history).toEqual([
      ['ARG WHO=world', true],
      ['ENV GREETING=hello', true],
      ['WORKDIR /app', false],
      ['COPY hello.txt . # buildkit', false],
      ['RUN |1 WHO=world /bin/sh -c echo "$GREETING, $WHO" > greeting.txt # buildkit', false],
      ['LABEL version=1', true],
      ['EXPOSE map[8080/tcp:{}]', true],
      ['CMD ["cat" "greeting.txt"]', true],
    ]);
    expect(config.rootfs.diff_ids).toHaveLength(4);
    const fs = await flatten(root, 't1');
    expect(readFileSync(join(fs, 'app/greeting.txt'), 'utf8')).toBe('hello, world\n');
    expect(readFileSync(join(fs, 'app/hello.txt'), 'utf8')).toBe('hi\n');
    expect(statSync(join(fs, 'app/hello.txt')).uid).toBe(0);
  });

  it('comes all from the cache the second time, with the same image ID', async () => {
    const ctx = contextOf({
      Dockerfile: 'FROM busybox\nCOPY a.txt /\nRUN cat /a.txt > /b.txt\nCMD ["sh"]\n',
      'a.txt': 'a\n',
    });
    const first = await buildIn(root, { context: ctx });
    const second = await buildIn(root, { context: ctx });
    expect(Object.values(first.cached)).toEqual([false, false, false]);
    expect(Object.values(second.cached)).toEqual([true, true, true]);
    expect(second.id).toBe(first.id);
    expect(second.output).toBe('');
  });

  it("re-runs from the changed file's COPY only; touch and a new folder keep the cache", async () => {
    const files = {
      Dockerfile: 'FROM busybox\nCOPY a.txt /\nRUN echo one\nCOPY b.txt /\nRUN cat /b.txt\n',
      'a.txt': 'a\n',
      'b.txt': 'b1\n',
    };
    const ctx = contextOf(files);
    await buildIn(root, { context: ctx });
    utimesSync(join(ctx, 'a.txt'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const touched = await buildIn(root, { context: ctx });
    expect(Object.values(touched.cached)).toEqual([true, true, true, true]);
    const elsewhere = await buildIn(root, { context: contextOf(files) });
    expect(Object.values(elsewhere.cached)).toEqual([true, true, true, true]);
    writeFileSync(join(ctx, 'b.txt'), 'b2\n');
    const changed = await buildIn(root, { context: ctx });
    expect(changed.cached).toEqual({
      'COPY a.txt /': true,
      'RUN echo one': true,
      'COPY b.txt /': false,
      'RUN cat /b.txt': false,
    });
    expect(changed.output).toBe('b2\n');
    chmodSync(join(ctx, 'a.txt'), 0o755);
    const chmodded = await buildIn(root, { context: ctx });
    expect(chmodded.cached['COPY a.txt /']).toBe(false);
  });

  it('re-runs only the RUNs that see a changed build arg', async () => {
    const ctx = contextOf({
      Dockerfile: 'FROM busybox\nRUN echo before\nARG V=1\nRUN echo no-arg-here\nRUN echo "v=$V"\n',
    });
    // Every RUN after ARG V sees V (Docker puts it in their environment), so both re-run;
    // the RUN before the ARG and the ARG itself stay cached.
    await buildIn(root, { context: ctx, buildArgs: { V: '1' } });
    const r = await buildIn(root, { context: ctx, buildArgs: { V: '2' }, explainCache: true });
    expect(r.cached).toEqual({
      'RUN echo before': true,
      'ARG V=1': true,
      'RUN echo no-arg-here': false,
      'RUN echo "v=$V"': false,
    });
    expect(r.output).toContain('v=2');
    const miss = r.events.find((e) => e.type === 'miss');
    expect(miss).toMatchObject({ explain: { reason: 'build-args', args: ['V'] } });
  });

  it('busts the cache after a changed ENV REFRESHED_AT, not before', async () => {
    const df = (d: string) => `FROM busybox\nRUN echo a\nENV REFRESHED_AT=${d}\nRUN echo b\n`;
    const ctx = contextOf({ Dockerfile: df('2026-01-01') });
    await buildIn(root, { context: ctx });
    writeFileSync(join(ctx, 'Dockerfile'), df('2026-11-30'));
    const r = await buildIn(root, { context: ctx, explainCache: true });
    expect(r.cached).toEqual({
      'RUN echo a': true,
      'ENV REFRESHED_AT=2026-11-30': false,
      'RUN echo b': false,
    });
    const miss = r.events.find((e) => e.type === 'miss');
    expect(miss).toMatchObject({
      explain: {
        reason: 'instruction',
        message: 'instruction changed: ENV REFRESHED_AT=2026-01-01 → ENV REFRESHED_AT=2026-11-30',
      },
    });
  });

  it('--explain-cache: unrelated Dockerfiles in one store do not explain each other', async () => {
    // Both start FROM busybox: their first steps share a parent, never a place.
    const own = await storeWithBusybox();
    const a = contextOf({ Dockerfile: 'FROM busybox\nENTRYPOINT ["/bin/sh"]\n' });
    const b = contextOf({ Dockerfile: 'FROM busybox\nLABEL b=1\n' });
    const missOf = (r: Built) => r.events.find((e) => e.type === 'miss');
    const first = await buildIn(own, { context: a, explainCache: true });
    expect(missOf(first)).toMatchObject({
      explain: { reason: 'first-build', message: 'first build of this step' },
    });
    const other = await buildIn(own, { context: b, explainCache: true });
    expect(missOf(other)).toMatchObject({
      explain: { reason: 'first-build', message: 'first build of this step' },
    });
    // b edited: compared with b's own last build, not with a's ENTRYPOINT.
    writeFileSync(join(b, 'Dockerfile'), 'FROM busybox\nLABEL b=2\n');
    const edited = await buildIn(own, { context: b, explainCache: true });
    expect(missOf(edited)).toMatchObject({
      explain: { reason: 'instruction', message: 'instruction changed: LABEL b=1 → LABEL b=2' },
    });
    // Another Dockerfile of the same context is its own lineage too.
    writeFileSync(join(a, 'second.Dockerfile'), 'FROM busybox\nLABEL s=1\n');
    const second = await buildIn(own, {
      context: a,
      dockerfile: join(a, 'second.Dockerfile'),
      explainCache: true,
    });
    expect(missOf(second)).toMatchObject({ explain: { reason: 'first-build' } });
  });

  it('--explain-cache: a step reused from another Dockerfile is then compared in this one too', async () => {
    const own = await storeWithBusybox();
    const one = contextOf({ Dockerfile: 'FROM busybox\nENV SHARED=1\n' });
    const two = contextOf({ Dockerfile: 'FROM busybox\nENV SHARED=1\n' });
    await buildIn(own, { context: one });
    // two's step hits one's record: two's place is added to it.
    expect((await buildIn(own, { context: two })).cached).toEqual({ 'ENV SHARED=1': true });
    writeFileSync(join(two, 'Dockerfile'), 'FROM busybox\nENV SHARED=2\n');
    const r = await buildIn(own, { context: two, explainCache: true });
    expect(r.events.find((e) => e.type === 'miss')).toMatchObject({
      explain: {
        reason: 'instruction',
        message: 'instruction changed: ENV SHARED=1 → ENV SHARED=2',
      },
    });
  });

  it('reuses the layers of another Dockerfile with the same first steps', async () => {
    const ctx = contextOf({
      'one.Dockerfile': 'FROM busybox\nRUN echo shared > /s\nRUN echo one\n',
      'two.Dockerfile': 'FROM busybox\nRUN echo shared > /s\nRUN echo two\n',
    });
    const one = await buildIn(root, { context: ctx, dockerfile: join(ctx, 'one.Dockerfile') });
    const two = await buildIn(root, { context: ctx, dockerfile: join(ctx, 'two.Dockerfile') });
    expect(two.cached).toEqual({ 'RUN echo shared > /s': true, 'RUN echo two': false });
    const [c1, c2] = [await configOf(root, one.id), await configOf(root, two.id)];
    expect(c2.rootfs.diff_ids[1]).toBe(c1.rootfs.diff_ids[1]);
  });

  it('never hands ENTRYPOINT a cached result that kept or cleared the wrong CMD', async () => {
    // Same parent config, same instruction; only whether CMD was set in this stage differs.
    const own = contextOf({ Dockerfile: 'FROM busybox\nCMD ["x"]\nENTRYPOINT ["e"]\n' });
    expect((await configOf(root, (await buildIn(root, { context: own })).id)).config?.Cmd).toEqual([
      'x',
    ]);
    await buildIn(root, {
      context: contextOf({ Dockerfile: 'FROM busybox\nCMD ["x"]\n' }),
      tags: ['with-cmd'],
    });
    const child = contextOf({ Dockerfile: 'FROM with-cmd\nENTRYPOINT ["e"]\n' });
    const r = await buildIn(root, { context: child });
    expect((await configOf(root, r.id)).config?.Cmd ?? null).toBeNull();
  });

  it('refuses to store a COPY whose context file changed after its key was made', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nCOPY app.txt /\n', 'app.txt': 'A\n' });
    // The miss event comes after the key and before the copy: the file changes in between.
    const err = await rejected(
      build({
        root,
        env: {},
        context: ctx,
        onEvent: (e) => {
          if (e.type === 'miss') writeFileSync(join(ctx, 'app.txt'), 'B\n');
        },
      }),
    );
    expect(err).toMatchObject({ code: 'CONTEXT_CHANGED' });
    expect(err.message).toContain('app.txt');
    // Nothing was recorded under the old key: the stable context now builds B.
    const r = await buildIn(root, { context: ctx, tags: ['changed'] });
    expect(readFileSync(join(await flatten(root, 'changed'), 'app.txt'), 'utf8')).toBe('B\n');
    expect(r.cached['COPY app.txt /']).toBe(false);
  });

  it('keeps the steps before a failing RUN cached, and fails with its exit code', async () => {
    const ctx = contextOf({
      Dockerfile:
        'FROM busybox\nRUN echo kept > /k\nRUN echo line1; echo oops >&2; exit 3\nRUN echo never\n',
    });
    const err = await rejected(buildIn(root, { context: ctx }));
    expect(err).toMatchObject({ code: 'RUN_FAILED', data: { exitCode: 3 } });
    // At the RUN's line, with the line shown under it.
    expect(err.message).toBe(
      "Dockerfile:3:1: The command '/bin/sh -c echo line1; echo oops >&2; exit 3' returned a non-zero code: 3",
    );
    expect((err as DockerfileError).render()).toContain(
      '3 | RUN echo line1; echo oops >&2; exit 3',
    );
    const data = (err as unknown as { data: { log: string; tail: string[] } }).data;
    const log = data.log;
    expect(readFileSync(log, 'utf8')).toBe('line1\noops\n');
    expect(data.tail).toEqual(['line1', 'oops']);
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo kept > /k\nRUN echo fixed\n');
    const r = await buildIn(root, { context: ctx });
    expect(r.cached).toEqual({ 'RUN echo kept > /k': true, 'RUN echo fixed': false });
  });
});
