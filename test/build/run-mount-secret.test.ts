/**
 * RUN --mount=type=secret: the secret reaches the step (file or environment,
 * with its owner and mode) and nothing else — not a layer, the history, the
 * cache key, the store, the json progress, the metadata file, an error — and
 * changing its value does not rebuild the step (as in BuildKit).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/api/build.js';
import { DockerfileError } from '../../src/errors.js';
import { rejected } from '../helpers/caught.js';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';
import { buildIn, configOf, contextOf, flatten, storeWithBusybox } from './harness.js';

const VALUE = 'hunter2-s3cr3t-value';

/** Every file under `dir` that holds `needle` (grep -r, binary files too). */
function grepTree(dir: string, needle: string): string[] {
  try {
    return execFileSync('grep', ['-rlaF', needle, dir], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
  } catch (e) {
    if ((e as { status?: number }).status === 1) return [];
    throw e;
  }
}

describe('RUN --mount=type=secret', () => {
  it('mounts the secret as a file (owner, mode) and as a variable, and leaves it nowhere', async () => {
    const root = await storeWithBusybox();
    const dir = tempRoot('tsbuild-secret-');
    writeFileSync(join(dir, 'token'), `${VALUE}\n`);
    const ctx = contextOf({
      Dockerfile: [
        'FROM busybox',
        'RUN --mount=type=secret,id=tok (stat -c "%u:%g %a" /run/secrets/tok; wc -c < /run/secrets/tok; grep " /run/secrets/tok " /proc/mounts | cut -d" " -f4 | tr , "\\n" | grep -E "^(ro|nosuid|nodev|noexec)$") > /out1',
        'RUN --mount=type=secret,id=tok,target=/etc/app/key,uid=1000,gid=2000,mode=0440 stat -c "%u:%g %a" /etc/app/key > /out2',
        'RUN --mount=type=secret,id=tok,env=TOKEN (echo ${#TOKEN}; test -e /run/secrets/tok || echo no-file) > /out3',
        'RUN --mount=type=secret,id=tok cat /run/secrets/tok',
        'RUN --mount=type=secret,id=absent,target=/nowhere/s test ! -e /nowhere && echo not-mounted > /out4',
      ].join('\n'),
    });
    const req = {
      context: ctx,
      network: 'none' as const,
      tags: ['sec:1'],
      secrets: { tok: { path: join(dir, 'token') } },
    };
    const built = await buildIn(root, req);
    const fs = await flatten(root, 'sec:1');
    expect(readFileSync(join(fs, 'out1'), 'utf8')).toBe('0:0 400\n21\nro\nnosuid\nnodev\nnoexec\n');
    expect(readFileSync(join(fs, 'out2'), 'utf8')).toBe('1000:2000 440\n');
    expect(readFileSync(join(fs, 'out3'), 'utf8')).toBe('21\nno-file\n');
    expect(readFileSync(join(fs, 'out4'), 'utf8')).toBe('not-mounted\n');
    // The mount points' directories stay, as BuildKit leaves them; the files do not.
    expect(readdirSync(join(fs, 'run', 'secrets'))).toEqual([]);
    expect(readdirSync(join(fs, 'etc', 'app'))).toEqual([]);
    // The step that printed it shows **** instead.
    expect(built.output).toContain('****');
    expect(built.output).not.toContain('hunter2');
    expect(JSON.stringify(built.events)).not.toContain('hunter2');
    // History as BuildKit writes it: no mounts.
    const history = (await configOf(root, 'sec:1')).history!.map((h) => h.created_by);
    expect(history.slice(-5)).toEqual(Array(5).fill(expect.stringMatching(/^RUN \/bin\/sh -c /)));
    expect(history.join('\n')).not.toContain('--mount');
    expect(grepTree(root, 'hunter2')).toEqual([]);

    // A new value does not rebuild (BuildKit keeps secrets out of the key).
    writeFileSync(join(dir, 'token'), 'another value entirely\n');
    const again = await buildIn(root, req);
    expect(Object.values(again.cached).every(Boolean)).toBe(true);
  }, 120_000);

  it('a failed step that printed the secret: its kept log and its error show ****', async () => {
    const root = await storeWithBusybox();
    const ctx = contextOf({
      Dockerfile:
        'FROM busybox\nRUN --mount=type=secret,id=s,env=S sh -c \'echo "got $S"; exit 3\'\n',
    });
    const e = await rejected(
      build({ root, env: {}, context: ctx, network: 'none', secrets: { s: { value: VALUE } } }),
    );
    expect(e.code).toBe('RUN_FAILED');
    const data = (e as DockerfileError).data as { tail: string[]; log: string };
    expect(data.tail).toEqual(['got ****']);
    expect(readFileSync(data.log, 'utf8')).toBe('got ****\n');
    expect(e.message).not.toContain('hunter2');
    expect(grepTree(root, 'hunter2')).toEqual([]);
  }, 120_000);

  it('a missing required secret is an error naming the id, at the RUN', async () => {
    const root = await storeWithBusybox();
    const ctx = contextOf({
      Dockerfile: 'FROM busybox\nRUN --mount=type=secret,id=npmrc,required true\n',
    });
    const e = await rejected(build({ root, env: {}, context: ctx, network: 'none' }));
    expect(e).toBeInstanceOf(DockerfileError);
    expect(e.code).toBe('SECRET_MISSING');
    expect((e as DockerfileError).reason).toBe(
      'secret "npmrc" is required but was not given: pass --secret id=npmrc,src=<file> (or env=<variable>)',
    );
    expect((e as DockerfileError).span.line).toBe(2);
  }, 60_000);

  it('tsbuild build --secret src= and env=: json progress and metadata file hold no value', async () => {
    const root = await storeWithBusybox();
    const dir = tempRoot('tsbuild-secret-cli-');
    writeFileSync(join(dir, 'file'), VALUE);
    const ctx = contextOf({
      Dockerfile:
        'FROM busybox\nRUN --mount=type=secret,id=f --mount=type=secret,id=e,env=E cat /run/secrets/f && echo "$E"\n',
    });
    const meta = join(dir, 'meta.json');
    const r = await cli(
      [
        'build',
        ...['--root', root, '--network', 'none', '--progress', 'json'],
        ...['--secret', `id=f,src=${join(dir, 'file')}`, '--secret', 'id=e,env=MY_SECRET'],
        ...['--metadata-file', meta, ctx],
      ],
      { env: { MY_SECRET: 'other-hunter2-value' } },
    );
    expect(r.stderr).not.toContain('hunter2');
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).toContain('****');
    expect(r.stdout + r.stderr).not.toContain('hunter2');
    expect(existsSync(meta)).toBe(true);
    expect(readFileSync(meta, 'utf8')).not.toContain('hunter2');
    expect(grepTree(root, 'hunter2')).toEqual([]);
  }, 120_000);

  it('refuses a --secret file that is not there before anything runs', async () => {
    const r = await cli([
      'build',
      '--secret',
      'id=x,src=/nonexistent/file',
      tempRoot('tsbuild-ctx-'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('secret "x": /nonexistent/file is not there');
  });
});
