/**
 * Every BuildKit check rule, pinned with the ❌ and ✅ examples of its own
 * documentation page (moby/buildkit frontend/dockerfile/docs/rules/<rule>.md).
 * Where a page's example is not a whole Dockerfile (no FROM), `FROM alpine`
 * is put first; where BuildKit's code does not flag the page's example
 * (LegacyKeyValueFormat's `ARG foo bar`, SecretsUsedInArgOrEnv's global
 * ARGs), the example BuildKit does flag is used and the reason given.
 */
import { describe, expect, it } from 'vitest';
import { parse } from '../../src/api/parse.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { buildStageGraph } from '../../src/dockerfile/stages.js';
import { lintDockerfile } from '../../src/dockerfile/lint/index.js';
import { DockerfileError } from '../../src/errors.js';

/** rule | ❌ Dockerfile | findings of that rule as `line: message` | ✅ Dockerfile */
// prettier-ignore
const cases: Array<[string, string, string[], string]> = [
  ['ConsistentInstructionCasing', 'From alpine\nRun echo hello > /greeting.txt\nEntRYpOiNT ["cat", "/greeting.txt"]\n',
    ["1: Command 'From' should match the case of the command majority (uppercase)", "2: Command 'Run' should match the case of the command majority (uppercase)", "3: Command 'EntRYpOiNT' should match the case of the command majority (uppercase)"],
    'from alpine\nrun echo hello > /greeting.txt\nentrypoint ["cat", "/greeting.txt"]\n'],
  ['DuplicateStageName', 'FROM debian:latest AS builder\nRUN apt-get update; apt-get install -y curl\n\nFROM golang:latest AS builder\n',
    ['4: Duplicate stage name "builder", stage names should be unique'],
    'FROM debian:latest AS deb-builder\nRUN apt-get update; apt-get install -y curl\n\nFROM golang:latest AS go-builder\n'],
  ['ExposeInvalidFormat', 'FROM alpine\nEXPOSE 127.0.0.1:80:80\n',
    ["2: EXPOSE instruction should not define an IP address or host-port mapping, found '127.0.0.1:80:80'"],
    'FROM alpine\nEXPOSE 80\n'],
  ['ExposeInvalidFormat', 'FROM alpine\nEXPOSE 80:80\n',
    ["2: EXPOSE instruction should not define an IP address or host-port mapping, found '80:80'"],
    'FROM alpine\nEXPOSE 80\n'],
  ['ExposeProtoCasing', 'FROM alpine\nEXPOSE 80/TcP\n',
    ["2: Defined protocol '80/TcP' in EXPOSE instruction should be lowercase"],
    'FROM alpine\nEXPOSE 80/tcp\n'],
  ['FromAsCasing', 'FROM debian:latest as builder\n',
    ["1: 'as' and 'FROM' keywords' casing do not match"],
    'from debian:latest as deb-builder\n'],
  ['FromPlatformFlagConstDisallowed', 'FROM --platform=linux/amd64 alpine AS base\nRUN apk add --no-cache git\n',
    ['1: FROM --platform flag should not use constant value "linux/amd64"'],
    'FROM --platform=linux/amd64 alpine AS build_amd64\nFROM --platform=linux/arm64 alpine AS build_arm64\nFROM build_${TARGETARCH} AS build\n'],
  ['InvalidDefaultArgInFrom', 'ARG TAG\nFROM busybox:${TAG}\n',
    ['2: Default value for ARG busybox:${TAG} results in empty or invalid base image name'],
    'ARG TAG\nFROM alpine:${TAG:-3.14}\n'],
  ['InvalidDefinitionDescription', '# check=experimental=InvalidDefinitionDescription\n# a non-descriptive comment\nFROM scratch AS base\n\n# another non-descriptive comment\nARG VERSION=1\n',
    ['3: Comment for FROM should follow the format: `# base <description>`', '6: Comment for ARG should follow the format: `# VERSION <description>`'],
    '# check=experimental=InvalidDefinitionDescription\n# base is a stage for compiling source\nFROM scratch AS base\n# VERSION This is the version number.\nARG VERSION=1\n'],
  ['JSONArgsRecommended', 'FROM alpine\nENTRYPOINT my-program start\n',
    ['2: JSON arguments recommended for ENTRYPOINT to prevent unintended behavior related to OS signals'],
    'FROM alpine\nRUN apk add bash\nSHELL ["/bin/bash", "-c"]\nENTRYPOINT echo "hello world"\n'],
  ['LegacyKeyValueFormat', 'FROM alpine\nENV DEPS \\\n    curl \\\n    git \\\n    make\n',
    ['2: "ENV key=value" should be used instead of legacy "ENV key value" format'],
    'FROM alpine\nENV DEPS="\\\n    curl \\\n    git \\\n    make"\n'],
  ['MaintainerDeprecated', 'FROM alpine\nMAINTAINER moby@example.com\n',
    ['2: Maintainer instruction is deprecated in favor of using label'],
    'FROM alpine\nLABEL org.opencontainers.image.authors="moby@example.com"\n'],
  ['MultipleInstructionsDisallowed', 'FROM alpine\nENTRYPOINT ["echo", "Hello, Norway!"]\nENTRYPOINT ["echo", "Hello, Sweden!"]\n',
    ['2: Multiple ENTRYPOINT instructions should not be used in the same stage because only the last one will be used'],
    'FROM python:alpine\nRUN apk add curl\nHEALTHCHECK --interval=1s --timeout=3s \\\n  CMD ["curl", "-f", "http://localhost:8080"]\nCMD ["python", "-m", "http.server", "8080"]\n'],
  ['NoEmptyContinuation', 'FROM alpine\nEXPOSE \\\n\n80\n',
    ['4: Empty continuation line'],
    'FROM alpine\nEXPOSE \\\n# Port\n80\n'],
  ['RedundantTargetPlatform', 'FROM --platform=$TARGETPLATFORM alpine AS builder\nRUN apk add --no-cache git\n',
    ['1: Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior'],
    'FROM alpine AS builder\nRUN apk add --no-cache git\n'],
  ['ReservedStageName', 'FROM alpine AS scratch\nFROM alpine AS context\n',
    ['1: Stage name should not use the same name as reserved stage "scratch"', '2: Stage name should not use the same name as reserved stage "context"'],
    'FROM alpine AS builder\n'],
  // BuildKit checks ARGs in a stage only: the page's global ARGs are put in one.
  ['SecretsUsedInArgOrEnv', 'FROM alpine\nARG AWS_ACCESS_KEY_ID\nARG AWS_SECRET_ACCESS_KEY\nRUN aws s3 cp s3://my-bucket/file .\n',
    ['2: Do not use ARG or ENV instructions for sensitive data (ARG "AWS_ACCESS_KEY_ID")', '3: Do not use ARG or ENV instructions for sensitive data (ARG "AWS_SECRET_ACCESS_KEY")'],
    'FROM alpine\nRUN --mount=type=secret,id=aws_key_id,env=AWS_ACCESS_KEY_ID \\\n    aws s3 cp s3://my-bucket/file .\n'],
  ['StageNameCasing', 'FROM alpine AS BuilderBase\n',
    ["1: Stage name 'BuilderBase' should be lowercase"],
    'FROM alpine AS builder-base\n'],
  ['UndefinedArgInFrom', 'FROM node:22${VARIANT} AS jsbuilder\n',
    ["1: FROM argument 'VARIANT' is not declared"],
    'ARG VARIANT="-alpine3.20"\nFROM node:22${VARIANT} AS jsbuilder\n'],
  ['UndefinedVar', 'FROM scratch AS base\nCOPY $foo .\n',
    ["2: Usage of undefined variable '$foo'"],
    'FROM scratch AS base\nARG foo\nCOPY $foo .\n'],
  ['WorkdirRelativePath', 'FROM nginx AS web\nWORKDIR usr/share/nginx/html\nCOPY public .\n',
    ['2: Relative workdir "usr/share/nginx/html" can have unexpected results if the base image changes'],
    'FROM nginx AS web\nWORKDIR /usr/share/nginx/html\nCOPY public .\n'],
];

function findings(text: string, rule: string, ignored?: (s: string) => boolean): string[] {
  const df = parseDockerfile(text);
  const graph = buildStageGraph(df);
  return lintDockerfile(df, graph, { allStages: true, ...(ignored ? { ignored } : {}) })
    .warnings.filter((w) => w.rule === rule)
    .map((w) => `${w.span.line}: ${w.message}`);
}

describe('check rules, from their documentation', () => {
  it.each(cases)('%s', (rule, bad, expected, good) => {
    expect(findings(bad, rule)).toEqual(expected);
    expect(findings(good, rule)).toEqual([]);
  });

  it('CopyIgnoredFile, with the page\'s .dockerignore "*/tmp/*"', async () => {
    const { Dockerignore } = await import('../../src/context/dockerignore.js');
    const ig = Dockerignore.parse('*/tmp/*\n');
    const ignored = (s: string) => ig.excludesSource(s);
    // The page's "./tmp/helloworld.txt" is not under */tmp/: BuildKit flags what is.
    expect(
      findings(
        'FROM scratch\nCOPY ./a/tmp/helloworld.txt /helloworld.txt\n',
        'CopyIgnoredFile',
        ignored,
      ),
    ).toEqual([
      '2: Attempting to Copy file "a/tmp/helloworld.txt" that is excluded by .dockerignore',
    ]);
    expect(
      findings(
        'FROM scratch\nCOPY ./forever/helloworld.txt /helloworld.txt\n',
        'CopyIgnoredFile',
        ignored,
      ),
    ).toEqual([]);
  });

  it('every finding carries its description and documentation page', async () => {
    const r = await parse({ text: 'FROM alpine\nCMD app\n' });
    expect(r.warnings[0]).toMatchObject({
      rule: 'JSONArgsRecommended',
      url: 'https://docs.docker.com/go/dockerfile/rule/json-args-recommended/',
      description:
        'JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals',
      span: { line: 2, col: 1 },
    });
  });

  it('DuplicateStageName warns, and the later stage is the one the name means', () => {
    const df = parseDockerfile(
      'FROM alpine AS a\nFROM busybox AS a\nFROM scratch\nCOPY --from=a /x /x\n',
    );
    const g = buildStageGraph(df);
    expect(g.stages[2]!.dependsOn).toEqual([1]);
    expect(buildStageGraph(df, { target: 'a' }).target).toBe(1);
  });

  it('BUILDKIT_DOCKERFILE_CHECK replaces the directive; a comment above an instruction skips for it', () => {
    const text =
      '# check=skip=all\nFROM alpine\n# check=skip=JSONArgsRecommended\nCMD a\nENTRYPOINT b\n';
    const df = parseDockerfile(text);
    const g = buildStageGraph(df);
    expect(lintDockerfile(df, g).warnings).toEqual([]);
    const r = lintDockerfile(df, g, { buildArgs: { BUILDKIT_DOCKERFILE_CHECK: 'error=true' } });
    expect(r.warnings.map((w) => `${w.rule}@${w.span.line}`)).toEqual(['JSONArgsRecommended@5']);
    expect(r.error).toBeInstanceOf(DockerfileError);
    expect(r.error!.reason).toBe('lint violation found for rules: JSONArgsRecommended');
  });

  it("a bad check option is BuildKit's error", () => {
    const df = parseDockerfile('# check=error=maybe\nFROM alpine\n');
    expect(() => lintDockerfile(df, buildStageGraph(df))).toThrow(
      'failed to parse check options: failed to parse check option "error=maybe": strconv.ParseBool: parsing "maybe": invalid syntax',
    );
  });

  it('a build checks the dispatch of the stages it builds only', () => {
    const df = parseDockerfile('FROM alpine AS unused\nCMD a\nFROM alpine\nCMD ["b"]\n');
    const g = buildStageGraph(df);
    expect(lintDockerfile(df, g).warnings).toEqual([]);
    expect(lintDockerfile(df, g, { allStages: true }).warnings.map((w) => w.rule)).toEqual([
      'JSONArgsRecommended',
    ]);
  });
});
