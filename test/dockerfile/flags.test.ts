import { caught } from '../helpers/caught.js';
import { describe, expect, it } from 'vitest';
import { DockerfileError } from '../../src/errors.js';
import { FLAGS, parseFlags } from '../../src/dockerfile/flags.js';
import { DurationError, parseDuration } from '../../src/dockerfile/instructions/duration.js';
import { levenshtein, suggest } from '../../src/dockerfile/instructions/suggest.js';
import { goQuote } from '../../src/util/go-quote.js';
import { n } from './node-builder.js';

describe('FLAGS table', () => {
  it('declares each instruction once, with BuildKit’s flag names', () => {
    expect(Object.keys(FLAGS).sort()).toEqual(['ADD', 'COPY', 'FROM', 'HEALTHCHECK', 'RUN']);
    expect(Object.keys(FLAGS.COPY).sort()).toEqual([
      'chmod',
      'chown',
      'exclude',
      'from',
      'link',
      'parents',
    ]);
    expect(Object.keys(FLAGS.ADD).sort()).toEqual([
      'checksum',
      'chmod',
      'chown',
      'exclude',
      'keep-git-dir',
      'link',
    ]);
  });
});

describe('parseFlags: values', () => {
  // prettier-ignore
  const cases: Array<[string, string, Record<string, unknown>]> = [
    ['COPY a b', 'COPY', { from: undefined, chown: undefined, chmod: undefined, link: false, parents: false, exclude: [] }],
    ['COPY --link a b', 'COPY', { link: true }],
    ['COPY --link=true a b', 'COPY', { link: true }],
    ['COPY --link=FALSE a b', 'COPY', { link: false }],
    ['COPY --link=True a b', 'COPY', { link: true }],
    ['COPY --from=build a b', 'COPY', { from: 'build' }],
    ['COPY --from= a b', 'COPY', { from: '' }],
    ['COPY --chown=1:2=3 a b', 'COPY', { chown: '1:2=3' }],
    ['COPY --exclude=*.md --exclude=*.txt a b', 'COPY', { exclude: ['*.md', '*.txt'] }],
    ['COPY --exclude= a b', 'COPY', { exclude: [''] }],
    ['ADD --keep-git-dir --checksum=sha256:abc a b', 'ADD', { 'keep-git-dir': true, checksum: 'sha256:abc' }],
    ['RUN --mount=type=cache,target=/x --mount=type=tmpfs,target=/t true', 'RUN', { mount: ['type=cache,target=/x', 'type=tmpfs,target=/t'] }],
    ['FROM --platform=$BUILDPLATFORM alpine', 'FROM', { platform: '$BUILDPLATFORM' }],
    ['HEALTHCHECK --interval=5s --retries=3 CMD true', 'HEALTHCHECK', { interval: '5s', retries: '3' }],
    ['ENV a=b', 'ENV', {}],
  ];
  it.each(cases)('%s', (text, command, expected) => {
    expect(parseFlags(n(text), command).values).toMatchObject(expected);
  });

  it('records where each flag was written', () => {
    const parsed = parseFlags(n('COPY --link --from=x a b'), 'COPY');
    expect(parsed.spans.link?.col).toBe(6);
    expect(parsed.spans.from?.col).toBe(13);
    expect(parsed.spans.chown).toBeUndefined();
  });
});

describe('parseFlags: errors', () => {
  // text | command | code | reason | column | Docker's text
  // prettier-ignore
  const cases: Array<[string, string, string, string, number, string]> = [
    ['COPY --chwon=1 a b', 'COPY', 'UNKNOWN_FLAG', 'unknown flag --chwon for COPY (did you mean --chown?)', 6, 'unknown flag: chwon (did you mean chown?)'],
    ['COPY --form=x a b', 'COPY', 'UNKNOWN_FLAG', 'unknown flag --form for COPY (did you mean --from?)', 6, 'unknown flag: form (did you mean from?)'],
    ['COPY --platform=x a b', 'COPY', 'UNKNOWN_FLAG', 'unknown flag --platform for COPY', 6, 'unknown flag: platform'],
    // Case matters for flags: no suggestion for a differently cased name at distance 4.
    ['COPY --FROM=x a b', 'COPY', 'UNKNOWN_FLAG', 'unknown flag --FROM for COPY', 6, 'unknown flag: FROM'],
    ['ADD --parents a b', 'ADD', 'UNKNOWN_FLAG', 'unknown flag --parents for ADD', 5, 'unknown flag: parents'],
    // Distance 4: too far for BuildKit to suggest anything.
    ['ADD --keep-git a b', 'ADD', 'UNKNOWN_FLAG', 'unknown flag --keep-git for ADD', 5, 'unknown flag: keep-git'],
    ['ADD --keepgitdir a b', 'ADD', 'UNKNOWN_FLAG', 'unknown flag --keepgitdir for ADD (did you mean --keep-git-dir?)', 5, 'unknown flag: keepgitdir (did you mean keep-git-dir?)'],
    ['RUN --networks=none true', 'RUN', 'UNKNOWN_FLAG', 'unknown flag --networks for RUN (did you mean --network?)', 5, 'unknown flag: networks (did you mean network?)'],
    ['COPY --constructor=x a b', 'COPY', 'UNKNOWN_FLAG', 'unknown flag --constructor for COPY', 6, 'unknown flag: constructor'],
    ['WORKDIR --foo /x', 'WORKDIR', 'UNKNOWN_FLAG', 'WORKDIR takes no flags, got --foo', 9, 'unknown flag: foo'],
    ['HEALTHCHECK --intervals=1s CMD x', 'HEALTHCHECK', 'UNKNOWN_FLAG', 'unknown flag --intervals for HEALTHCHECK (did you mean --interval?)', 13, 'unknown flag: intervals (did you mean interval?)'],
    ['COPY --from a b', 'COPY', 'FLAG_VALUE_REQUIRED', 'COPY --from requires a value', 6, 'missing a value on flag: from'],
    ['COPY --exclude a b', 'COPY', 'FLAG_VALUE_REQUIRED', 'COPY --exclude requires a value', 6, 'missing a value on flag: exclude'],
    ['COPY --link= a b', 'COPY', 'FLAG_VALUE_REQUIRED', 'COPY --link= requires true or false', 6, 'missing a value on flag: link'],
    ['COPY --link=yes a b', 'COPY', 'BAD_FLAG_VALUE', 'COPY --link expects true or false, not "yes"', 6, 'expecting boolean value for flag link, not: yes'],
    ['COPY --from=a --from=b a b', 'COPY', 'DUPLICATE_FLAG', 'COPY --from can only be given once', 15, 'duplicate flag specified: from'],
    ['COPY --link --link=false a b', 'COPY', 'DUPLICATE_FLAG', 'COPY --link can only be given once', 13, 'duplicate flag specified: link'],
    // The first mistake wins, in the order written.
    ['COPY --bogus --from a b', 'COPY', 'UNKNOWN_FLAG', 'unknown flag --bogus for COPY', 6, 'unknown flag: bogus'],
    ['COPY --from --bogus a b', 'COPY', 'FLAG_VALUE_REQUIRED', 'COPY --from requires a value', 6, 'missing a value on flag: from'],
  ];
  it.each(cases)('%s', (text, command, code, reason, col, docker) => {
    const e = caught(() => parseFlags(n(text), command), DockerfileError);
    expect(e.code).toBe(code);
    expect(e.reason).toBe(reason);
    expect(e.span.col).toBe(col);
    expect(e.data.docker).toBe(docker);
  });
});

describe('suggest (BuildKit util/suggest)', () => {
  // prettier-ignore
  const cases: Array<[string, string[], boolean, string | undefined]> = [
    ['FORM', ['COPY', 'FROM', 'RUN'], false, 'FROM'],
    ['form', ['COPY', 'FROM', 'RUN'], false, 'from'],
    ['Form', ['COPY', 'FROM', 'RUN'], false, 'FROM'],
    ['FOO', ['FROM'], false, 'FROM'],
    ['XYZZY', ['FROM', 'RUN'], false, undefined],
    // An exact match means the error was about something else.
    ['run', ['RUN', 'RUX'], false, undefined],
    // chmod and chown are both 2 away (Docker picks either); a swap makes chown the better guess.
    ['chwon', ['chmod', 'chown'], true, 'chown'],
    ['chmdo', ['chmod', 'chown'], true, 'chmod'],
    ['Chown', ['chown'], true, 'chown'],
    ['CHOWN', ['chown'], true, undefined],
  ];
  it.each(cases)('%s among %j', (value, options, caseSensitive, expected) => {
    expect(suggest(value, options, caseSensitive)).toBe(expected);
  });

  it.each([
    ['', '', 0],
    ['kitten', 'sitting', 3],
    ['FOO', 'FROM', 2],
    ['µs', 'us', 1],
  ])('levenshtein(%j, %j) = %i', (a, b, d) => {
    expect(levenshtein(a, b)).toBe(d);
  });
});

describe('goQuote (strconv.Quote)', () => {
  it.each([
    ['Foo!', '"Foo!"'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    ['tab\there\n', '"tab\\there\\n"'],
    ['\x00\x7f', '"\\x00\\x7f"'],
    ['été', '"été"'],
    ['\u00a0', '"\\u00a0"'],
    ['\u{e0001}', '"\\U000e0001"'],
  ])('%j → %s', (input, expected) => {
    expect(goQuote(input)).toBe(expected);
  });
});

describe('parseDuration (Go time.ParseDuration)', () => {
  const S = 1_000_000_000n;
  const MS = 1_000_000n;
  const MIN = 60n * S;
  const H = 60n * MIN;
  // Go's own table from time_test.go.
  // prettier-ignore
  const valid: Array<[string, bigint]> = [
    ['0', 0n],
    ['5s', 5n * S],
    ['30s', 30n * S],
    ['1478s', 1478n * S],
    ['-5s', -5n * S],
    ['+5s', 5n * S],
    ['-0', 0n],
    ['+0', 0n],
    ['5.0s', 5n * S],
    ['5.6s', 5n * S + 600n * MS],
    ['5.s', 5n * S],
    ['.5s', 500n * MS],
    ['1.0s', S],
    ['1.00s', S],
    ['1.004s', S + 4n * MS],
    ['1.0040s', S + 4n * MS],
    ['100.00100s', 100n * S + MS],
    ['10ns', 10n],
    ['11us', 11_000n],
    ['12µs', 12_000n],
    ['12μs', 12_000n],
    ['13ms', 13n * MS],
    ['14s', 14n * S],
    ['15m', 15n * MIN],
    ['16h', 16n * H],
    ['3h30m', 3n * H + 30n * MIN],
    ['10.5s4m', 4n * MIN + 10n * S + 500n * MS],
    ['-2m3.4s', -(2n * MIN + 3n * S + 400n * MS)],
    ['1h2m3s4ms5us6ns', H + 2n * MIN + 3n * S + 4n * MS + 5_000n + 6n],
    ['39h9m14.425s', 39n * H + 9n * MIN + 14n * S + 425n * MS],
    ['52763797000ns', 52763797000n],
    ['0.3333333333333333333h', 20n * MIN],
    ['9007199254740993ns', (1n << 53n) + 1n],
    ['9223372036854775807ns', (1n << 63n) - 1n],
    ['9223372036854775.807us', (1n << 63n) - 1n],
    ['9223372036s854ms775us807ns', (1n << 63n) - 1n],
    ['-9223372036854775808ns', -(1n << 63n)],
    ['-9223372036854775.808us', -(1n << 63n)],
    ['-9223372036s854ms775us808ns', -(1n << 63n)],
    ['-2562047h47m16.854775808s', -(1n << 63n)],
    ['0.100000000000000000000h', 6n * MIN],
    ['0.830103483285477580700h', 49n * MIN + 48n * S + 372539827n],
    // The brief's examples.
    ['1m30s', 90n * S],
    ['1.5h', 90n * MIN],
    ['300ms', 300n * MS],
    ['2us', 2_000n],
  ];
  it.each(valid)('%s', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  // prettier-ignore
  const invalid: Array<[string, string]> = [
    ['', 'time: invalid duration ""'],
    ['3', 'time: missing unit in duration "3"'],
    ['-', 'time: invalid duration "-"'],
    ['s', 'time: invalid duration "s"'],
    ['.', 'time: invalid duration "."'],
    ['-.', 'time: invalid duration "-."'],
    ['.s', 'time: invalid duration ".s"'],
    ['+.s', 'time: invalid duration "+.s"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['1constructor', 'time: unknown unit "constructor" in duration "1constructor"'],
    ['1.5', 'time: missing unit in duration "1.5"'],
    ['5 s', 'time: unknown unit " s" in duration "5 s"'],
    ['1µ', 'time: unknown unit "\\xc2\\xb5" in duration "1\\xc2\\xb5"'],
    ['\uFFFD', 'time: invalid duration "\\xef\\xbf\\xbd"'],
    ['9223372036854775810ns', 'time: invalid duration "9223372036854775810ns"'],
    ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
    ['-9223372036854775809ns', 'time: invalid duration "-9223372036854775809ns"'],
    ['9223372036854776us', 'time: invalid duration "9223372036854776us"'],
    ['3000000h', 'time: invalid duration "3000000h"'],
    ['9223372036854775.808us', 'time: invalid duration "9223372036854775.808us"'],
    ['9223372036854ms775us808ns', 'time: invalid duration "9223372036854ms775us808ns"'],
  ];
  it.each(invalid)('%j fails', (input, message) => {
    expect(() => parseDuration(input)).toThrow(DurationError);
    expect(() => parseDuration(input)).toThrow(message);
  });
});
