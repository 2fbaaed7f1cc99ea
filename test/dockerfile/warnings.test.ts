import { describe, expect, it } from 'vitest';
import { toInstruction } from '../../src/dockerfile/instructions.js';
import { lintInstructions } from '../../src/dockerfile/warnings.js';
import { n } from './node-builder.js';

/** The warnings for a Dockerfile given as lines, as `rule@line: message`. */
function lint(text: string): string[] {
  const lines = text.split('\n');
  const list = lines.map((line, i) => toInstruction(n(line, { line: i + 1 })));
  return lintInstructions(list).map((w) => `${w.rule}@${w.span.line}: ${w.message}`);
}

const JSON_ARGS = 'to prevent unintended behavior related to OS signals';
const MULTIPLE =
  'instructions should not be used in the same stage because only the last one will be used';

// Dockerfile | expected warnings, in the order found
// prettier-ignore
const cases: Array<[string, string[]]> = [
  ['FROM a\nCMD ["x"]', []],
  ['FROM a AS Build', ["StageNameCasing@1: Stage name 'Build' should be lowercase"]],
  ['FROM a as b', ["FromAsCasing@1: 'as' and 'FROM' keywords' casing do not match"]],
  ['from a AS b', ["FromAsCasing@1: 'AS' and 'from' keywords' casing do not match"]],
  ['FROM a As b', ["FromAsCasing@1: 'As' and 'FROM' keywords' casing do not match"]],
  // A mixed-case FROM is another rule's business.
  ['From a as b', []],
  ['FROM a AS b\nfrom c as d', []],
  ['FROM a as Bad', ["StageNameCasing@1: Stage name 'Bad' should be lowercase", "FromAsCasing@1: 'as' and 'FROM' keywords' casing do not match"]],
  ['FROM a\nMAINTAINER me', ['MaintainerDeprecated@2: Maintainer instruction is deprecated in favor of using label']],
  ['FROM a\nENV k v', ['LegacyKeyValueFormat@2: "ENV key=value" should be used instead of legacy "ENV key value" format']],
  ['FROM a\nlabel k v', ['LegacyKeyValueFormat@2: "label key=value" should be used instead of legacy "label key value" format']],
  ['FROM a\nENV k=v\nLABEL k=v', []],
  ['FROM a\nCMD app -x', [`JSONArgsRecommended@2: JSON arguments recommended for CMD ${JSON_ARGS}`]],
  ['FROM a\nentrypoint app', [`JSONArgsRecommended@2: JSON arguments recommended for entrypoint ${JSON_ARGS}`]],
  ['FROM a\nCMD', [`JSONArgsRecommended@2: JSON arguments recommended for CMD ${JSON_ARGS}`]],
  // A SHELL in the stage, or in the stage it is built on, means the shell form is meant.
  ['FROM a\nSHELL ["bash", "-c"]\nCMD app', []],
  ['FROM a AS base\nSHELL ["bash", "-c"]\nFROM base\nCMD app', []],
  ['FROM a AS base\nSHELL ["bash", "-c"]\nFROM other\nCMD app', [`JSONArgsRecommended@4: JSON arguments recommended for CMD ${JSON_ARGS}`]],
  ['FROM a\nRUN make', []],
  ['FROM a\nCMD ["a"]\nCMD ["b"]\nCMD ["c"]', [`MultipleInstructionsDisallowed@2: Multiple CMD ${MULTIPLE}`, `MultipleInstructionsDisallowed@3: Multiple CMD ${MULTIPLE}`]],
  ['FROM a\nENTRYPOINT ["a"]\nHEALTHCHECK NONE\nentrypoint ["b"]\nHEALTHCHECK CMD ["x"]', [`MultipleInstructionsDisallowed@2: Multiple ENTRYPOINT ${MULTIPLE}`, `MultipleInstructionsDisallowed@3: Multiple HEALTHCHECK ${MULTIPLE}`]],
  // Counted per stage.
  ['FROM a\nCMD ["a"]\nFROM b\nCMD ["b"]', []],
  ['FROM a\nCMD ["app", \'x\']', [`JSONArgsRecommended@2: JSON arguments recommended for CMD ${JSON_ARGS}`, 'InvalidJSONArgs@2: CMD arguments start with "[" but are not a JSON array of strings, so they run as a shell command']],
  ['FROM a\nRUN [oops', ['InvalidJSONArgs@2: RUN arguments start with "[" but are not a JSON array of strings, so they run as a shell command']],
  ['FROM a\nHEALTHCHECK CMD [x', ['InvalidJSONArgs@2: HEALTHCHECK arguments start with "[" but are not a JSON array of strings, so they run as a shell command']],
  ['FROM a\nCOPY [a, /b]', ['InvalidJSONArgs@2: COPY arguments start with "[" but are not a JSON array of strings, so they are split on whitespace']],
  ['FROM a\nVOLUME [/data', ['InvalidJSONArgs@2: VOLUME arguments start with "[" but are not a JSON array of strings, so they are split on whitespace']],
  // Valid JSON whose first item starts with "[" is fine.
  ['FROM a\nCOPY ["[a", "/b"]\nVOLUME ["[x"]\nRUN ["[", "x"]', []],
];

describe('lintInstructions', () => {
  it.each(cases)('%j', (text, expected) => {
    expect(lint(text)).toEqual(expected);
  });

  it('points each warning at the instruction, and a repeated one at the earlier', () => {
    const list = ['FROM a AS Build', 'CMD x', 'CMD ["y"]'].map((l, i) =>
      toInstruction(n(l, { line: i + 1 })),
    );
    const warnings = lintInstructions(list);
    expect(warnings.map((w) => [w.rule, w.span.line, w.span.col])).toEqual([
      ['StageNameCasing', 1, 1],
      ['JSONArgsRecommended', 2, 1],
      // Found at line 3, reported at line 2: the CMD that will be ignored.
      ['MultipleInstructionsDisallowed', 2, 1],
    ]);
  });
});
