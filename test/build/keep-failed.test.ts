/**
 * A RUN that fails is kept as a stopped container (src/build/effects/keep-failed.ts):
 * its partial writes as the container's upper dir, its command, environment,
 * working directory and user as its config, and the build's last line the
 * command that opens a shell in it.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ContainerRecord } from '../../src/store/containers.js';
import { cli } from '../helpers/cli.js';
import { contextOf, storeWithBusybox } from './harness.js';

const containers = (root: string): ContainerRecord[] => {
  const dir = join(root, 'containers');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map(
    (id) => JSON.parse(readFileSync(join(dir, id, 'config.json'), 'utf8')) as ContainerRecord,
  );
};

const FAILING = [
  'FROM busybox',
  'ENV STAGE=debugging',
  'WORKDIR /src',
  'RUN mkdir -p /work/sub && echo partial > /work/sub/out && rm /bin/true && echo gone; exit 3',
  'RUN echo never',
].join('\n');

describe('a failed RUN kept to debug', () => {
  it('keeps the partial writes, whiteouts included, and the step config; the last line says how to debug it', async () => {
    const root = await storeWithBusybox();
    const r = await cli([
      'build',
      '--root',
      root,
      '--progress=classic',
      contextOf({ Dockerfile: FAILING }),
    ]);
    expect(r.code).toBe(3);
    const [kept, ...more] = containers(root);
    expect(more).toEqual([]);
    expect(kept!.kind).toBe('failed-step');
    expect(kept!.state).toMatchObject({ status: 'exited', exitCode: 3 });
    expect(kept!.config.args).toEqual([
      '/bin/sh',
      '-c',
      'mkdir -p /work/sub && echo partial > /work/sub/out && rm /bin/true && echo gone; exit 3',
    ]);
    expect(kept!.config.env).toContain('STAGE=debugging');
    expect(kept!.config.cwd).toBe('/src');
    // The layers below it (busybox, WORKDIR's) stay held by the container.
    expect(kept!.layers.length).toBeGreaterThanOrEqual(1);
    const upper = join(root, 'containers', kept!.id, 'upper');
    expect(readFileSync(join(upper, 'work/sub/out'), 'utf8')).toBe('partial\n');
    // rm of a lower file left an overlay whiteout (a 0/0 character device) in the diff.
    const { execFileSync } = await import('node:child_process');
    expect(
      execFileSync('stat', ['-c', '%F %t:%T', join(upper, 'bin/true')], { encoding: 'utf8' }),
    ).toBe('character special file 0:0\n');
    // Runtime files are not part of what the step wrote.
    expect(existsSync(join(upper, 'etc/hosts'))).toBe(false);
    const short = kept!.id.slice(0, 12);
    expect(r.stderr).toContain(`kept as container: ${short}`);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(
      `to debug the failed step: tsbuild debug --root ${root} ${short}`,
    );
  });

  it('a newer failure of the same step replaces the older one; another step adds its own', async () => {
    const root = await storeWithBusybox();
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN echo a > /a; exit 4\n' });
    expect((await cli(['build', '--root', root, '-q', ctx])).code).toBe(4);
    const [first] = containers(root);
    expect((await cli(['build', '--root', root, '-q', ctx])).code).toBe(4);
    const again = containers(root);
    expect(again).toHaveLength(1);
    expect(again[0]!.id).not.toBe(first!.id);
    const other = contextOf({ Dockerfile: 'FROM busybox\nRUN echo b > /b; exit 5\n' });
    expect((await cli(['build', '--root', root, '-q', other])).code).toBe(5);
    expect(
      containers(root)
        .map((c) => c.state.exitCode)
        .sort(),
    ).toEqual([4, 5]);
  });

  it('--keep-failed=false keeps nothing and prints no debug line; a bad value is a usage error', async () => {
    const root = await storeWithBusybox();
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN exit 6\n' });
    const r = await cli(['build', '--root', root, '--keep-failed=false', '-q', ctx]);
    expect(r.code).toBe(6);
    expect(containers(root)).toEqual([]);
    expect(r.stderr).not.toContain('tsbuild debug');
    const bad = await cli(['build', '--root', root, '--keep-failed=maybe', ctx]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid argument "maybe" for "--keep-failed" flag');
  });

  it('a command that is not found is kept too (127); a step that succeeds keeps nothing', async () => {
    const root = await storeWithBusybox();
    const missing = contextOf({ Dockerfile: 'FROM busybox\nRUN ["/no/such/cmd"]\n' });
    expect((await cli(['build', '--root', root, '-q', missing])).code).toBe(127);
    expect(containers(root).map((c) => c.state.exitCode)).toEqual([127]);
    const fine = contextOf({ Dockerfile: 'FROM busybox\nRUN echo ok > /ok\n' });
    expect((await cli(['build', '--root', root, '-q', fine])).code).toBe(0);
    expect(containers(root)).toHaveLength(1);
  });
});

/** Runs `tsbuild argv…` on a real pseudo-terminal (test/runtime/run/pty-driver.py) through `steps`. */
async function atTerminal(
  argv: string[],
  steps: [string, string][],
): Promise<{ code: number; output: string; failed: unknown }> {
  const vite = join(process.cwd(), 'node_modules', '.bin', 'vite-node');
  const entry = join(process.cwd(), 'test', 'api', 'run-child.ts');
  const driver = join(process.cwd(), 'test', 'runtime', 'run', 'pty-driver.py');
  const child = spawn(
    'python3',
    [driver, JSON.stringify({ rows: 30, cols: 100, steps }), '--', vite, entry, '--', ...argv],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise((resolve) => child.on('close', resolve));
  return JSON.parse(out) as { code: number; output: string; failed: unknown };
}

describe.each(['runc', 'crun', 'builtin'] as const)('tsbuild debug under %s', (runtime) => {
  it('the command the failed build printed opens a shell, at a terminal, in what the step left', async () => {
    const root = await storeWithBusybox();
    const ctx = contextOf({ Dockerfile: FAILING });
    const r = await cli(['build', '--root', root, '--runtime', runtime, '-q', ctx]);
    expect(r.code).toBe(3);
    const printed = r.stderr.trimEnd().split('\n').at(-1)!;
    const m = /^to debug the failed step: tsbuild (debug --root \S+ [0-9a-f]{12})$/.exec(printed);
    expect(m, printed).not.toBeNull();
    const session = await atTerminal(m![1]!.split(' '), [
      ['send', 'cat /work/sub/out; echo "in $PWD as $STAGE"; test -e /bin/true || echo no-true\r'],
      ['expect', 'partial\\s+in /src as debugging\\s+no-true'],
      ['send', 'echo fixed > /work/by-hand; exit 5\r'],
    ]);
    expect(session.failed, session.output).toBeNull();
    expect(session.code).toBe(5);
    // What the shell wrote stays in the container, beside the step's own writes.
    const [kept] = containers(root);
    const upper = join(root, 'containers', kept!.id, 'upper');
    expect(readFileSync(join(upper, 'work/by-hand'), 'utf8')).toBe('fixed\n');
    expect(readFileSync(join(upper, 'work/sub/out'), 'utf8')).toBe('partial\n');
    expect(kept!.config.runtime).toBe(runtime);
    // Nothing is left mounted.
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(root);
  }, 60_000);

  it('runs a command given, with piped input and no terminal; a missing container is 125', async () => {
    const root = await storeWithBusybox();
    const ctx = contextOf({ Dockerfile: FAILING });
    expect((await cli(['build', '--root', root, '--runtime', runtime, '-q', ctx])).code).toBe(3);
    const [kept] = containers(root);
    const r = await cli(
      ['debug', '--root', root, kept!.name, 'sh', '-c', 'cat /work/sub/out; cat; exit 4'],
      {
        stdin: 'from stdin\n',
      },
    );
    expect(r).toMatchObject({ code: 4, stdout: 'partial\nfrom stdin\n' });
    const none = await cli(['debug', '--root', root, 'nosuchcontainer']);
    expect(none).toMatchObject({
      code: 125,
      stderr: 'error: No such container: nosuchcontainer\n',
    });
  }, 60_000);
});
