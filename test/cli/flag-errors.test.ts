/**
 * Every command reports a mistyped flag as docker's CLI (pflag) words it, in one
 * line, with the nearest flag of that command when one is close — not Node's
 * parseArgs text — and exits 2 (run and debug exit 125, as `docker run` does).
 * The commands are read from `tsbuild --help`, so a new one is checked too.
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';

/** The words that reach a command's own flags: `image ls`, not `image`. */
const VERB: Record<string, string[]> = {
  image: ['image', 'ls'],
  container: ['container', 'ls'],
  cache: ['cache', 'du'],
};

async function commands(): Promise<string[]> {
  const r = await cli(['--help']);
  const list = r.stdout.slice(r.stdout.indexOf('Commands:\n'));
  return [...list.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]!);
}

describe('flag mistakes, one line as docker says them', () => {
  it('every command: unknown flag, exit 2', async () => {
    const names = await commands();
    expect(names).toEqual(expect.arrayContaining(['build', 'images', 'run', 'image', 'cache']));
    const root = tempRoot();
    for (const name of names) {
      const r = await cli([...(VERB[name] ?? [name]), '--bogus-flag', '--root', root]);
      const dockerRun = name === 'run' || name === 'debug';
      expect({ name, code: r.code, stderr: r.stderr }).toEqual({
        name,
        code: dockerRun ? 125 : 2,
        stderr: `tsbuild: unknown flag: --bogus-flag\n${dockerRun ? `See 'tsbuild ${name} --help'.\n` : ''}`,
      });
      expect(r.stdout).toBe('');
    }
  });

  it.each([
    [['build', '--tga', 'x', '.'], 'unknown flag: --tga (did you mean --tag?)'],
    [['--tga', 'x', '.'], 'unknown flag: --tga (did you mean --tag?)'],
    [['images', '--fromat', 'x'], 'unknown flag: --fromat (did you mean --format?)'],
    [['inspect', '--fromat', 'x', 'img'], 'unknown flag: --fromat (did you mean --format?)'],
    [
      ['push', '--insecure-registy', 'h', 'img'],
      'unknown flag: --insecure-registy (did you mean --insecure-registry?)',
    ],
    [['parse', '--jsno'], 'unknown flag: --jsno (did you mean --json?)'],
    [['image', 'ls', '--digest'], 'unknown flag: --digest (did you mean --digests?)'],
    [['build', '-z', '.'], "unknown shorthand flag: 'z' in -z"],
    [['images', '-aZ'], "unknown shorthand flag: 'Z' in -aZ"],
    [['build', '.', '--tag'], 'flag needs an argument: --tag'],
    [['build', '.', '-t'], "flag needs an argument: 't' in -t"],
    [['inspect', 'img', '-f'], "flag needs an argument: 'f' in -f"],
    [
      ['images', '--all=maybe'],
      'invalid argument "maybe" for "--all" flag: strconv.ParseBool: parsing "maybe": invalid syntax',
    ],
  ])('%j', async (argv, line) => {
    const r = await cli(argv);
    expect([r.code, r.stderr]).toEqual([2, `tsbuild: ${line}\n`]);
  });

  it('run says it in its own way: exit 125, and where its help is', async () => {
    const r = await cli(['run', '--nmae', 'x', 'img']);
    expect([r.code, r.stderr]).toEqual([
      125,
      "tsbuild: unknown flag: --nmae (did you mean --name?)\nSee 'tsbuild run --help'.\n",
    ]);
  });

  it('an unknown command names the nearest one', async () => {
    const r = await cli(['imgaes']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      'tsbuild: unknown command "imgaes" (did you mean images?)',
    );
  });

  it("booleans take docker's values, also after a shorthand", async () => {
    const root = tempRoot();
    for (const argv of [
      ['images', '-a=false'],
      ['images', '--all=true'],
      ['images', '-q=1'],
    ]) {
      const r = await cli([...argv, '--root', root]);
      expect([argv, r.code, r.stderr]).toEqual([argv, 0, '']);
    }
  });

  it('a value may start with a dash, as pflag takes the next word', async () => {
    const root = tempRoot();
    const r = await cli(['images', '--root', root, '--format', '-{{.ID}}']);
    expect([r.code, r.stderr]).toEqual([0, '']);
  });
});
