import { caught } from '../helpers/caught.js';
import { describe, expect, it } from 'vitest';
import { DockerfileError } from '../../src/errors.js';
import { INSTRUCTION_KINDS, type Instruction } from '../../src/dockerfile/ast.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { toInstruction } from '../../src/dockerfile/instructions.js';
import { n, type NodeOptions } from './node-builder.js';

const S = 1_000_000_000;
const word = (value: string, col: number) => ({
  value,
  span: expect.objectContaining({ col, endCol: col + value.length }),
});

type Valid = [text: string, expected: Record<string, unknown>, opts?: NodeOptions];

/** Each case: the line, then what the instruction must contain. */
// prettier-ignore
const valid: Record<string, Valid[]> = {
  FROM: [
    ['FROM alpine', { kind: 'FROM', image: 'alpine', imageSpan: expect.objectContaining({ col: 6 }), stageName: undefined, platform: undefined }],
    ['FROM alpine AS Build', { stageName: 'build', stageNameAsWritten: 'Build' }],
    ['from alpine as build', { kind: 'FROM', stageName: 'build' }],
    ['FROM a AS My.Stage_1-x', { stageName: 'my.stage_1-x' }],
    // strings.EqualFold: U+017F folds to s.
    ['FROM a aſ b', { stageName: 'b' }],
    // strings.ToLower maps U+0130 to a plain i: a valid name.
    ['FROM a AS İ', { stageName: 'i', stageNameAsWritten: 'İ' }],
    ['FROM --platform=linux/arm64 alpine', { platform: 'linux/arm64' }],
    ['FROM --platform= alpine', { platform: undefined }],
  ],
  RUN: [
    ['RUN echo hi', { kind: 'RUN', command: { form: 'shell', script: 'echo hi' }, mounts: [], network: undefined, security: undefined }],
    ['RUN ["echo", "hi"]', { command: { form: 'exec', argv: ['echo', 'hi'] } }],
    ['RUN', { command: { form: 'shell', script: '' } }],
    ['RUN [oops', { command: { form: 'shell', script: '[oops' } }],
    ['RUN --network=none --security=insecure --mount=type=cache,target=/x true', { network: 'none', security: 'insecure', mounts: ['type=cache,target=/x'] }],
    ['RUN <<EOF', { command: { form: 'shell', script: '<<EOF' }, heredocs: [expect.objectContaining({ name: 'EOF', content: 'echo hi\n' })] }, { heredocs: [{ name: 'EOF', content: 'echo hi\n' }] }],
  ],
  CMD: [
    ['CMD ["app", "-x"]', { kind: 'CMD', command: { form: 'exec', argv: ['app', '-x'] } }],
    ['CMD []', { command: { form: 'exec', argv: [] } }],
    ['CMD', { command: { form: 'shell', script: '' } }],
    ['CMD app -x', { command: { form: 'shell', script: 'app -x' } }],
  ],
  ENTRYPOINT: [
    ['ENTRYPOINT ["app"]', { kind: 'ENTRYPOINT', command: { form: 'exec', argv: ['app'] } }],
    ['ENTRYPOINT', { command: { form: 'shell', script: '' } }],
    // Go's strings.ToLower maps U+0130 to a plain i, so Docker knows this keyword.
    ['ENTRYPOİNT', { kind: 'ENTRYPOINT' }],
  ],
  SHELL: [['SHELL ["bash", "-c"]', { kind: 'SHELL', argv: ['bash', '-c'] }]],
  ENV: [
    ['ENV a=1 b="x"', { kind: 'ENV', legacy: false, pairs: [expect.objectContaining({ key: 'a', value: '1' }), expect.objectContaining({ key: 'b', value: '"x"' })] }],
    ['ENV a 1 2', { legacy: true, pairs: [expect.objectContaining({ key: 'a', value: '1 2' })] }],
  ],
  LABEL: [
    ['LABEL a=1', { kind: 'LABEL', legacy: false, pairs: [expect.objectContaining({ key: 'a', value: '1' })] }],
  ],
  ARG: [
    ['ARG a', { kind: 'ARG', args: [{ key: 'a', value: undefined, span: expect.objectContaining({ col: 5 }) }] }],
    ['ARG a=1 b="x" c= d', { args: [expect.objectContaining({ key: 'a', value: '1' }), expect.objectContaining({ key: 'b', value: '"x"' }), expect.objectContaining({ key: 'c', value: '' }), expect.objectContaining({ key: 'd', value: undefined })] }],
    ['ARG a==b', { args: [expect.objectContaining({ key: 'a', value: '=b' })] }],
    // BuildKit never reads ARG's flags.
    ['ARG --bogus=1 a', { args: [expect.objectContaining({ key: 'a' })] }],
  ],
  MAINTAINER: [['MAINTAINER Jane Doe <j@x>', { kind: 'MAINTAINER', maintainer: 'Jane Doe <j@x>' }]],
  // The rest of the line is one argument: "exactly one" fails only when it is empty.
  USER: [['USER app user', { kind: 'USER', user: 'app user' }]],
  WORKDIR: [['WORKDIR /a b', { kind: 'WORKDIR', path: '/a b' }]],
  STOPSIGNAL: [
    ['STOPSIGNAL SIGTERM', { kind: 'STOPSIGNAL', signal: 'SIGTERM' }],
    // BuildKit never reads STOPSIGNAL's flags.
    ['STOPSIGNAL --bogus SIGKILL', { signal: 'SIGKILL' }],
  ],
  EXPOSE: [
    ['EXPOSE 80/tcp 443 8080', { kind: 'EXPOSE', ports: [word('443', 15), word('80/tcp', 8), word('8080', 19)] }],
  ],
  VOLUME: [
    ['VOLUME /a /b', { kind: 'VOLUME', paths: [word('/a', 8), word('/b', 11)] }],
    ['VOLUME ["/a", " /b c "]', { paths: [expect.objectContaining({ value: '/a' }), expect.objectContaining({ value: '/b c' })] }],
  ],
  COPY: [
    ['COPY a b /dst', { kind: 'COPY', sources: [word('a', 6), word('b', 8)], dest: word('/dst', 10), inline: [], from: undefined, chown: undefined, chmod: undefined, link: false, parents: false, exclude: [] }],
    ['COPY --from=build --chown=1:1 --chmod=755 --link --parents --exclude=*.md --exclude=x a /d', { from: 'build', chown: '1:1', chmod: '755', link: true, parents: true, exclude: ['*.md', 'x'] }],
    ['COPY --from= --chown= a /d', { from: undefined, chown: undefined }],
    ['COPY ["a b", "/d"]', { sources: [expect.objectContaining({ value: 'a b' })], dest: expect.objectContaining({ value: '/d' }) }],
    ['COPY <<EOF /dst', { sources: [], inline: [{ name: 'EOF', content: 'hi\n', expand: true }] }, { heredocs: [{ name: 'EOF', content: 'hi\n' }] }],
    ['COPY <<-EOF /dst', { inline: [{ name: 'EOF', content: 'hi\n  x\n', expand: true }] }, { heredocs: [{ name: 'EOF', content: '\t\thi\n\t  x\n', chomp: true }] }],
    ['COPY <<"EOF" /dst', { inline: [{ name: 'EOF', content: '$x\n', expand: false }] }, { heredocs: [{ name: 'EOF', content: '$x\n', expand: false }] }],
    ['COPY a <<A <<B /dst', { sources: [word('a', 6)], inline: [expect.objectContaining({ name: 'A', content: '1\n' }), expect.objectContaining({ name: 'B', content: '2\n' })] }, { heredocs: [{ name: 'A', content: '1\n' }, { name: 'B', content: '2\n' }] }],
    // BuildKit reads heredoc words even in JSON form, where the line opens none: an empty file.
    ['COPY ["<<EOF", "/d"]', { sources: [], inline: [{ name: 'EOF', content: '', expand: true }] }],
  ],
  ADD: [
    ['ADD --checksum=sha256:abc --keep-git-dir=true --link https://x/y.tar /d', { kind: 'ADD', checksum: 'sha256:abc', keepGitDir: true, link: true, sources: [word('https://x/y.tar', 54)] }],
    ['ADD a b', { checksum: undefined, keepGitDir: false, exclude: [] }],
  ],
  HEALTHCHECK: [
    ['HEALTHCHECK NONE', { kind: 'HEALTHCHECK', test: ['NONE'], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 }],
    ['healthcheck none', { test: ['NONE'] }],
    // NONE reads no flags at all, so none of them is checked.
    ['HEALTHCHECK --interval=bogus --bogus NONE', { test: ['NONE'], interval: 0 }],
    ['HEALTHCHECK NONE []', { test: ['NONE'] }],
    ['HEALTHCHECK CMD curl -f http://x/', { test: ['CMD-SHELL', 'curl -f http://x/'] }],
    ['HEALTHCHECK cmd ["curl", "-f"]', { test: ['CMD', 'curl', '-f'] }],
    ['HEALTHCHECK --interval=1m30s --timeout=3s --start-period=0s --start-interval=1.5ms --retries=3 CMD true', { interval: 90 * S, timeout: 3 * S, startPeriod: 0, startInterval: 1_500_000, retries: 3 }],
    ['HEALTHCHECK --interval= --retries= CMD true', { interval: 0, retries: 0 }],
    ['HEALTHCHECK --retries=0 --timeout=0 CMD true', { retries: 0, timeout: 0 }],
    ['HEALTHCHECK --retries=+2 --interval=1ms CMD true', { retries: 2, interval: 1_000_000 }],
  ],
  ONBUILD: [
    ['ONBUILD RUN echo hi', { kind: 'ONBUILD', expression: 'RUN echo hi', trigger: expect.objectContaining({ kind: 'RUN', command: { form: 'shell', script: 'echo hi' } }) }],
    ['onbuild   copy a b', { expression: 'copy a b', trigger: expect.objectContaining({ kind: 'COPY' }) }],
    // Docker accepts triggers that will only fail in the child image.
    ['ONBUILD FOO bar', { expression: 'FOO bar', trigger: undefined }],
    ['ONBUILD COPY onlyone', { expression: 'COPY onlyone', trigger: undefined }],
    ['ONBUILD RUN <<EOF', { expression: 'RUN <<EOF\necho hi\nEOF', trigger: expect.objectContaining({ kind: 'RUN', heredocs: [expect.objectContaining({ name: 'EOF' })] }) }, { heredocs: [{ name: 'EOF', content: 'echo hi\n' }] }],
  ],
};

describe('toInstruction: accepted', () => {
  for (const [kind, cases] of Object.entries(valid)) {
    describe(kind, () => {
      it.each(cases)('%s', (text, expected, opts) => {
        const ins: Instruction = toInstruction(n(text, opts));
        expect(ins).toMatchObject(expected);
        expect(ins.original).toBe(text);
        expect(ins.span.line).toBe(1);
      });
    });
  }
});

// line | code | reason | column | Docker's text when ours differs
type Invalid = [text: string, code: string, reason: string, col: number, docker?: string];

// prettier-ignore
const invalid: Invalid[] = [
  ['FORM alpine', 'UNKNOWN_INSTRUCTION', 'unknown instruction: FORM (did you mean FROM?)', 1],
  ['form alpine', 'UNKNOWN_INSTRUCTION', 'unknown instruction: form (did you mean from?)', 1],
  ['foo bar', 'UNKNOWN_INSTRUCTION', 'unknown instruction: foo (did you mean from?)', 1],
  ['  XYZZY a', 'UNKNOWN_INSTRUCTION', 'unknown instruction: XYZZY', 3],
  ['FROM', 'ARG_COUNT', 'FROM requires either one or three arguments', 1],
  ['FROM a b', 'ARG_COUNT', 'FROM requires either one or three arguments', 6],
  ['FROM a b c', 'ARG_COUNT', 'FROM requires either one or three arguments', 6],
  // Arguments are counted before flags are read.
  ['FROM --bogus a b', 'ARG_COUNT', 'FROM requires either one or three arguments', 14],
  ['FROM --bogus a', 'UNKNOWN_FLAG', 'unknown flag --bogus for FROM', 6, 'unknown flag: bogus'],
  ['FROM a AS 1x', 'BAD_STAGE_NAME', 'invalid name for build stage: "1x", name can\'t start with a number or contain symbols', 11],
  ['FROM a AS b!c', 'BAD_STAGE_NAME', 'invalid name for build stage: "b!c", name can\'t start with a number or contain symbols', 11],
  ['RUN --network=bridge true', 'BAD_FLAG_VALUE', 'RUN --network must be one of default, none, host, not "bridge"', 5, 'invalid network mode "bridge"'],
  ['RUN --network= true', 'BAD_FLAG_VALUE', 'RUN --network must be one of default, none, host, not ""', 5, 'invalid network mode ""'],
  ['RUN --security=root true', 'BAD_FLAG_VALUE', 'RUN --security must be one of sandbox, insecure, not "root"', 5, 'security "root" is not valid'],
  ['RUN --network=x --bogus true', 'UNKNOWN_FLAG', 'unknown flag --bogus for RUN', 17, 'unknown flag: bogus'],
  ['RUN --mount true', 'FLAG_VALUE_REQUIRED', 'RUN --mount requires a value', 5, 'missing a value on flag: mount'],
  ['CMD --foo x', 'UNKNOWN_FLAG', 'CMD takes no flags, got --foo', 5, 'unknown flag: foo'],
  ['SHELL bash -c', 'NOT_JSON', 'SHELL requires the arguments to be in JSON form', 7],
  ['SHELL []', 'ARG_COUNT', 'SHELL requires at least one argument', 1],
  ['SHELL', 'ARG_COUNT', 'SHELL requires at least one argument', 1],
  ['ENV', 'ARG_COUNT', 'ENV requires at least one argument', 1],
  ['ENV =x', 'BLANK_NAME', 'ENV names can not be blank', 5],
  ['LABEL a=1 =2', 'BLANK_NAME', 'LABEL names can not be blank', 11],
  ['LABEL --x a=1', 'UNKNOWN_FLAG', 'LABEL takes no flags, got --x', 7, 'unknown flag: x'],
  ['ARG', 'ARG_COUNT', 'ARG requires at least one argument', 1],
  ['ARG a =x', 'BLANK_NAME', 'ARG names can not be blank', 7],
  ['MAINTAINER', 'ARG_COUNT', 'MAINTAINER requires exactly one argument', 1],
  ['MAINTAINER --boo joe@example.com', 'UNKNOWN_FLAG', 'MAINTAINER takes no flags, got --boo', 12, 'unknown flag: boo'],
  ['USER', 'ARG_COUNT', 'USER requires exactly one argument', 1],
  ['WORKDIR', 'ARG_COUNT', 'WORKDIR requires exactly one argument', 1],
  ['STOPSIGNAL', 'ARG_COUNT', 'STOPSIGNAL requires exactly one argument', 1],
  ['EXPOSE', 'ARG_COUNT', 'EXPOSE requires at least one argument', 1],
  ['EXPOSE --x 80', 'UNKNOWN_FLAG', 'EXPOSE takes no flags, got --x', 8, 'unknown flag: x'],
  ['VOLUME', 'ARG_COUNT', 'VOLUME requires at least one argument', 1],
  ['VOLUME []', 'ARG_COUNT', 'VOLUME requires at least one argument', 1],
  ['VOLUME ["/a", " "]', 'EMPTY_VOLUME', 'VOLUME specified can not be an empty string', 8],
  ['COPY a', 'ARG_COUNT', 'COPY requires at least two arguments, but only one was provided. Destination could not be determined', 6],
  ['COPY', 'ARG_COUNT', 'COPY requires at least two arguments: a source and a destination', 1, 'COPY requires at least two arguments, but only one was provided. Destination could not be determined'],
  ['COPY --bogus a', 'ARG_COUNT', 'COPY requires at least two arguments, but only one was provided. Destination could not be determined', 14],
  ['COPY a <<EOF', 'HEREDOC_NOT_ALLOWED', 'COPY cannot accept a heredoc as a destination', 8],
  ['COPY --keep-git-dir a b', 'UNKNOWN_FLAG', 'unknown flag --keep-git-dir for COPY', 6, 'unknown flag: keep-git-dir'],
  ['COPY --from a b', 'FLAG_VALUE_REQUIRED', 'COPY --from requires a value', 6, 'missing a value on flag: from'],
  ['ADD x', 'ARG_COUNT', 'ADD requires at least two arguments, but only one was provided. Destination could not be determined', 5],
  ['ADD --parents a b', 'UNKNOWN_FLAG', 'unknown flag --parents for ADD', 5, 'unknown flag: parents'],
  ['ADD a 3<<EOF', 'HEREDOC_NOT_ALLOWED', 'ADD cannot accept a heredoc as a destination', 7],
  ['HEALTHCHECK', 'ARG_COUNT', 'HEALTHCHECK requires at least one argument', 1],
  ['HEALTHCHECK NONE x', 'BAD_HEALTHCHECK', 'HEALTHCHECK NONE takes no arguments', 18],
  ['HEALTHCHECK FOO x', 'BAD_HEALTHCHECK', 'Unknown type "FOO" in HEALTHCHECK (try CMD)', 13],
  ['HEALTHCHECK ß x', 'BAD_HEALTHCHECK', 'Unknown type "ß" in HEALTHCHECK (try CMD)', 13],
  ['HEALTHCHECK CMD', 'BAD_HEALTHCHECK', 'Missing command after HEALTHCHECK CMD', 13],
  ['HEALTHCHECK CMD []', 'BAD_HEALTHCHECK', 'Missing command after HEALTHCHECK CMD', 13],
  // Flags are read before the type is checked, values after.
  ['HEALTHCHECK --bogus FOO', 'UNKNOWN_FLAG', 'unknown flag --bogus for HEALTHCHECK', 13, 'unknown flag: bogus'],
  ['HEALTHCHECK --interval=bogus FOO', 'BAD_HEALTHCHECK', 'Unknown type "FOO" in HEALTHCHECK (try CMD)', 30],
  ['HEALTHCHECK --interval=5 CMD true', 'BAD_DURATION', 'HEALTHCHECK --interval: time: missing unit in duration "5"', 13, 'time: missing unit in duration "5"'],
  ['HEALTHCHECK --timeout=x --interval=1d CMD true', 'BAD_DURATION', 'HEALTHCHECK --interval: time: unknown unit "d" in duration "1d"', 25, 'time: unknown unit "d" in duration "1d"'],
  ['HEALTHCHECK --timeout=500us CMD true', 'BAD_DURATION', 'HEALTHCHECK --timeout cannot be less than 1ms, got "500us"', 13, 'Interval "timeout" cannot be less than 1ms'],
  ['HEALTHCHECK --start-period=-1s CMD true', 'BAD_DURATION', 'HEALTHCHECK --start-period cannot be less than 1ms, got "-1s"', 13, 'Interval "start-period" cannot be less than 1ms'],
  ['HEALTHCHECK --start-interval=999999ns CMD true', 'BAD_DURATION', 'HEALTHCHECK --start-interval cannot be less than 1ms, got "999999ns"', 13, 'Interval "start-interval" cannot be less than 1ms'],
  ['HEALTHCHECK --retries=-1 CMD true', 'BAD_RETRIES', 'HEALTHCHECK --retries cannot be negative (-1)', 13, '--retries cannot be negative (-1)'],
  ['HEALTHCHECK --retries=x CMD true', 'BAD_RETRIES', 'HEALTHCHECK --retries must be a whole number, not "x"', 13, 'strconv.ParseInt: parsing "x": invalid syntax'],
  ['HEALTHCHECK --retries=1.5 CMD true', 'BAD_RETRIES', 'HEALTHCHECK --retries must be a whole number, not "1.5"', 13, 'strconv.ParseInt: parsing "1.5": invalid syntax'],
  ['HEALTHCHECK --retries=2147483648 CMD true', 'BAD_RETRIES', 'HEALTHCHECK --retries is out of range: "2147483648"', 13, 'strconv.ParseInt: parsing "2147483648": value out of range'],
  ['HEALTHCHECK --retries=99999999999x CMD true', 'BAD_RETRIES', 'HEALTHCHECK --retries is out of range: "99999999999x"', 13, 'strconv.ParseInt: parsing "99999999999x": value out of range'],
  ['HEALTHCHECK --retries=-2147483648 CMD true', 'BAD_RETRIES', 'HEALTHCHECK --retries cannot be negative (-2147483648)', 13, '--retries cannot be negative (-2147483648)'],
  ['ONBUILD', 'ARG_COUNT', 'ONBUILD requires at least one argument', 1],
  ['ONBUILD ONBUILD RUN x', 'ONBUILD_TRIGGER', "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", 9],
  ['ONBUILD FROM scratch', 'ONBUILD_TRIGGER', "FROM isn't allowed as an ONBUILD trigger", 9],
  ['ONBUILD maintainer docker.io', 'ONBUILD_TRIGGER', "MAINTAINER isn't allowed as an ONBUILD trigger", 9],
  ['ONBUILD --x RUN y', 'UNKNOWN_FLAG', 'ONBUILD takes no flags, got --x', 9, 'unknown flag: x'],
];

describe('toInstruction: refused', () => {
  it.each(invalid)('%s', (text, code, reason, col, docker) => {
    const e = caught(() => toInstruction(n(text, { line: 7 })), DockerfileError);
    expect(e.code).toBe(code);
    expect(e.reason).toBe(reason);
    expect(e.span).toMatchObject({ line: 7, col });
    expect(e.message).toBe(`Dockerfile:7:${col}: ${reason}`);
    if (docker !== undefined) expect(e.data.docker).toBe(docker);
  });

  it('names the suggestion in data, for the hint the caller adds', () => {
    expect(caught(() => toInstruction(n('FORM a')), DockerfileError).data.suggestion).toBe('FROM');
    expect(
      caught(() => toInstruction(n('&& make')), DockerfileError).data.suggestion,
    ).toBeUndefined();
  });
});

it('has accepted cases for every instruction kind', () => {
  expect(Object.keys(valid).sort()).toEqual([...INSTRUCTION_KINDS].sort());
});

describe('end to end, through the real line parser', () => {
  it('types a whole Dockerfile', () => {
    const text = [
      'FROM --platform=$BUILDPLATFORM golang:1.22 AS Build',
      'COPY --from=build --chown=1:1 a b /dst',
      'RUN --network=none echo hi',
      'USER app user',
      'HEALTHCHECK --interval=30s CMD ["curl", "-f"]',
      'ONBUILD RUN echo child',
      'COPY <<EOF /greeting',
      'hello',
      'EOF',
      '',
    ].join('\n');
    const { instructions } = parseDockerfile(text, { file: 'Dockerfile' });
    expect(instructions.map((i) => i.kind)).toEqual([
      'FROM',
      'COPY',
      'RUN',
      'USER',
      'HEALTHCHECK',
      'ONBUILD',
      'COPY',
    ]);
    expect(instructions[0]).toMatchObject({
      image: 'golang:1.22',
      stageName: 'build',
      platform: '$BUILDPLATFORM',
    });
    expect(instructions[1]).toMatchObject({
      from: 'build',
      chown: '1:1',
      dest: { value: '/dst', span: { line: 2, col: 35 } },
    });
    expect(instructions[2]).toMatchObject({
      network: 'none',
      command: { form: 'shell', script: 'echo hi' },
    });
    expect(instructions[3]).toMatchObject({ user: 'app user' });
    expect(instructions[4]).toMatchObject({ test: ['CMD', 'curl', '-f'], interval: 30 * S });
    expect(instructions[5]).toMatchObject({
      expression: 'RUN echo child',
      trigger: { kind: 'RUN' },
    });
    expect(instructions[6]).toMatchObject({
      sources: [],
      inline: [{ name: 'EOF', content: 'hello\n', expand: true }],
    });
  });

  it.each([
    ['FROM a\nCOPY --chwon=1 a b\n', 'UNKNOWN_FLAG', 2, 6, 'COPY --chwon=1 a b'],
    ['FROM a\n  COPY  onlyone\n', 'ARG_COUNT', 2, 9, '  COPY  onlyone'],
    ['FROM a AS 1st\n', 'BAD_STAGE_NAME', 1, 11, 'FROM a AS 1st'],
    [
      'FROM a\nHEALTHCHECK --retries=x CMD true\n',
      'BAD_RETRIES',
      2,
      13,
      'HEALTHCHECK --retries=x CMD true',
    ],
  ])('%j fails at the spot', (text, code, line, col, sourceLine) => {
    const e = caught(() => parseDockerfile(text, { file: 'Dockerfile' }), DockerfileError);
    expect(e.code).toBe(code);
    expect(e.span).toMatchObject({ line, col });
    expect(e.sourceLine).toBe(sourceLine);
  });
});
