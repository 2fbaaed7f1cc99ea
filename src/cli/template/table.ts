/**
 * The Docker CLI's formatter (cli/command/formatter/formatter.go) around a
 * template: `json` means `{{json .}}`; a format starting with "table" gets a
 * header row and aligned columns; `\t` and `\n` written as two characters in
 * the format become a tab and a newline; spaces around the format are
 * dropped; each value is one execution followed by a newline.
 */
import { headerFuncs } from './docker-funcs.js';
import { markFormatterRow } from './docker-json.js';
import { TabWriter } from './tabwriter.js';
import { TemplateError } from './template-error.js';
import { ParsedTemplate, type ParseOptions } from './template.js';

const TABLE = 'table';

export function isTableFormat(format: string): boolean {
  return format.startsWith(TABLE);
}

/** formatter.Context.preFormat, after "table" has been taken off. */
function preFormat(format: string): string {
  return format.replace(/^ +| +$/g, '').replace(/\\[tn]/g, (m) => (m === '\\t' ? '\t' : '\n'));
}

/** One row, as Docker's formatter runs it: a formatter context, then a newline. */
function execute(template: ParsedTemplate, row: unknown): string {
  markFormatterRow(row);
  return template.execute(row) + '\n';
}

/**
 * Each row through the format, one line each; for `docker images --format`.
 * (`docker inspect -f` does not rewrite `\t`: use parseTemplate for it.)
 *
 * @example
 * renderRows('{{.Repository}}:{{.Tag}}', [{ Repository: 'alpine', Tag: '3' }]); // 'alpine:3\n'
 */
export function renderRows(
  format: string,
  rows: readonly unknown[],
  options: Pick<ParseOptions, 'meter'> = {},
): string {
  const template = new ParsedTemplate(
    preFormat(format === 'json' ? '{{json .}}' : format),
    options,
  );
  return rows.map((row) => execute(template, row)).join('');
}

/**
 * A "table …" format: the header row is the same template run over `headers`
 * (field name → column title) with json, split, join, title, lower, upper and
 * truncate leaving the title as it is; a header that fails to render is cut
 * short silently, as Docker's is. Columns are aligned as Docker's tabwriter
 * does: at least 10 wide, 3 spaces of padding. A format without "table" is
 * rendered as renderRows does. `options.meter` counts the steps of parsing
 * and of every row and the header (step-meter.ts).
 *
 * @example
 * renderTable('table {{.Repository}}\\t{{.Tag}}', [{ Repository: 'alpine', Tag: '3' }],
 *   { Repository: 'REPOSITORY', Tag: 'TAG' });
 * // 'REPOSITORY   TAG\nalpine       3\n'
 */
export function renderTable(
  format: string,
  rows: readonly unknown[],
  headers: Readonly<Record<string, string>>,
  options: Pick<ParseOptions, 'meter'> = {},
): string {
  if (!isTableFormat(format)) return renderRows(format, rows, options);
  const template = new ParsedTemplate(preFormat(format.slice(TABLE.length)), options);
  const body = rows.map((row) => execute(template, row)).join('');
  const header: string[] = [];
  try {
    template.executeInto(headers, header, headerFuncs);
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
  }
  const writer = new TabWriter(10, 3);
  writer.write(header.join('') + '\n' + body);
  return writer.flush();
}
