/**
 * `tsbuild build --check` / `--call=check|outline|targets` through the CLI: what
 * buildx prints for each (commands/build.go printResult and BuildKit's
 * subrequest printers), the exit codes, and that no step runs.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { hostPlatform } from '../../src/dockerfile/scope.js';
import { contextOf, storeWithBusybox } from '../build/harness.js';
import { cli } from '../helpers/cli.js';
import { addTestImage } from '../helpers/images.js';

let root: string;
beforeAll(async () => {
  root = await storeWithBusybox();
});

const call = (ctx: string, ...flags: string[]) => cli(['build', '--root', root, ...flags, ctx]);

describe('--check', () => {
  it('prints the findings as buildx does, exits 1, and runs no step', async () => {
    // Were the RUN executed, the build would fail (exit 3) and leave a log behind.
    const ctx = contextOf({
      Dockerfile: 'FROM busybox AS Base\nRUN exit 3\n\nCMD run\n',
    });
    const logs = () => (existsSync(join(root, 'logs')) ? readdirSync(join(root, 'logs')) : []);
    const before = logs();
    const store = await Store.open(root);
    const images = (await store.images()).length;
    const r = await call(ctx, '--check');
    expect(r.stdout).toBe(
      [
        'Check complete, 2 warnings have been found!',
        '',
        'WARNING: StageNameCasing - https://docs.docker.com/go/dockerfile/rule/stage-name-casing/',
        "Stage name 'Base' should be lowercase",
        `${ctx}/Dockerfile:1`,
        '--------------------',
        '   1 | >>> FROM busybox AS Base',
        '   2 |     RUN exit 3',
        '   3 |     ',
        '--------------------',
        '',
        'WARNING: JSONArgsRecommended - https://docs.docker.com/go/dockerfile/rule/json-args-recommended/',
        'JSON arguments recommended for CMD to prevent unintended behavior related to OS signals',
        `${ctx}/Dockerfile:4`,
        '--------------------',
        '   2 |     RUN exit 3',
        '   3 |     ',
        '   4 | >>> CMD run',
        '   5 |     ',
        '--------------------',
        '',
      ].join('\n'),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(logs()).toEqual(before);
    expect((await store.images()).length).toBe(images);
  });

  it("passes buildx's testBuildCheckCallOutput cases", async () => {
    const cases: [string, string, number][] = [
      ['\nFROM busybox AS base\nCOPY Dockerfile .\n\t', 'Check complete, no warnings found.', 0],
      [
        '\nFROM busybox as base\nCOPY Dockerfile .\n\t',
        'Check complete, 1 warning has been found!',
        1,
      ],
      [
        '\nfrOM busybox as base\ncOpy Dockerfile .\n\t',
        'Check complete, 2 warnings have been found!',
        1,
      ],
    ];
    for (const [dockerfile, says, code] of cases) {
      const ctx = contextOf({ Dockerfile: dockerfile });
      const r = await call(ctx, '--call=check');
      expect(r.stdout).toContain(says);
      expect(r.code).toBe(code);
    }
    const ctx = contextOf({ 'subdir/Dockerfile': cases[2]![0] });
    const path = join(ctx, 'subdir', 'Dockerfile');
    const r = await call(ctx, '--call=check', '-f', path);
    expect(r.stdout).toContain('Check complete, 2 warnings have been found!');
    expect(r.stdout).toContain(`${path}:2`);
    expect(r.stdout).toContain(`${path}:3`);
  });

  it('names a Dockerfile read from stdin "stdin", as buildx', async () => {
    const ctx = contextOf({ 'a.txt': 'a' });
    const r = await cli(['build', '--root', root, '--check', '-f', '-', ctx], {
      stdin: 'FROM busybox\nCMD run\n',
    });
    expect(r.stdout).toContain('\nstdin:2\n--------------------\n');
    expect(r.code).toBe(1);
  });

  it('with no findings says so and exits 0; -f is shown as given', async () => {
    const ctx = contextOf({ 'df/app.Dockerfile': 'FROM busybox\nRUN exit 3\nCMD ["run"]\n' });
    const r = await cli([
      'build',
      ...['--root', root, '--call=check', '-f', join(ctx, 'df/app.Dockerfile')],
      ctx,
    ]);
    expect(r.stdout).toBe('Check complete, no warnings found.\n');
    expect(r.code).toBe(0);
  });

  it('ignorestatus=true exits 0 with findings; `--call=check` is `--check`', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nCMD run\n' });
    const r = await call(ctx, '--call=check,ignorestatus=true');
    expect(r.stdout).toMatch(/^Check complete, 1 warning has been found!\n\nWARNING: JSON/);
    expect(r.code).toBe(0);
  });

  it('format=json prints BuildKit lint result JSON, still exit 1 with findings', async () => {
    const text = 'FROM busybox\nENV A b\n';
    const ctx = contextOf({ Dockerfile: text });
    const r = await call(ctx, '--call=check,format=json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      warnings: [
        {
          ruleName: 'LegacyKeyValueFormat',
          description: 'Legacy key/value format with whitespace separator should not be used',
          url: 'https://docs.docker.com/go/dockerfile/rule/legacy-key-value-format/',
          detail: '"ENV key=value" should be used instead of legacy "ENV key value" format',
          location: { ranges: [{ start: { line: 2 }, end: { line: 2 } }] },
        },
      ],
      sources: [
        {
          filename: 'Dockerfile',
          data: Buffer.from(text).toString('base64'),
          language: 'Dockerfile',
        },
      ],
    });
    // Go's MarshalIndent layout, and no findings as null.
    expect(r.stdout).toMatch(/^\{\n {2}"warnings": \[\n {4}\{\n {6}"ruleName"/);
    const clean = await call(
      contextOf({ Dockerfile: 'FROM busybox\n' }),
      '--check=true',
      '--call=check,format=json',
    );
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout).warnings).toBeNull();
  });

  it('with check=error=true prints the findings, then the error: exit 1', async () => {
    const ctx = contextOf({ Dockerfile: '# check=error=true\nFROM busybox\nCMD run\n' });
    const r = await call(ctx, '--check');
    expect(r.stdout).toMatch(
      /^Check complete, 1 warning has been found!\n\nWARNING: JSONArgsRecommended/,
    );
    expect(r.stdout).toMatch(/--------------------\n\n$/);
    expect(r.stderr).toBe('error: lint violation found for rules: JSONArgsRecommended\n');
    expect(r.code).toBe(1);
    const j = await call(ctx, '--call=check,format=json');
    expect(JSON.parse(j.stdout).buildError).toEqual({
      message: 'lint violation found for rules: JSONArgsRecommended',
      location: {},
    });
    expect(j.code).toBe(1);
  });

  it('a Dockerfile error is the result: buildError with its place, exit 1', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nFOO bar\n' });
    const r = await call(ctx, '--call=check,format=json');
    const out = JSON.parse(r.stdout);
    expect(out.warnings).toBeNull();
    expect(out.buildError.location).toEqual({ ranges: [{ start: { line: 2 }, end: { line: 2 } }] });
    expect(out.buildError.message).toBe('unknown instruction: FOO (did you mean FROM?)');
    expect(r.stderr).toMatch(/^error: Dockerfile:2:1: unknown instruction: FOO/);
    expect(r.code).toBe(1);
  });

  it('a --target the Dockerfile lacks is the result too, without a place', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\n' });
    const r = await call(ctx, '--call=check,format=json', '--target', 'nope');
    expect(JSON.parse(r.stdout).buildError).toEqual({
      message: 'target stage "nope" could not be found (no stage has a name)',
      location: {},
    });
    expect(r.stderr).toBe('error: target stage "nope" could not be found (no stage has a name)\n');
    expect(r.code).toBe(1);
  });

  it("checks every stage without --target, only the target's with one", async () => {
    const ctx = contextOf({
      Dockerfile: 'FROM busybox AS a\nCMD x\nFROM busybox AS b\nCMD ["y"]\n',
    });
    expect((await call(ctx, '--check')).stdout).toContain('Check complete, 1 warning');
    const b = await call(ctx, '--check', '--target', 'b');
    expect(b.stdout).toBe('Check complete, no warnings found.\n');
    expect(b.code).toBe(0);
  });

  it('checks ONBUILD triggers where the child runs them, at its FROM', async () => {
    const store = await Store.open(root);
    await addTestImage(store, {
      layers: [{ 'a.txt': 'a' }],
      tags: ['onbuild-base:latest'],
      config: { OnBuild: ['ENV A b', 'WORKDIR app'] },
    });
    const ctx = contextOf({
      Dockerfile:
        'FROM busybox AS parent\nONBUILD LABEL k v\nFROM parent\nFROM onbuild-base\nCMD ["x"]\n',
    });
    const r = await call(ctx, '--call=check,format=json');
    const found = JSON.parse(r.stdout).warnings.map(
      (w: { ruleName: string; location: { ranges: { start: { line: number } }[] } }) =>
        `${w.ruleName}@${w.location.ranges[0]!.start.line}`,
    );
    expect(found).toEqual([
      'LegacyKeyValueFormat@3',
      'LegacyKeyValueFormat@4',
      'WorkdirRelativePath@4',
    ]);
  });

  it('reports InvalidBaseImagePlatform for a base of another architecture', async () => {
    const store = await Store.open(root);
    const host = hostPlatform();
    const other = host.architecture === 'arm64' ? 'amd64' : 'arm64';
    await addTestImage(store, {
      layers: [{ 'a.txt': 'a' }],
      tags: ['foreign:latest'],
      architecture: other,
    });
    const ctx = contextOf({ Dockerfile: 'FROM foreign\nCMD ["x"]\n' });
    const r = await call(ctx, '--check');
    expect(r.stdout).toContain(
      `\nWARNING: InvalidBaseImagePlatform\nBase image foreign was pulled with platform "linux/${other}", expected "${host.os}/${host.architecture}${host.variant ? `/${host.variant}` : ''}" for current build\n`,
    );
    expect(r.code).toBe(1);
  });
});

describe('--call=outline', () => {
  const DOCKERFILE = [
    '# GO_VERSION the Go version to build with',
    'ARG GO_VERSION=1.22',
    'ARG BASE=busybox',
    'ARG UNUSED=x',
    '# build compiles the app',
    'FROM golang:${GO_VERSION} AS build',
    'ARG TARGETOS',
    '# VERSION the release version',
    'ARG VERSION=dev',
    'RUN --mount=type=secret,id=npmrc,required=true --mount=type=ssh echo hi',
    '',
    '# release the final image',
    'FROM ${BASE} AS release',
    'ARG LEVEL',
    'COPY --from=build /app /app',
    'RUN --mount=type=secret,id=aws,target=/root/.aws/creds echo',
    '',
  ].join('\n');

  it("prints the target's build args, secrets and ssh as buildx does", async () => {
    const ctx = contextOf({ Dockerfile: DOCKERFILE });
    const r = await call(ctx, '--call=outline', '--build-arg', 'VERSION=2');
    expect(r.stdout).toBe(
      [
        'TARGET:      release',
        'DESCRIPTION: the final image',
        '',
        'BUILD ARG    VALUE     DESCRIPTION',
        'GO_VERSION   1.22      the Go version to build with',
        'BASE         busybox   ',
        'VERSION      2         the release version',
        'LEVEL                  ',
        '',
        'SECRET   REQUIRED',
        'npmrc    true',
        'aws      ',
        '',
        'SSH       REQUIRED',
        'default   ',
        '',
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(0);
  });

  it('format=json is BuildKit outline JSON; --target picks the stage', async () => {
    const ctx = contextOf({ Dockerfile: DOCKERFILE });
    const r = await call(ctx, '--call=outline,format=json', '--target', 'build');
    const at = (line: number) => ({ ranges: [{ start: { line }, end: { line } }] });
    expect(JSON.parse(r.stdout)).toEqual({
      name: 'build',
      description: 'compiles the app',
      args: [
        {
          name: 'GO_VERSION',
          description: 'the Go version to build with',
          value: '1.22',
          location: at(2),
        },
        { name: 'VERSION', description: 'the release version', value: 'dev', location: at(9) },
      ],
      secrets: [{ name: 'npmrc', required: true, location: at(10) }],
      ssh: [{ name: 'default', location: at(10) }],
      sources: [Buffer.from(DOCKERFILE).toString('base64')],
    });
  });
});

describe('--call=targets', () => {
  it('lists the stages with their descriptions, the default marked', async () => {
    const ctx = contextOf({
      Dockerfile:
        '# build compiles it\nFROM busybox AS build\nFROM --platform=$BUILDPLATFORM busybox AS tools\nFROM scratch\n',
    });
    const r = await call(ctx, '--call=targets');
    expect(r.stdout).toBe(
      ['TARGET    DESCRIPTION', 'build     compiles it', 'tools     ', '(default) ', ''].join('\n'),
    );
    const j = await call(ctx, '--call=targets,format=json');
    const out = JSON.parse(j.stdout);
    expect(out.targets).toEqual([
      {
        name: 'build',
        description: 'compiles it',
        base: 'busybox',
        location: { ranges: [{ start: { line: 2 }, end: { line: 2 } }] },
      },
      {
        name: 'tools',
        base: 'busybox',
        platform: '$BUILDPLATFORM',
        location: { ranges: [{ start: { line: 3 }, end: { line: 3 } }] },
      },
      {
        default: true,
        base: 'scratch',
        location: { ranges: [{ start: { line: 4 }, end: { line: 4 } }] },
      },
    ]);
    expect(out.sources).toHaveLength(1);
  });

  it('names a default stage "NAME (default)"', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox AS base\nFROM base AS app\n' });
    expect((await call(ctx, '--call=targets')).stdout).toBe(
      'TARGET        DESCRIPTION\nbase          \napp (default) \n',
    );
  });
});

describe('--call usage', () => {
  it('refuses an unknown method or field in one line, exit 2', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\n' });
    const r = await call(ctx, '--call=lintx');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^tsbuild: invalid argument "lintx" for "--call" flag: unknown method "lintx"/,
    );
    const f = await call(ctx, '--call=check,colour=red');
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/^tsbuild: invalid print field: colour=red\n/);
  });
});
