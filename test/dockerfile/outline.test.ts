/**
 * `--call=outline` and `--call=targets` answers, pinned with BuildKit's own
 * fixtures (frontend/dockerfile/dockerfile_outline_test.go: testOutlineArgs,
 * testOutlineSecrets, testOutlineRecursiveArgs) and its expected values.
 */
import { describe, expect, it } from 'vitest';
import { listTargets, outlineOf } from '../../src/dockerfile/outline.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { hostPlatform } from '../../src/dockerfile/scope.js';
import { buildStageGraph } from '../../src/dockerfile/stages.js';

function outline(text: string, buildArgs: Record<string, string> = {}, target?: string) {
  const df = parseDockerfile(text);
  const graph = buildStageGraph(df, { buildArgs, ...(target ? { target } : {}) });
  return outlineOf(df, graph, { buildArgs, platform: hostPlatform(), text });
}

const line = (l: { location?: { ranges: { start: { line: number } }[] } }) =>
  l.location?.ranges[0]?.start.line;

describe('outline (BuildKit testOutlineArgs)', () => {
  const dockerfile = `
ARG inherited=box
ARG inherited2=box2
ARG unused=abc\${inherited2}
# sfx is a suffix
ARG sfx="usy\${inherited}"

FROM b\${sfx} AS first
# this is not assigned to anything
ARG FOO=123
# BAR is a number
ARG BAR=456
RUN true

FROM alpine\${unused} AS second
ARG BAZ
RUN true

FROM scratch AS third
ARG ABC=a
# check=skip=all
ARG password
# alternate_password will show up in the outline
# check=skip=all
ARG alternate_password

# target defines build target
FROM third AS target
COPY --from=first /etc/passwd /

FROM second
`;

  it("lists the target's args, its base's and those of what it copies from, by line", () => {
    const o = outline(dockerfile, { BAR: '678' }, 'target');
    expect(o.name).toBe('target');
    expect(o.description).toBe('defines build target');
    expect(o.sources).toEqual([Buffer.from(dockerfile).toString('base64')]);
    expect(o.args?.map((a) => [a.name, a.value ?? '', a.description ?? '', line(a)])).toEqual([
      ['inherited', 'box', '', 2],
      ['sfx', 'usybox', 'is a suffix', 6],
      ['FOO', '123', '', 10],
      ['BAR', '678', 'is a number', 12],
      ['ABC', 'a', '', 20],
      ['password', '', '', 22],
      ['alternate_password', '', 'will show up in the outline', 25],
    ]);
  });
});

describe('outline (BuildKit testOutlineSecrets)', () => {
  it("lists the secrets and ssh agents the target's stages mount, ids expanded", () => {
    const o = outline(
      `
FROM busybox AS first
RUN --mount=type=secret,target=/etc/passwd,required=true --mount=type=ssh true

FROM alpine AS second
RUN --mount=type=secret,id=unused --mount=type=ssh,id=ssh2 true

FROM scratch AS third
ARG BAR
RUN --mount=type=secret,id=second\${BAR} true

FROM third AS target
COPY --from=first /foo /
RUN --mount=type=ssh,id=ssh3,required true

FROM second
`,
      { BAR: '678' },
      'target',
    );
    expect(o.secrets?.map((s) => [s.name, s.required ?? false, line(s)])).toEqual([
      ['passwd', true, 3],
      ['second678', false, 10],
    ]);
    expect(o.ssh?.map((s) => [s.name, s.required ?? false, line(s)])).toEqual([
      ['default', false, 3],
      ['ssh3', true, 14],
    ]);
  });
});

describe('outline (BuildKit testOutlineRecursiveArgs)', () => {
  it('follows what a global default read, and a redefinition reading itself', () => {
    const o = outline(`
ARG FOO=123
ARG ABC=abc
ARG DEF=def
ARG FOO=\${FOO}\${ABC}
ARG BAR=\${FOO}456
ARG FOO=\${FOO}456\${BAR}
FROM scratch
ARG FOO
ARG INFOO=123
ARG INBAR=\${INFOO}456
ARG INFOO=\${INFOO}456\${INBAR}
`);
    expect(o.args?.map((a) => [a.name, a.value])).toEqual([
      ['ABC', 'abc'],
      ['BAR', '123abc456'],
      ['FOO', '123abc456123abc456'],
      ['INBAR', '123456'],
      ['INFOO', '123456123456'],
    ]);
    // An unnamed target: no TARGET line, no name in the JSON.
    expect(o.name).toBeUndefined();
  });
});

describe('targets', () => {
  it('every stage as written, the last the default', () => {
    const text = '# base the base\nFROM --platform=$BUILDPLATFORM alpine:${V} AS Base\nFROM base\n';
    expect(listTargets(parseDockerfile(text), text).targets).toEqual([
      {
        name: 'base',
        description: 'the base',
        base: 'alpine:${V}',
        platform: '$BUILDPLATFORM',
        location: { ranges: [{ start: { line: 2 }, end: { line: 2 } }] },
      },
      {
        default: true,
        base: 'base',
        location: { ranges: [{ start: { line: 3 }, end: { line: 3 } }] },
      },
    ]);
  });
});
