/**
 * `inspect -f FORMAT` as the docker CLI runs it (cli/command/inspect): on the
 * typed value first (Docker's Go struct: a nil map prints `map[]`, a missing
 * map key `<no value>`); when that fails, again on the JSON as plain data with
 * missingkey=error, and that error is the one shown, as `template parsing
 * error: …` ("map has no entry for key").
 */
import type { Io } from './io.js';
import { CallError, TemplateError, parseTemplate } from './template/index.js';

/** One value's output line, or the error docker would print for it. */
export type InspectOutput = { text: string } | { error: string };

/**
 * @example
 *   const render = inspectTemplate('{{.Config.Volumes}}');
 *   render(goView(img), img); // { text: 'map[/data:{}]\n' }
 */
export function inspectTemplate(format: string): (typed: unknown, json: unknown) => InspectOutput {
  const typed = parseTemplate(format);
  const raw = parseTemplate(format, { missingKey: 'error' });
  return (value, json) => {
    try {
      return { text: `${typed.execute(value)}\n` };
    } catch (e) {
      if (!isTemplateFailure(e)) throw e;
    }
    try {
      return { text: `${raw.execute(JSON.parse(JSON.stringify(json)))}\n` };
    } catch (e) {
      if (!isTemplateFailure(e)) throw e;
      return { error: `template parsing error: ${(e as Error).message}` };
    }
  };
}

function isTemplateFailure(e: unknown): boolean {
  return e instanceof TemplateError || e instanceof CallError;
}

/**
 * What `docker inspect` prints for a list of names, in their order: each value
 * found (as JSON, or through `-f`'s template on its typed view), and an error
 * line for each name not found or whose template failed. Used by image and
 * container inspect alike.
 *
 * @example
 *   const p = new InspectPrinter(values.format, goView);
 *   p.add(img); p.fail('Error: No such image: nope');
 *   return p.finish(io); // 1: an error was printed
 */
export class InspectPrinter<T> {
  private readonly render: ReturnType<typeof inspectTemplate> | undefined;
  private readonly found: T[] = [];
  private readonly out: string[] = [];
  private readonly errors: string[] = [];

  constructor(
    format: string | undefined,
    private readonly view: (value: T) => unknown,
  ) {
    this.render = format ? inspectTemplate(format) : undefined;
  }

  add(value: T): void {
    this.found.push(value);
    if (!this.render) return;
    const r = this.render(this.view(value), value);
    if ('text' in r) this.out.push(r.text);
    else this.errors.push(r.error);
  }

  fail(line: string): void {
    this.errors.push(line);
  }

  /** Print it all; the exit status: 1 when any error was printed. */
  finish(io: Io): number {
    // With a format and nothing to show, docker still ends its output with a newline.
    if (this.render) io.stdout.write(this.out.length > 0 ? this.out.join('') : '\n');
    else io.stdout.write(`${JSON.stringify(this.found, null, 4)}\n`);
    for (const e of this.errors) io.stderr.write(`${e}\n`);
    return this.errors.length === 0 ? 0 : 1;
  }
}
