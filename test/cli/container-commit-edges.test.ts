/**
 * The container verbs at their edges: a failed build step kept to debug and
 * a running container refused, a global --root before `container VERB`,
 * a filter refused before the question, export refusing a terminal.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';
import { storeWithBusybox } from '../build/harness.js';

/** `tsbuild ARGS` on `store`, `--root` after the (sub)command. */
const on = (store: string, args: string[], opts: Parameters<typeof cli>[1] = {}) => {
  const at = args[0] === 'container' ? 2 : 1;
  return cli([...args.slice(0, at), '--root', store, ...args.slice(at)], opts);
};
const lines = (s: string) => s.split('\n').filter((l) => l !== '');

describe('commit of a failed build step and of a running container', () => {
  it('a failed RUN kept to debug commits to an image holding its partial writes', async () => {
    const own = await storeWithBusybox();
    const { contextOf } = await import('../build/harness.js');
    const failing =
      'FROM busybox\nWORKDIR /src\nRUN echo partial > /src/out && rm /bin/vi; exit 3\n';
    const built = await on(own, ['build', '--network=none', contextOf({ Dockerfile: failing })]);
    expect(built.code).toBe(3);
    const [kept] = lines((await on(own, ['ps', '-a', '-q'])).stdout);
    expect((await on(own, ['diff', kept!])).stdout).toBe('C /bin\nD /bin/vi\nC /src\nA /src/out\n');
    const made = await on(own, ['commit', '-m', 'what the step left', kept!, 'debugged']);
    expect(made.code).toBe(0);
    const ran = await on(own, [
      'run',
      '--rm',
      '--network',
      'none',
      'debugged',
      'sh',
      '-c',
      'pwd; cat out; ls /bin/vi || echo gone',
    ]);
    expect(ran).toMatchObject({ code: 0, stdout: '/src\npartial\ngone\n' });
    const h = await on(own, [
      'history',
      '--no-trunc',
      '--format',
      '{{.CreatedBy}}|{{.Comment}}',
      'debugged',
    ]);
    expect(lines(h.stdout)[0]).toBe(
      '/bin/sh -c echo partial > /src/out && rm /bin/vi; exit 3|what the step left',
    );
  });

  it('a running container is not committed nor exported (it could swap in a link to a host file); stopped, it is', async () => {
    const own = await storeWithBusybox();
    const { run } = await import('../../src/api/run.js');
    const c = run({
      root: own,
      env: {},
      image: 'busybox',
      name: 'live',
      network: 'none',
      runtime: 'runc',
      command: ['sh', '-c', 'echo state > /state; echo ready; exec sleep 600'],
    });
    // Wait for the write, then commit while `sleep` still runs.
    await new Promise<void>((resolve) =>
      c.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()),
    );
    expect((await on(own, ['ps', '-q'])).stdout).not.toBe('');
    const refused = await on(own, ['commit', 'live', 'snap']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: container [0-9a-f]{12} is running: stop it first/);
    const exported = await on(own, ['export', '-o', join(tempRoot(), 'x.tar'), 'live']);
    expect(exported.code).toBe(1);
    expect(exported.stderr).toContain('is running: stop it first');
    expect((await on(own, ['ps', '-q'])).stdout).not.toBe('');
    c.kill('SIGKILL');
    await c.result;
    expect((await on(own, ['commit', 'live', 'snap'])).code).toBe(0);
    const ran = await on(own, ['run', '--rm', '--network', 'none', 'snap', 'cat', '/state']);
    expect(ran).toMatchObject({ code: 0, stdout: 'state\n' });
  });
});

describe('container verbs after a global --root', () => {
  it('take it before the verb, and refuse a filter they do not know before asking', async () => {
    const own = await storeWithBusybox();
    await on(own, ['run', '--network', 'none', '--name', 'gg', 'busybox', 'true']);
    const ls = await cli(['--root', own, 'container', 'ls', '-a', '--format', '{{.Names}}']);
    expect(ls.stdout).toBe('gg\n');
    const bad = await cli(['--root', own, 'container', 'prune', '--filter', 'label=x']);
    expect(bad).toMatchObject({ code: 2, stdout: '' });
    expect(bad.stderr).toContain("invalid filter 'label=x'");
    const pruned = await cli(['--root', own, 'container', 'prune', '-f']);
    expect(pruned.stdout).toMatch(
      /^Deleted Containers:\n[0-9a-f]{64}\n\nTotal reclaimed space: 0B\n$/,
    );
  });
});

describe('export to a terminal', () => {
  it('is refused, as docker refuses it', async () => {
    const own = await storeWithBusybox();
    await on(own, ['run', '--network', 'none', '--name', 'tty', 'busybox', 'true']);
    const r = await on(own, ['export', 'tty'], { tty: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'cowardly refusing to save to a terminal. Use the -o flag or redirect',
    );
    expect(r.raw.length).toBe(0);
  });
});
