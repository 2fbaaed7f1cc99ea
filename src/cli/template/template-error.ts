import { TsbuildError } from '../../errors.js';

/**
 * A `--format` template that does not parse or cannot be executed. The message
 * is Go's text/template wording, which the Docker CLI prints after
 * "template parsing error: ", e.g.
 *
 *   template: :1: function "foo" not defined
 *   template: :1:2: executing "" at <.Foo>: can't evaluate field Foo in type string
 *
 * `data.line` is 1-based; `data.col` (execution errors only) is the 0-based
 * byte offset in that line, as Go counts it.
 */
export class TemplateError extends TsbuildError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super('TEMPLATE', message, data);
    this.name = 'TemplateError';
  }
}

/** Go's position of an offset: 1-based line, 0-based byte column in that line. */
export function lineOf(text: string, pos: number): { line: number; col: number } {
  const before = text.slice(0, pos);
  const line = 1 + (before.match(/\n/g)?.length ?? 0);
  return { line, col: Buffer.byteLength(before.slice(before.lastIndexOf('\n') + 1)) };
}
