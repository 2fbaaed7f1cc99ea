/**
 * ARG/ENV scoping and the stage graph, rule by rule. Each case names where the
 * rule comes from: a recording from a real Docker engine (test/fixtures/docker),
 * the Dockerfile reference, or BuildKit's own code.
 */
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { buildStageGraph, type StageGraphOptions } from '../../src/dockerfile/stages.js';
import { DockerfileError } from '../../src/errors.js';
import { caught } from '../helpers/caught.js';

const BUSYBOX_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];

function graph(text: string, opts: StageGraphOptions = {}) {
  return buildStageGraph(parseDockerfile(text), {
    imageEnv: (ref) => (ref === 'busybox' ? BUSYBOX_ENV : undefined),
    ...opts,
  });
}

/** The steps of a stage as [kind, what the step resolved to]. */
function steps(text: string, opts: StageGraphOptions = {}, stage?: number) {
  const g = graph(text, opts);
  return g.stages[stage ?? g.target]!.steps.map((s) => {
    const i = s.instruction;
    if (i.kind === 'ENV') return ['ENV', i.pairs.map((p) => `${p.key}=${p.value}`).join(' ')];
    if (i.kind === 'RUN') return ['RUN', s.args];
    if (i.kind === 'ARG') return ['ARG', s.args];
    if (i.kind === 'WORKDIR') return ['WORKDIR', i.path];
    return [i.kind, s.onbuild ? 'onbuild' : ''];
  });
}

describe('ARG and ENV', () => {
  it('an ARG declared after an ENV of the same name wins from there on (BuildKit; docker fixture arg-env-override)', () => {
    const text = 'FROM busybox\nARG A=fromarg\nENV A=fromenv\nARG A=again\nRUN echo $A\nENV B=$A\n';
    expect(steps(text, { buildArgs: { A: 'cli' } })).toEqual([
      ['ARG', { A: 'cli' }],
      ['ENV', 'A=fromenv'],
      ['ARG', { A: 'cli' }],
      ['RUN', { A: 'cli' }],
      ['ENV', 'B=cli'],
    ]);
  });

  it('an ENV after an ARG of the same name wins (reference; docker fixture arg-env-override-simple)', () => {
    const text = 'FROM busybox\nARG A=fromarg\nENV A=fromenv\nRUN echo $A\nENV B=$A\n';
    expect(steps(text, { buildArgs: { A: 'cli' } })).toEqual([
      ['ARG', { A: 'cli' }],
      ['ENV', 'A=fromenv'],
      ['RUN', {}],
      ['ENV', 'B=fromenv'],
    ]);
  });

  it('a global ARG is seen in a stage only once re-declared there (reference; fixture arg-redeclare-inherits)', () => {
    const text = 'ARG T=global\nFROM busybox\nENV X=$T\nARG T\nARG U=${T}-suffix\nRUN true\n';
    expect(steps(text)).toEqual([
      ['ENV', 'X='],
      ['ARG', { T: 'global' }],
      ['ARG', { U: 'global-suffix' }],
      ['RUN', { T: 'global', U: 'global-suffix' }],
    ]);
  });

  it('a stage built FROM another keeps its ARGs and ENV; an unrelated one does not (Dockerfile reference, build variables)', () => {
    const text =
      'FROM busybox AS base\nARG V=1\nENV E=2\nFROM base AS child\nRUN true\nFROM busybox AS other\nRUN true\n';
    expect(steps(text, { target: 'child' })).toEqual([['RUN', { V: '1' }]]);
    expect(steps(text, { target: 'other' })).toEqual([['RUN', {}]]);
    const g = graph(text);
    expect(g.stages[1]!.dependsOn).toEqual([0]);
  });

  it('ENV in one instruction sees the values from before it (docker fixture env-same-instruction-ref)', () => {
    expect(steps('FROM busybox\nENV a=1 b=$a\nENV a=2 b=$a\n')).toEqual([
      ['ENV', 'a=1 b='],
      ['ENV', 'a=2 b=1'],
    ]);
  });

  it('proxy build args reach RUN without an ARG and are not "unused" (reference, predefined ARGs)', () => {
    const g = graph('FROM busybox\nRUN true\n', {
      buildArgs: { HTTP_PROXY: 'http://p', NOPE: '1' },
    });
    expect(g.stages[0]!.steps[0]!.proxy).toEqual({ HTTP_PROXY: 'http://p' });
    expect(g.unusedBuildArgs).toEqual(['NOPE']);
  });

  it('platform ARGs exist globally and must be declared in a stage (docker fixture arg-platform)', () => {
    const text = 'FROM busybox\nRUN true\nARG TARGETOS\nRUN true\n';
    const platform = { os: 'linux', architecture: 'arm64' };
    expect(steps(text, { platform })).toEqual([
      ['RUN', {}],
      ['ARG', { TARGETOS: 'linux' }],
      ['RUN', { TARGETOS: 'linux' }],
    ]);
    expect(graph('ARG X=${TARGETARCH}\nFROM busybox:$X\n', { platform }).stages[0]!.base).toEqual({
      kind: 'image',
      ref: 'busybox:arm64',
    });
  });
});

describe('warnings that need the scope', () => {
  it('names an undefined variable and suggests a close one', () => {
    const g = graph('FROM busybox\nWORKDIR $PAHT\n');
    expect(g.warnings.map((w) => w.message)).toEqual([
      "Usage of undefined variable '$PAHT' (did you mean $PATH?)",
    ]);
  });

  it('does not guess about variables of a base image whose ENV is unknown', () => {
    expect(graph('FROM alpine\nWORKDIR $HOME\n').warnings).toEqual([]);
  });

  it('warns about an undeclared FROM argument', () => {
    const g = graph('ARG MY_VER=1\nFROM busybox${MYVER:+:}${MYVER}\n');
    expect(g.warnings.map((w) => [w.rule, w.message])).toEqual([
      ['UndefinedArgInFrom', "FROM argument 'MYVER' is not declared (did you mean MY_VER?)"],
    ]);
  });
});

describe('stage references', () => {
  it('refuses variables in COPY --from and RUN --mount from= (BuildKit dockerfile2llb)', () => {
    const copy = caught(
      () => graph('ARG I=alpine\nFROM busybox\nCOPY --from=$I /a /b\n'),
      DockerfileError,
    );
    expect(copy.code).toBe('FROM_EXPANSION');
    expect(copy.reason).toBe(
      'variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround',
    );
    expect(copy.span.line).toBe(3);
    const mount = caught(
      () => graph('FROM busybox\nRUN --mount=from=$X,target=/x true\n'),
      DockerfileError,
    );
    expect(mount.reason).toBe(
      "'from' doesn't support variable expansion, define alias stage instead",
    );
  });

  it('refuses --from naming a stage defined later (BuildKit dockerfile2llb)', () => {
    const e = caught(
      () => graph('FROM busybox AS a\nCOPY --from=b /x /y\nFROM busybox AS b\n'),
      DockerfileError,
    );
    expect(e.code).toBe('STAGE_ORDER');
    expect(e.reason).toBe(
      'cannot copy from stage "b", it needs to be defined before current stage "a"',
    );
    const index = caught(
      () => graph('FROM busybox\nCOPY --from=1 /x /y\nFROM busybox\n'),
      DockerfileError,
    );
    expect(index.code).toBe('STAGE_INDEX');
  });

  it('treats an unknown --from as an image, and records edges for names, indexes and mounts', () => {
    const g = graph(
      'FROM busybox AS a\nFROM busybox AS b\nFROM scratch\nCOPY --from=0 /x /x\nCOPY --from=alpine:3 /y /y\nRUN --mount=type=bind,from=b,target=/b true\n',
    );
    expect(g.stages[2]!.dependsOn).toEqual([0, 1]);
    expect(g.stages[2]!.images).toEqual(['alpine:3']);
    expect(g.order).toEqual([0, 1, 2]);
  });

  it('builds only what the target needs, and says why the rest is skipped', () => {
    const g = graph('FROM busybox AS a\nFROM busybox AS b\nFROM a AS c\n', { target: 'C' });
    expect(g.order).toEqual([0, 2]);
    expect(g.skipped).toEqual([{ index: 1, name: 'b', reason: 'not needed by target c' }]);
  });
});

describe('ONBUILD of a base stage', () => {
  it('runs the triggers first in the child, not again in a grandchild (docker fixture onbuild-execution)', () => {
    const text =
      'FROM busybox AS parent\nONBUILD ENV T=1\nONBUILD WORKDIR /w\nFROM parent AS child\nENV X=$T\nFROM child AS grandchild\nRUN true\n';
    expect(steps(text, { target: 'child' })).toEqual([
      ['ENV', 'T=1'],
      ['WORKDIR', '/w'],
      ['ENV', 'X=1'],
    ]);
    const child = graph(text).stages[1]!;
    expect(child.steps.map((s) => s.onbuild ?? false)).toEqual([true, true, false]);
    expect(steps(text, { target: 'grandchild' })).toEqual([['RUN', {}]]);
  });
});

describe('heredoc bodies of COPY', () => {
  it('expand with a backslash lexer whatever the escape directive says (BuildKit ExpandRaw)', () => {
    const g = graph('# escape=`\nFROM busybox\nENV X=v\nCOPY <<EOF /a\n\\$X `$X "$X"\nEOF\n');
    const copy = g.stages[0]!.steps[1]!.instruction;
    expect(copy.kind === 'COPY' && copy.inline).toEqual([
      { name: 'EOF', content: '$X `v "v"\n', expand: true },
    ]);
  });

  it('keep a quoted delimiter body as written', () => {
    const g = graph("FROM busybox\nENV X=v\nCOPY <<'EOF' /a\n$X\nEOF\n");
    const copy = g.stages[0]!.steps[1]!.instruction;
    expect(copy.kind === 'COPY' && copy.inline[0]!.content).toBe('$X\n');
  });
});

describe('values BuildKit rejects in the stages it builds', () => {
  const reason = (text: string, opts: StageGraphOptions = {}) =>
    caught(() => graph(text, opts), DockerfileError).reason;

  it('a platform that does not parse', () => {
    expect(reason('ARG A\nFROM --platform=linux/${A} busybox\n')).toBe(
      'failed to parse platform linux/: "" is an invalid component of "linux/": platform specifier component must match "^[A-Za-z0-9_-]+$"',
    );
  });

  it('EXPOSE ports and protocols', () => {
    expect(reason('FROM busybox\nEXPOSE 80/xyz\n')).toBe('invalid proto: xyz');
    expect(reason('FROM busybox\nEXPOSE abc\n')).toBe('invalid containerPort: abc');
    expect(reason('FROM busybox\nEXPOSE 70000\n')).toBe('invalid containerPort: 70000');
    expect(graph('FROM busybox\nEXPOSE 80 443/udp 8000-8010/tcp 53/SCTP\n').stages).toHaveLength(1);
  });

  it('STOPSIGNAL names and numbers', () => {
    expect(reason('FROM busybox\nSTOPSIGNAL FOO\n')).toBe('Invalid signal: FOO');
    expect(reason('FROM busybox\nSTOPSIGNAL 0\n')).toBe('Invalid signal: 0');
    for (const ok of ['SIGTERM', 'term', 'SIGRTMIN+3', '9']) {
      expect(graph(`FROM busybox\nSTOPSIGNAL ${ok}\n`).stages).toHaveLength(1);
    }
  });

  it('but not in a stage the target skips', () => {
    const g = graph('FROM busybox AS broken\nEXPOSE abc\nFROM busybox\n');
    expect(g.skipped.map((s) => s.name)).toEqual(['broken']);
  });
});
