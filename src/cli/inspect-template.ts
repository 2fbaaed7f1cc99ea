/**
 * `inspect -f FORMAT` as the docker CLI runs it (cli/command/inspect): on the
 * typed value first (Docker's Go struct: a nil map prints `map[]`, a missing
 * map key `<no value>`); when that fails, again on the JSON as plain data with
 * missingkey=error, and that error is the one shown, as `template parsing
 * error: …` ("map has no entry for key").
 */
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
