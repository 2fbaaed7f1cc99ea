/**
 * Any input either parses or fails with a DockerfileError (or, for the stage
 * graph, another TsbuildError such as a missing target) — never a crash, never
 * a hang. Inputs are random text over the characters that matter to the
 * syntax, and mutations of real Dockerfiles.
 */
// First: it starts counting before the code it counts is loaded.
import { work } from '../helpers/work.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DockerfileError, TsbuildError } from '../../src/errors.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { buildStageGraph } from '../../src/dockerfile/stages.js';
import { lintDockerfile } from '../../src/dockerfile/lint/index.js';

const SEEDS = [
  'FROM busybox AS base\nRUN echo hi \\\n  && echo there\nCMD ["sh", "-c", "echo"]\n',
  '# escape=`\nFROM busybox\nENV A=1 B="x y" `\n  C=$A\nCOPY --from=base a b /c/\n',
  'ARG V=1\nFROM img:$V\nRUN <<EOF cat\nhello $V\nEOF\nCOPY <<-"END" /x\n\tline\n\tEND\n',
  'FROM scratch\nONBUILD RUN echo ${x:-y}\nHEALTHCHECK --interval=5s CMD curl -f http://x/ || exit 1\nLABEL "a b"=c\n',
  'FROM a\nEXPOSE 80/tcp ${P:-443}\nVOLUME ["/a", "/b"]\nUSER 1000:1000\nWORKDIR rel\nSHELL ["/bin/bash", "-c"]\n',
];

const TRICKY = [
  '\\',
  '`',
  '"',
  "'",
  '[',
  ']',
  '{',
  '}',
  '$',
  '=',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '#',
  '<<',
  '<<-',
  'EOF',
  '--',
  '--from=',
  'RUN ',
  'FROM ',
  'ENV ',
  'COPY ',
  'ARG ',
  'ONBUILD ',
  'HEALTHCHECK ',
  '${',
  ':-',
  'a',
  'b',
  '0',
  ',',
  '\u00a0',
  '\u0085',
  '\ufeff',
];

function check(text: string): void {
  try {
    const df = parseDockerfile(text);
    try {
      lintDockerfile(df, buildStageGraph(df), { allStages: true, ownRules: true });
    } catch (e) {
      if (!(e instanceof TsbuildError)) throw e;
    }
  } catch (e) {
    if (!(e instanceof DockerfileError)) throw e;
    expect(e.span.line).toBeGreaterThanOrEqual(1);
    expect(e.render()).toContain(e.message);
  }
}

const tricky = fc
  .array(fc.constantFrom(...TRICKY), { maxLength: 60 })
  .map((parts) => parts.join(''));

const mutated = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(fc.tuple(fc.nat(), fc.nat(6), fc.constantFrom(...TRICKY)), { maxLength: 8 }),
  )
  .map(([seed, edits]) =>
    edits.reduce((s, [at, del, ins]) => {
      const i = at % (s.length + 1);
      return s.slice(0, i) + ins + s.slice(i + del);
    }, seed),
  );

describe('robustness', () => {
  it('random text over the syntax alphabet parses or fails with a DockerfileError', () => {
    fc.assert(
      fc.property(tricky, (text) => check(text)),
      { numRuns: 3000 },
    );
  });

  it('mutated Dockerfiles parse or fail with a DockerfileError', () => {
    fc.assert(
      fc.property(mutated, (text) => check(text)),
      { numRuns: 3000 },
    );
  });

  it('arbitrary unicode parses or fails with a DockerfileError', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => check(text)),
      {
        numRuns: 2000,
      },
    );
  });

  // Each at its size n and at n/8: parsing, the stage graph and lint do work
  // that grows as the input does (7.0 to 8.0 times, measured with
  // test/helpers/work.ts), never 10 times, where an O(n²) path anywhere in
  // them would take 64 times. (`${` stops at the nesting limit: no growth.)
  it.each([
    ['[', (n: number) => `RUN ${'['.repeat(n)}`, 20_000],
    ['a="', (n: number) => `ENV ${'a="'.repeat(n)}`, 10_000],
    ['continuations', (n: number) => `FROM a\nRUN ${'echo x \\\n'.repeat(n)}`, 10_000],
    ['quoted words', (n: number) => `FROM a\nCOPY ${'"x" '.repeat(n)} /d`, 10_000],
    ['heredocs', (n: number) => `FROM a\nRUN ${'<<A '.repeat(n)}\n${'A\n'.repeat(n)}`, 2_000],
    ['${', (n: number) => `FROM a\nENV X=${'${'.repeat(n)}`, 5_000],
    ['ARG pairs', (n: number) => `FROM a\nARG ${'a=b '.repeat(n)}`, 20_000],
  ])('pathological input (%s): 8 times the input takes at most 10 times the work', (_, make, n) => {
    check(make(n / 8)); // not counted: a grammar compiled, caches filled
    const small = work(() => check(make(n / 8)));
    expect(work(() => check(make(n)))).toBeLessThanOrEqual(10 * small);
  });
});
