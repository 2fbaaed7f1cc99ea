/**
 * `tsbuild build` flags → BuildRequest, and the usage errors (exit 2) a wrong
 * flag gets. Docker 20.10's CLI (classic builder) confirmed: `--build-arg K` with
 * K not in the environment is dropped (the ARG's default is used); `--label K` is
 * K=""; `-t a -t a:latest -t docker.io/library/a` tags once; a bad tag is
 * `invalid argument "Bad" for "-t, --tag" flag: invalid reference format: …`;
 * a digest in a tag is "build tag cannot contain a digest" (exit 1).
 */
import { describe, expect, it } from 'vitest';
import type { BuildRequest } from '../../src/api/build-types.js';
import { parseBuildArgs, startsBuild } from '../../src/cli/build-args.js';
import { runFailureCode } from '../../src/cli/exit-code.js';
import { TsbuildError, UsageError } from '../../src/errors.js';
import { caught } from '../helpers/caught.js';

const CWD = '/work/src';
const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseBuildArgs(argv, env, CWD);
const request = (argv: string[], env: NodeJS.ProcessEnv = {}) => parse(argv, env).request;
const base = { context: '.', cwd: CWD, env: {}, tags: [], buildArgs: {}, labels: {} };

describe('parseBuildArgs: each flag onto BuildRequest', () => {
  const cases: [string, string[], Partial<BuildRequest>][] = [
    ['context only', ['.'], {}],
    ['stdin context', ['-'], { context: '-' }],
    [
      '-t repeated',
      ['-t', 'app', '--tag', 'reg:5000/x/y:1', '.'],
      { tags: ['app', 'reg:5000/x/y:1'] },
    ],
    ['-t attached value', ['-tapp:2', '.'], { tags: ['app:2'] }],
    ['--tag=', ['--tag=app', '.'], { tags: ['app'] }],
    [
      'same image tagged thrice',
      ['-t', 'a', '-t', 'a:latest', '-t', 'docker.io/library/a', '.'],
      { tags: ['a'] },
    ],
    ['-f path', ['-f', 'sub/Dockerfile.dev', '.'], { dockerfile: 'sub/Dockerfile.dev' }],
    ['-f -', ['--file', '-', 'ctx'], { context: 'ctx', dockerfile: '-' }],
    [
      '--build-arg K=V',
      ['--build-arg', 'A=1', '--build-arg', 'B=x=y', '.'],
      { buildArgs: { A: '1', B: 'x=y' } },
    ],
    ['--build-arg K=', ['--build-arg', 'A=', '.'], { buildArgs: { A: '' } }],
    ['--target', ['--target', 'builder', '.'], { target: 'builder' }],
    ['--no-cache', ['--no-cache', '.'], { noCache: true }],
    ['--pull', ['--pull', '.'], { pull: true }],
    ['--label', ['--label', 'a=b=c', '--label', 'foo', '.'], { labels: { a: 'b=c', foo: '' } }],
    ['--network', ['--network=none', '.'], { network: 'none' }],
    ['--network host', ['--network', 'host', '.'], { network: 'host' }],
    ['--runtime', ['--runtime', 'crun', '.'], { runtime: 'crun' }],
    ['--platform', ['--platform', 'linux/amd64', '.'], { platform: 'linux/amd64' }],
    ['--squash', ['--squash', '.'], { squash: true }],
    ['--root', ['--root', '/var/lib/tsbuild', '.'], { root: '/var/lib/tsbuild' }],
    ['--jobs', ['--jobs', '4', '.'], { jobs: 4 }],
    ['--explain-cache', ['--explain-cache', '.'], { explainCache: true }],
    ['--progress=json explains misses', ['--progress=json', '.'], { explainCache: true }],
    ['-o DIR is local', ['-o', 'out', '.'], { outputs: [{ type: 'local', dest: 'out' }] }],
    ['-o - is a tar on stdout', ['-o', '-', '.'], { outputs: [{ type: 'tar', dest: '-' }] }],
    [
      '--output CSV',
      [
        '--output',
        'type=oci,dest=img.tar',
        '-o',
        'type=image',
        '-o',
        'type=local,dest=rootfs',
        '.',
      ],
      {
        outputs: [
          { type: 'oci', dest: 'img.tar' },
          { type: 'image' },
          { type: 'local', dest: 'rootfs' },
        ],
      },
    ],
    [
      '--output quoted field',
      ['-o', '"type=tar","dest=a,b.tar"', '.'],
      { outputs: [{ type: 'tar', dest: 'a,b.tar' }] },
    ],
    [
      '--output docker dest=-',
      ['-o', 'type=docker,dest=-', '.'],
      { outputs: [{ type: 'docker', dest: '-' }] },
    ],
    ['flags after the context', ['.', '-t', 'app'], { tags: ['app'] }],
  ];
  it.each(cases)('%s', (_name, argv, want) => {
    expect(request(argv)).toEqual({ ...base, ...want });
  });

  it('takes --build-arg K from the environment, and drops it when the environment has no K', () => {
    const env = { FROM_ENV: 'v1', EMPTY: '' };
    const r = request(
      ['--build-arg', 'FROM_ENV', '--build-arg', 'EMPTY', '--build-arg', 'MISSING', '.'],
      env,
    );
    expect(r.buildArgs).toEqual({ FROM_ENV: 'v1', EMPTY: '' });
    expect(r.env).toBe(env);
  });

  it('sets the command-side options: quiet, progress, iidfile and metadata file (made absolute)', () => {
    expect(parse(['.']).cli).toEqual({
      help: false,
      quiet: false,
      progress: 'auto',
      iidfile: undefined,
      metadataFile: undefined,
    });
    expect(parse(['-q', '--iidfile', 'id.txt', '--metadata-file', '/tmp/m.json', '.']).cli).toEqual(
      {
        help: false,
        quiet: true,
        progress: 'quiet',
        iidfile: '/work/src/id.txt',
        metadataFile: '/tmp/m.json',
      },
    );
    for (const mode of ['auto', 'plain', 'tty', 'json', 'quiet'])
      expect(parse([`--progress=${mode}`, '.']).cli.progress).toBe(mode);
    expect(parse(['-q', '--progress', 'quiet', '.']).cli.progress).toBe('quiet');
  });

  it('--help needs no context', () => {
    expect(parse(['--help']).cli.help).toBe(true);
    expect(parse(['-h']).cli.help).toBe(true);
  });
});

describe('parseBuildArgs: usage errors', () => {
  const cases: [string, string[], string | RegExp][] = [
    ['no context', [], '"tsbuild build [OPTIONS] PATH | -" requires exactly 1 argument.'],
    ['two contexts', ['a', 'b'], 'requires exactly 1 argument.'],
    ['unknown flag', ['--frobnicate', '.'], 'unknown flag: --frobnicate'],
    ['a near miss', ['--tga', 'x', '.'], 'unknown flag: --tga (did you mean --tag?)'],
    ['a near miss, two edits', ['--buld-ar', 'A=1', '.'], '(did you mean --build-arg?)'],
    ['nothing near', ['--zzz', '.'], /^unknown flag: --zzz$/],
    ['unknown shorthand', ['-qz', '.'], "unknown shorthand flag: 'z' in -qz"],
    ['flag without its value', ['.', '-t'], "flag needs an argument: 't' in -t"],
    ['long flag without its value', ['.', '--tag'], 'flag needs an argument: --tag'],
    [
      'a boolean shorthand with a bad value',
      ['-q=maybe', '.'],
      'invalid argument "maybe" for "-q, --quiet" flag: strconv.ParseBool: parsing "maybe": invalid syntax',
    ],
    [
      'bad tag',
      ['-t', 'Bad', '.'],
      'invalid argument "Bad" for "-t, --tag" flag: invalid reference format: repository name (library/Bad) must be lowercase',
    ],
    [
      'bad tag format',
      ['-t', 'a:b:c', '.'],
      'invalid argument "a:b:c" for "-t, --tag" flag: invalid reference format',
    ],
    [
      'empty build-arg name',
      ['--build-arg', '=v', '.'],
      'invalid --build-arg "=v": the name is empty',
    ],
    ['empty label name', ['--label', '=v', '.'], 'invalid --label "=v": the name is empty'],
    [
      'bad --progress',
      ['--progress', 'fancy', '.'],
      'invalid argument "fancy" for "--progress" flag: must be one of auto, plain, classic, tty, json, rawjson, quiet',
    ],
    [
      '-q with another display',
      ['-q', '--progress=plain', '.'],
      'progress=plain and quiet cannot be used together',
    ],
    [
      'bad --network',
      ['--network', 'bridge', '.'],
      'invalid argument "bridge" for "--network" flag: must be one of default, host, none',
    ],
    [
      'bad --runtime',
      ['--runtime', 'kata', '.'],
      'invalid argument "kata" for "--runtime" flag: must be one of auto, runc, crun, builtin',
    ],
    [
      '--jobs 0',
      ['--jobs', '0', '.'],
      'invalid argument "0" for "--jobs" flag: must be a whole number of at least 1',
    ],
    ['--jobs text', ['--jobs', 'two', '.'], 'invalid argument "two" for "--jobs" flag'],
    ['stdin twice', ['-f', '-', '-'], "can't use stdin for both build context and dockerfile"],
    ['output without type', ['-o', 'dest=x', '.'], 'type is required for output dest=x'],
    ['output of unknown type', ['-o', 'type=registry', '.'], 'unsupported output type "registry"'],
    ['tar output without dest', ['-o', 'type=tar', '.'], 'dest file is required for tar exporter'],
    [
      'local output without dest',
      ['-o', 'type=local', '.'],
      'dest directory is required for local exporter',
    ],
    [
      'local output to stdout',
      ['-o', 'type=local,dest=-', '.'],
      'the local exporter writes a directory',
    ],
    [
      'unknown output attribute',
      ['-o', 'type=oci,dest=x,push=true', '.'],
      'unsupported --output attribute push',
    ],
    ['output field without =', ['-o', 'type=oci,x', '.'], 'invalid value x in --output type=oci,x'],
    ['unterminated quote', ['-o', 'type=tar,"dest=x', '.'], 'unterminated quote'],
  ];
  it.each(cases)('%s', (_name, argv, message) => {
    const e = caught(() => parse(argv), UsageError);
    expect(e.code).toBe('USAGE');
    if (typeof message === 'string') expect(e.message).toContain(message);
    else expect(e.message).toMatch(message);
  });

  it('refuses a digest in a tag as docker does: not a usage error, exit 1', () => {
    const tag = `a@sha256:${'a'.repeat(64)}`;
    const e = caught(() => parse(['-t', tag, '.']), TsbuildError);
    expect(e).not.toBeInstanceOf(UsageError);
    expect(e.code).toBe('INVALID_TAG');
    expect(e.message).toBe('build tag cannot contain a digest');
  });
});

describe('startsBuild: which first words are the short form of tsbuild build', () => {
  it.each([
    ['-t', true],
    ['--file', true],
    ['-', true],
    ['.', true],
    ['/', true],
    ['https://github.com/org/repo.git', true],
    ['git://host/repo', true],
    ['no-such-directory-here', false],
    ['biuld', false],
  ])('%s → %s', (word, want) => {
    expect(startsBuild(word)).toBe(want);
  });
});

describe('runFailureCode: a failed RUN exits with its own status', () => {
  it.each([
    [3, 3],
    [255, 255],
    [0, 1],
    [-9, 1],
    [300, 1],
    [undefined, 1],
  ])('exitCode %s → %s', (exitCode, want) => {
    expect(runFailureCode(new TsbuildError('RUN_FAILED', 'failed', { exitCode }))).toBe(want);
  });

  it('is undefined for other errors, which exit 1 through the error report', () => {
    expect(runFailureCode(new TsbuildError('COPY_MISSING', 'x'))).toBeUndefined();
    expect(runFailureCode(new Error('bug'))).toBeUndefined();
  });
});
