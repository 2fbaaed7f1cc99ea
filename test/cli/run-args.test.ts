/** `tsbuild run`'s argv read as `docker run`'s: options stop at the image. */
import { describe, expect, it } from 'vitest';
import { parseRunArgs } from '../../src/cli/run-args.js';
import { caught } from '../helpers/caught.js';
import { UsageError } from '../../src/errors.js';

describe('parseRunArgs', () => {
  it('stops at the image: what follows is the command, flags included', () => {
    const a = parseRunArgs(['--rm', '-e', 'A=1', 'img', 'sh', '-c', 'echo --rm -e']);
    expect([...a.bools]).toEqual(['rm']);
    expect(a.lists.get('env')).toEqual(['A=1']);
    expect(a.rest).toEqual(['img', 'sh', '-c', 'echo --rm -e']);
  });

  it('takes -it, -eK=V, -e=K=V, --name=x, --name x, -h host, -v twice and --', () => {
    const a = parseRunArgs([
      '-it', '-eA=1', '-e=B=2', '--name=n', '--hostname', 'h1', '-h', 'h2',
      '-v', '/a:/b', '-v/c:/d', '--read-only=false', '--', '-img',
    ]); // prettier-ignore
    expect([...a.bools].sort()).toEqual(['interactive', 'tty']);
    expect(a.lists.get('env')).toEqual(['A=1', 'B=2']);
    expect(a.strings.get('name')).toBe('n');
    expect(a.strings.get('hostname')).toBe('h2');
    expect(a.lists.get('volume')).toEqual(['/a:/b', '/c:/d']);
    expect(a.rest).toEqual(['-img']);
  });

  it('keeps an empty --entrypoint', () => {
    expect(parseRunArgs(['--entrypoint', '', 'img']).strings.get('entrypoint')).toBe('');
    expect(parseRunArgs(['--entrypoint=', 'img']).strings.get('entrypoint')).toBe('');
  });

  it.each([
    [['--bogus', 'img'], 'unknown flag: --bogus'],
    [['-x', 'img'], "unknown shorthand flag: 'x' in -x"],
    [['--name'], 'flag needs an argument: --name'],
    [['-e'], "flag needs an argument: 'e' in -e"],
  ])('%j: %s', (argv, message) => {
    expect(caught(() => parseRunArgs(argv), UsageError).message).toBe(message);
  });
});
