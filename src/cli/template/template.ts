/**
 * Parsing a `--format` template once and executing it per value, with Go's
 * builtins and the Docker CLI's functions available.
 */
import type { ListNode } from './ast.js';
import { builtins } from './builtins.js';
import { dockerFuncs } from './docker-funcs.js';
import type { MissingKey } from './eval.js';
import { execute } from './exec.js';
import { parseTree } from './parser.js';
import { StepMeter } from './step-meter.js';
import type { FuncMap } from './template-func.js';

export interface Template {
  /** The output for `data`; throws TemplateError, e.g. for a field of a string. */
  execute(data: unknown): string;
}

/** Go's predefined functions plus Docker's (json, split, join, …). */
export const defaultFuncs: FuncMap = { ...builtins, ...dockerFuncs };

export interface ParseOptions {
  /** More functions, or replacements, beside the default ones. */
  funcs?: FuncMap;
  /** Go's Option("missingkey=…"); `default` prints `<no value>`. */
  missingKey?: MissingKey;
  /**
   * Charged every step of parsing and of each execution (step-meter.ts): a
   * measure of work that needs no clock, for bounding it in tests.
   */
  meter?: StepMeter;
}

export class ParsedTemplate implements Template {
  private readonly root: ListNode;
  private readonly funcs: FuncMap;
  private readonly missingKey: MissingKey;
  private readonly meter: StepMeter;

  constructor(
    readonly text: string,
    options: ParseOptions = {},
  ) {
    this.funcs = { ...defaultFuncs, ...options.funcs };
    this.missingKey = options.missingKey ?? 'default';
    this.meter = options.meter ?? new StepMeter();
    this.root = parseTree(text, new Set(Object.keys(this.funcs)), this.meter);
  }

  execute(data: unknown): string {
    const out: string[] = [];
    this.executeInto(data, out);
    return out.join('');
  }

  /**
   * Appends the output to `out` as it is produced; on an error, what came
   * before it stays there, as with Go's Execute. `funcs` replace functions
   * for this run only (the Docker CLI renders a table header this way).
   */
  executeInto(data: unknown, out: string[], funcs: FuncMap = {}): void {
    const all = { ...this.funcs, ...funcs };
    execute(this.text, this.root, all, data, out, this.missingKey, this.meter);
  }
}

/**
 * Parse a Go text/template as `docker … --format` takes it. Throws
 * TemplateError with Go's message, e.g. `template: :1: function "foo" not defined`.
 *
 * @example
 * const t = parseTemplate('{{.Repository}}:{{.Tag}}');
 * t.execute({ Repository: 'alpine', Tag: '3.19' }); // 'alpine:3.19'
 * parseTemplate('{{range .Config.Env}}{{println .}}{{end}}')
 *   .execute({ Config: { Env: ['A=1', 'B=2'] } }); // 'A=1\nB=2\n'
 */
export function parseTemplate(text: string, options: ParseOptions = {}): Template {
  return new ParsedTemplate(text, options);
}
