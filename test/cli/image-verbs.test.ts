/**
 * `tsbuild image VERB` (src/cli/main.ts IMAGE_VERBS): the seeds type docker's
 * `docker image ls`, `image rm`, `image inspect`…; each is the top-level
 * command it names, `--root` before or after the verb; `container VERB` the
 * same for containers (`docker container run` in the seeds).
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { storeWithBusybox } from '../build/harness.js';

describe('tsbuild image VERB', () => {
  it('image ls, inspect, tag and rm are images, inspect, tag and rmi', async () => {
    const root = await storeWithBusybox();
    const ls = await cli(['image', 'ls', '--root', root]);
    expect(ls).toEqual(await cli(['images', '--root', root]));
    expect(ls.stdout).toContain('busybox');
    const inspect = await cli(['--root', root, 'image', 'inspect', '-f', '{{.Id}}', 'busybox']);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect((await cli(['image', '--root', root, 'tag', 'busybox', 'mine:1'])).code).toBe(0);
    const rm = await cli(['image', 'rm', '--root', root, 'mine:1']);
    expect(rm).toMatchObject({ code: 0, stdout: 'Untagged: mine:1\n' });
    expect((await cli(['images', '--root', root, '-q', 'mine'])).stdout).toBe('');
  });

  it('an unknown verb, or none, is a usage error naming the verbs', async () => {
    const bad = await cli(['image', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown command "image nope"');
    expect(bad.stderr).toContain('ls, pull, push, rm');
    expect((await cli(['image'])).code).toBe(2);
  });
});

describe('tsbuild container VERB', () => {
  it('container run is run, as the seeds type it; the help lists every verb', async () => {
    const root = await storeWithBusybox();
    const r = await cli(['--root', root, 'container', 'run', '--rm', 'busybox', 'echo', 'hi']);
    expect(r).toMatchObject({ code: 0, stdout: 'hi\n' });
    const help = await cli(['container', '--help']);
    expect(help.code).toBe(0);
    for (const verb of ['commit', 'debug', 'diff', 'export', 'inspect', 'kill', 'logs', 'ls'])
      expect(help.stdout).toMatch(new RegExp(`^  ${verb} +\\S`, 'm'));
    for (const verb of ['prune', 'rm', 'run', 'start', 'stop'])
      expect(help.stdout).toMatch(new RegExp(`^  ${verb} +\\S`, 'm'));
    const bad = await cli(['container', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown command "container nope"');
  }, 60_000);
});
