/**
 * The recorded cases under test/fixtures/template/: every construct of Go's
 * text/template that Docker's --format uses, Go's and Docker's functions, the
 * inspect idioms and the table layout, each as a real Docker CLI printed it
 * (see each file's header for the command). Errors must match Go's message.
 */
import { describe, expect, it } from 'vitest';
import { caught } from '../../helpers/caught.js';
import { TsbuildError } from '../../../src/errors.js';
import { parseTemplate, renderTable, TemplateError } from '../../../src/cli/template/index.js';
import { readFixture, type FixtureCase } from './fixture-file.js';

function check(c: FixtureCase, run: () => string): void {
  if ('output' in c.want) {
    expect(run(), c.where).toBe(c.want.output);
    return;
  }
  const e = caught(run, TemplateError);
  expect(e, c.where).toBeInstanceOf(TsbuildError);
  expect(e.code, c.where).toBe('TEMPLATE');
  expect(e.message, c.where).toBe(c.want.error);
}

describe.each(['exec.txt', 'idioms.txt'])('%s', (file) => {
  const cases = readFixture(file, 'template');

  it('has cases', () => expect(cases.length).toBeGreaterThan(20));

  it.each(cases.map((c) => [c.where, c] as const))('%s', (_where, c) => {
    check(c, () => parseTemplate(c.input).execute(c.context.data));
  });
});

describe('tables.txt', () => {
  const cases = readFixture('tables.txt', 'format');

  it('has cases', () => expect(cases.length).toBeGreaterThan(20));

  it.each(cases.map((c) => [c.where, c] as const))('%s', (_where, c) => {
    const rows = c.context.rows as unknown[];
    const headers = c.context.headers as Record<string, string>;
    check(c, () => renderTable(c.input, rows, headers));
  });
});
