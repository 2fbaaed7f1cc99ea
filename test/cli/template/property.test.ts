/**
 * No input hangs the template engine or escapes as anything but a
 * TemplateError: random text, and random sequences of template fragments
 * (which reach far deeper than random text), must parse or fail with Go's
 * kind of message, and what parses must execute or fail the same way.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseTemplate,
  renderTable,
  TemplateError,
  type Template,
} from '../../../src/cli/template/index.js';

const data = {
  A: 'a',
  B: { C: [1, 2.5, 'x', null, true], D: { 'k.e': 'v' } },
  N: null,
  S: ['p', 'q'],
};

const FRAGMENTS = [
  '{{',
  '}}',
  '{{- ',
  ' -}}',
  '{{/*',
  '*/}}',
  '.',
  '.A',
  '.B.C',
  '.B.D',
  '.N',
  '.S',
  '$',
  '$x',
  '$y',
  ':=',
  '=',
  '|',
  '(',
  ')',
  ' ',
  '\n',
  'if ',
  'else ',
  'end',
  'range ',
  'with ',
  'break',
  'continue',
  'nil',
  'true',
  '"s"',
  '"%d %v %s"',
  '`r`',
  "'c'",
  '1',
  '-2',
  '2.5',
  '0x2',
  'len ',
  'index ',
  'slice ',
  'printf ',
  'print ',
  'json ',
  'join ',
  'split ',
  'eq ',
  'lt ',
  'and ',
  'or ',
  'not ',
  'upper ',
  'pad ',
  'truncate ',
  'call ',
  'x',
  ',',
  '\\',
  '"',
  '-',
  '}',
  '{',
  'é',
  '一',
];

const fragments = fc
  .array(fc.constantFrom(...FRAGMENTS), { maxLength: 30 })
  .map((parts) => parts.join(''));
const text = fc.string({ unit: 'binary', maxLength: 60 });

/** The template, or undefined when it fails to parse with a TemplateError. */
function tryParse(input: string): Template | undefined {
  try {
    return parseTemplate(input);
  } catch (e) {
    if (e instanceof TemplateError && e.message.startsWith('template: :')) return undefined;
    throw e;
  }
}

function tryExecute(t: Template): void {
  try {
    expect(typeof t.execute(data)).toBe('string');
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    expect(e.code).toBe('TEMPLATE');
  }
}

function bounded(fn: () => void): void {
  const started = Date.now();
  fn();
  expect(Date.now() - started).toBeLessThan(500);
}

describe('any input', () => {
  it.each([
    ['random text', text],
    ['template fragments', fragments],
  ])('%s parses and executes, or fails with a TemplateError', (_what, arb) => {
    fc.assert(
      fc.property(arb, (input) =>
        bounded(() => {
          const t = tryParse(input);
          if (t) tryExecute(t);
        }),
      ),
      { numRuns: 2000 },
    );
  });

  it('renders as a table or fails with a TemplateError', () => {
    fc.assert(
      fc.property(fragments, (input) =>
        bounded(() => {
          try {
            renderTable(`table ${input}`, [data, data], { A: 'A', B: 'B' });
          } catch (e) {
            if (!(e instanceof TemplateError)) throw e;
          }
        }),
      ),
      { numRuns: 500 },
    );
  });
});
