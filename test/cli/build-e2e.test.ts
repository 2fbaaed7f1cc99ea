/**
 * `tsbuild build` end to end through the CLI entry, with real builds: what a user
 * sees (docker classic's plain output), exit codes (a failing RUN's own status),
 * standard-input contexts and the files --iidfile and --metadata-file write.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';
import { tarOf } from '../helpers/images.js';
import { contextOf, storeWithBusybox } from '../build/harness.js';

let root: string;
beforeAll(async () => {
  root = await storeWithBusybox();
});

/** `tsbuild build --root <the test store> …`. */
const run = (argv: string[], stdin?: Buffer | string) =>
  cli([argv[0]!, '--root', root, ...argv.slice(1)], stdin === undefined ? {} : { stdin });

describe('tsbuild build', () => {
  it('prints the steps as docker classic does, then the ID and the tag', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN echo hello\nENV A=1\n' });
    const first = await run(['build', '--progress=classic', '-t', 'e2e:1', ctx]);
    expect(first.code).toBe(0);
    const id = /Successfully built ([a-f0-9]{12})\n/.exec(first.stdout)?.[1];
    expect(first.stdout).toMatch(
      new RegExp(
        [
          '^Step 1/3 : FROM busybox',
          ' ---> [a-f0-9]{12}',
          'Step 2/3 : RUN echo hello',
          'hello',
          ' ---> [a-f0-9]{12}',
          'Step 3/3 : ENV A=1',
          ' ---> [a-f0-9]{12}',
          `Successfully built ${id}`,
          'Successfully tagged e2e:1',
          '$',
        ].join('\n'),
      ),
    );
    const second = await run(['build', '--progress=classic', '-t', 'e2e:1', ctx]);
    expect(second.stdout).toContain('Step 2/3 : RUN echo hello\n ---> Using cache\n');
    expect(second.stdout).toContain(`Successfully built ${id}\n`);
  });

  it("prints BuildKit's plain text with --progress=plain, on stderr: vertices, CACHED, ERROR", async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nENV A=1\nRUN echo hello $A\n' });
    const first = await run([
      'build',
      '--progress=plain',
      '--network=none',
      '-t',
      'e2e:plain',
      ctx,
    ]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('');
    expect(first.stderr).toMatch(
      new RegExp(
        [
          '^#1 \\[internal\\] load build definition from Dockerfile',
          '#1 transferring dockerfile: 39B done',
          '#1 DONE \\d+\\.\\ds',
          '',
          '#2 \\[1/2\\] FROM docker.io/library/busybox:latest',
          '#2 DONE \\d+\\.\\ds',
          '',
          '#3 \\[2/2\\] RUN echo hello 1',
          '#3 \\d+\\.\\d{3} hello 1',
          '#3 DONE \\d+\\.\\ds',
          '',
          '#4 exporting to image',
          '#4 writing image sha256:[a-f0-9]{64} done',
          '#4 naming to docker.io/library/e2e:plain done',
          '#4 DONE \\d+\\.\\ds',
          '$',
        ].join('\n'),
      ),
    );
    const again = await run(['build', '--progress=plain', '--network=none', ctx]);
    expect(again.stderr).toContain('\n#3 [2/2] RUN echo hello 1\n#3 CACHED\n');
    const bad = contextOf({ Dockerfile: 'FROM busybox\nRUN echo about; exit 3\n' });
    const failed = await run(['build', '--progress=plain', '--network=none', bad]);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toMatch(
      /\n#3 \[2\/2\] RUN echo about; exit 3\n#3 \d\.\d{3} about\n#3 ERROR: .*returned a non-zero code: 3\n------\n > \[2\/2\] RUN echo about; exit 3:\n\d\.\d{3} about\n------\n/,
    );
  });

  it('prints one SolveStatus JSON per line with --progress=rawjson', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN echo raw\n' });
    const r = await run(['build', '--progress=rawjson', '--network=none', ctx]);
    expect(r.code).toBe(0);
    const statuses = r.stderr
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { vertexes?: { name: string }[]; logs?: { data: string }[] });
    const names = statuses.flatMap((s) => s.vertexes ?? []).map((v) => v.name);
    expect([...new Set(names)]).toEqual([
      '[internal] load build definition from Dockerfile',
      '[1/2] FROM docker.io/library/busybox:latest',
      '[2/2] RUN echo raw',
      'exporting to image',
    ]);
    const logs = statuses.flatMap((s) => s.logs ?? []);
    expect(logs.map((l) => Buffer.from(l.data, 'base64').toString()).join('')).toBe('raw\n');
  });

  it("exits with the failing RUN's own status and shows its output and log", async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN echo about to fail; exit 42\n' });
    const r = await run(['build', '--progress=classic', ctx]);
    expect(r.code).toBe(42);
    expect(r.stdout + r.stderr).toContain('about to fail');
    expect(r.stderr).toContain(
      "The command '/bin/sh -c echo about to fail; exit 42' returned a non-zero code: 42",
    );
  });

  it('prints only the image ID with -q, and writes --iidfile and --metadata-file', async () => {
    const out = tempRoot('tsbuild-meta-');
    const ctx = contextOf({ Dockerfile: 'FROM scratch\nCOPY a /\n', a: 'a' });
    const r = await run([
      'build',
      '-q',
      '-t',
      'meta:1',
      '--iidfile',
      join(out, 'iid'),
      '--metadata-file',
      join(out, 'meta.json'),
      ctx,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sha256:[a-f0-9]{64}\n$/);
    const id = r.stdout.trim();
    expect(readFileSync(join(out, 'iid'), 'utf8')).toBe(id);
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(meta['containerimage.config.digest']).toBe(id);
    expect(meta['containerimage.digest']).toMatch(/^sha256:/);
    expect(meta['image.name']).toBe('docker.io/library/meta:1');
  });

  it('builds a tar context from standard input, and a bare Dockerfile with an empty context', async () => {
    const tar = await tarOf({ Dockerfile: 'FROM scratch\nCOPY f.txt /\n', 'f.txt': 'from stdin' });
    const r = await run(['build', '-q', '-t', 'stdin:tar', '-'], tar);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const bare = await run(
      ['build', '-q', '-t', 'stdin:bare', '-'],
      'FROM busybox\nRUN echo bare > /b\n',
    );
    expect(bare.code).toBe(0);
    const hist = await cli(['history', '--root', root, '--format', '{{.CreatedBy}}', 'stdin:bare']);
    expect(hist.stdout.split('\n')[0]).toBe('RUN /bin/sh -c echo bare > /b # buildkit');
  });

  it('points at the Dockerfile line of a mistake, exit 1', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nCOPY --from nowhere /x /y\n' });
    const r = await run(['build', ctx]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Dockerfile:2:\d+: /);
  });
});
