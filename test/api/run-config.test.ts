/**
 * Docker's rules for what a container runs, as data: entrypoint/cmd, the
 * environment, the working directory, and the -v/--mount syntax. The
 * entrypoint/cmd and environment rules are checked against a real engine in
 * test/api/run-docker.test.ts; these pin the edge cases and the error texts.
 */
import { describe, expect, it } from 'vitest';
import {
  mergeEnv,
  parseEnvFile,
  processEnvironment,
  readEnvFlags,
  resolveCommand,
  resolveWorkdir,
} from '../../src/api/run-config.js';
import { parseMountFlag, parseVolumeFlag } from '../../src/api/run-mounts.js';
import { caught } from '../helpers/caught.js';
import { TsbuildError } from '../../src/errors.js';

type Img = { Entrypoint?: string[]; Cmd?: string[] };
type Opts = { entrypoint?: string; command?: string[] };
type Row = [string, Img, Opts, string[] | null, string[] | null, string[]];

describe('resolveCommand', () => {
  const image: Img = { Entrypoint: ['/bin/du', '-ks'], Cmd: ['/bin'] };
  const rows: Row[] = [
    ['image alone', image, {}, ['/bin/du', '-ks'], ['/bin'], ['/bin/du', '-ks', '/bin']],
    ['COMMAND replaces Cmd', image, { command: ['/usr'] }, ['/bin/du', '-ks'], ['/usr'], ['/bin/du', '-ks', '/usr']],
    ['--entrypoint drops the image Cmd', image, { entrypoint: 'ls' }, ['ls'], null, ['ls']],
    ['--entrypoint with COMMAND', image, { entrypoint: 'ls', command: ['-d', '/'] }, ['ls'], ['-d', '/'], ['ls', '-d', '/']],
    ["--entrypoint '' with COMMAND", image, { entrypoint: '', command: ['echo', 'x'] }, null, ['echo', 'x'], ['echo', 'x']],
    ['Cmd only', { Cmd: ['sh'] }, {}, null, ['sh'], ['sh']],
    ['Cmd only, COMMAND', { Cmd: ['sh'] }, { command: ['id'] }, null, ['id'], ['id']],
    ['--entrypoint with spaces is one word', {}, { entrypoint: 'a b' }, ['a b'], null, ['a b']],
  ]; // prettier-ignore
  it.each(rows)('%s', (_, img, opts, entrypoint, cmd, args) => {
    expect(resolveCommand(img, opts)).toEqual({ entrypoint, cmd, args });
  });

  it('"No command specified" when nothing is left', () => {
    expect(caught(() => resolveCommand({}, {}), TsbuildError).message).toBe('No command specified');
    const e = caught(
      () => resolveCommand({ Entrypoint: ['x'], Cmd: ['y'] }, { entrypoint: '' }),
      TsbuildError,
    );
    expect(e.message).toBe('No command specified');
  });
});

describe('the environment', () => {
  it('-e values come first in Config.Env, then the image values they do not name', () => {
    expect(mergeEnv(['PATH=/img', 'A=img', 'B=img'], ['A=user', 'C=user', 'B'])).toEqual([
      'A=user',
      'C=user',
      'B',
      'PATH=/img',
    ]);
    expect(mergeEnv(['A=1'], [])).toEqual(['A=1']);
  });

  it('-e K takes K from the caller, or stays bare; an empty name is refused', () => {
    expect(readEnvFlags(['A=1', 'HOME', 'NOPE'], { HOME: '/h' })).toEqual([
      'A=1',
      'HOME=/h',
      'NOPE',
    ]);
    expect(caught(() => readEnvFlags(['=x'], {}), TsbuildError).message).toBe(
      'invalid environment variable: =x',
    );
  });

  it('the process gets PATH and HOSTNAME, replaced in place, a bare name unsetting', () => {
    expect(processEnvironment(['A=1', 'PATH=/x'], 'abc')).toEqual([
      'PATH=/x',
      'HOSTNAME=abc',
      'A=1',
    ]);
    expect(processEnvironment(['HOSTNAME', 'B=2'], 'abc')).toEqual([
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'B=2',
    ]);
  });

  it('reads an env file as the docker CLI: comments, blanks, no quoting, bare names looked up', () => {
    const text = '\uFEFF# comment\n\n  A=1\nB="quoted"\nHOME\nMISSING\nC=\n';
    expect(parseEnvFile(text, 'f', { HOME: '/h' })).toEqual([
      'A=1',
      'B="quoted"',
      'HOME=/h',
      'MISSING',
      'C=',
    ]);
    expect(caught(() => parseEnvFile('A B=1\n', 'f', {}), TsbuildError).message).toBe(
      "f: variable 'A B' contains whitespaces",
    );
    expect(caught(() => parseEnvFile('=1\n', 'f', {}), TsbuildError).message).toBe(
      "f: no variable name on line '=1'",
    );
  });
});

describe('the working directory', () => {
  it('-w over the image WorkingDir; relative is refused', () => {
    expect(resolveWorkdir({ WorkingDir: '/app' }, '/tmp')).toBe('/tmp');
    expect(resolveWorkdir({ WorkingDir: '/app' }, undefined)).toBe('/app');
    expect(resolveWorkdir({}, undefined)).toBe('');
    expect(caught(() => resolveWorkdir({}, 'rel'), TsbuildError).message).toBe(
      "the working directory 'rel' is invalid, it needs to be an absolute path",
    );
  });
});

describe('-v and --mount', () => {
  it('reads binds, named and anonymous volumes', () => {
    expect(parseVolumeFlag('/usr:/mnt')).toEqual({
      type: 'bind',
      source: '/usr',
      target: '/mnt',
      readOnly: false,
      mode: '',
    });
    expect(parseVolumeFlag('/usr:/mnt:ro')).toEqual({
      type: 'bind',
      source: '/usr',
      target: '/mnt',
      readOnly: true,
      mode: 'ro',
    });
    expect(parseVolumeFlag('data:/d')).toEqual({
      type: 'volume',
      source: 'data',
      target: '/d',
      readOnly: false,
      // Docker's daemon shows a local volume given no mode as `z`.
      mode: 'z',
    });
    const anon = parseVolumeFlag('/d');
    expect(anon).toMatchObject({ type: 'volume', target: '/d', anonymous: true });
    expect(anon.source).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads --mount fields', () => {
    expect(parseMountFlag('type=bind,src=/usr,dst=/mnt,readonly')).toEqual({
      type: 'bind',
      source: '/usr',
      target: '/mnt',
      readOnly: true,
      mode: '',
    });
    expect(parseMountFlag('type=tmpfs,target=/t,tmpfs-size=1048576')).toEqual({
      type: 'tmpfs',
      source: '',
      target: '/t',
      readOnly: false,
      options: ['size=1048576'],
      mode: '',
    });
    expect(parseMountFlag('type=volume,source=vol,destination=/v,ro=false')).toEqual({
      type: 'volume',
      source: 'vol',
      target: '/v',
      readOnly: false,
      options: [],
      mode: 'z',
    });
  });

  it.each([
    ['-v', 'a:b:c:d', "invalid volume specification: 'a:b:c:d'"],
    [
      '-v',
      '/usr:rel',
      "invalid mount config: invalid mount path: 'rel' mount path must be absolute",
    ],
    ['-v', '/usr:/mnt:bogus', 'invalid mode: bogus'],
    [
      '--mount',
      'type=bind,src=/usr',
      'invalid argument "type=bind,src=/usr" for "--mount" flag: target is required',
    ],
    [
      '--mount',
      'type=bind,src=/no/such/dir,dst=/x',
      'invalid mount config for type "bind": bind source path does not exist: /no/such/dir',
    ],
    [
      '--mount',
      'type=nfs,dst=/x',
      'invalid argument "type=nfs,dst=/x" for "--mount" flag: invalid mount type: nfs',
    ],
    [
      '--mount',
      'type=tmpfs,src=x,dst=/x',
      'invalid argument "type=tmpfs,src=x,dst=/x" for "--mount" flag: source is not allowed for tmpfs mounts',
    ],
  ])('%s %s: %s', (flag, spec, message) => {
    const parse = flag === '-v' ? parseVolumeFlag : parseMountFlag;
    expect(caught(() => parse(spec), TsbuildError).message).toBe(message);
  });
});
