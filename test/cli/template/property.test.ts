/**
 * No input hangs the template engine or escapes as anything but a
 * TemplateError: random text, and random sequences of template fragments
 * (which reach far deeper than random text), must parse or fail with Go's
 * kind of message, and what parses must execute or fail the same way.
 *
 * Work is counted in the engine's steps (StepMeter), not timed: lexing and
 * parsing take a few steps per character of input, an execution over this
 * small data stays within a fixed budget, and a template 8 times longer
 * takes at most 10 times the steps. The meter's limit stops a runaway input at the bound, so
 * an exponential path fails the test instead of hanging it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseTemplate,
  renderTable,
  StepMeter,
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

/**
 * Steps to lex and parse an input, per character (and one for the end): each
 * token is scanned once and read a bounded number of times (at most 4.4 per
 * character in 600,000 samples). Most of these inputs fail within a few
 * tokens, so how work grows with length is checked on long templates below.
 */
const PARSE_STEPS_PER_CHAR = 8;
const parseSteps = (input: string): number => PARSE_STEPS_PER_CHAR * (input.length + 1);
/**
 * Steps for one execution: the data's lists have at most 5 elements, and
 * what these inputs execute takes at most a dozen steps (in 300,000 samples).
 */
const EXECUTE_STEPS = 1_000;

/** The template, or undefined when it fails to parse with a TemplateError. */
function tryParse(input: string, meter: StepMeter): Template | undefined {
  try {
    return parseTemplate(input, { meter });
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

describe('any input', () => {
  it.each([
    ['random text', text],
    ['template fragments', fragments],
  ])('%s parses and executes, or fails with a TemplateError', (_what, arb) => {
    fc.assert(
      fc.property(arb, (input) => {
        const meter = new StepMeter(parseSteps(input) + EXECUTE_STEPS);
        const t = tryParse(input, meter);
        expect(meter.steps).toBeLessThanOrEqual(parseSteps(input));
        const parsed = meter.steps;
        if (t) tryExecute(t);
        expect(meter.steps - parsed).toBeLessThanOrEqual(EXECUTE_STEPS);
      }),
      { numRuns: 2000 },
    );
  });

  it('renders as a table or fails with a TemplateError', () => {
    fc.assert(
      fc.property(fragments, (input) => {
        const format = `table ${input}`;
        // Parsed once, executed for each of the two rows and the header.
        const bound = parseSteps(format) + 3 * EXECUTE_STEPS;
        const meter = new StepMeter(bound);
        try {
          renderTable(format, [data, data], { A: 'A', B: 'B' }, { meter });
        } catch (e) {
          if (!(e instanceof TemplateError)) throw e;
        }
        expect(meter.steps).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 500 },
    );
  });
});

/**
 * Templates that grow in one direction each (nesting, length, chains), at n
 * and 8n: the steps grow 8 times too (7.4 to 8.0 measured), never 10 times,
 * where an O(n²) path would take 64 times. Even at n they take at most 7
 * steps per character; the limit of 16 stops an exponential path there.
 */
const GROWING: [string, (n: number) => string][] = [
  ['nested parentheses', (n) => `{{${'('.repeat(n)}.A${')'.repeat(n)}}}`],
  ['nested ifs', (n) => `${'{{if .A}}x'.repeat(n)}{{.A}}${'{{end}}'.repeat(n)}`],
  ['an else-if chain', (n) => `{{if .N}}${'{{else if .N}}'.repeat(n)}{{else}}z{{end}}`],
  ['a long pipeline', (n) => `{{.A${' | printf "%s"'.repeat(n)}}}`],
  ['many actions', (n) => 'x{{.B.C}}'.repeat(n)],
  ['a range body', (n) => `{{range .B.C}}${'{{.}}'.repeat(n)}{{end}}`],
  ['variables', (n) => `{{$x := .A}}${'{{$y := $x}}{{$y}}'.repeat(n)}`],
  ['a field chain', (n) => `{{.B${'.D'.repeat(n)}}}`],
  ['unclosed parentheses', (n) => `{{${'('.repeat(n)}`],
  ['unclosed actions', (n) => '{{if .A}}'.repeat(n)],
];

/** Steps to parse and execute `text`, which must stay within `limit`. */
function stepsOf(text: string, limit: number): number {
  const meter = new StepMeter(limit);
  try {
    parseTemplate(text, { meter }).execute(data);
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
  }
  expect(meter.steps).toBeLessThanOrEqual(limit);
  return meter.steps;
}

describe('work', () => {
  it.each(GROWING)('%s: 8 times the template takes at most 10 times the steps', (_what, make) => {
    const text = make(100);
    const small = stepsOf(text, 16 * (text.length + 1));
    stepsOf(make(800), 10 * small);
  });
});
