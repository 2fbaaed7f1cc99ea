/**
 * tsbuild's own rule, for `tsbuild parse` only (see rules.ts):
 *
 *   InvalidJSONArgs   CMD ["app", 'x']   not JSON, so it runs as a shell command
 */
import type { Instruction, Word } from '../ast.js';
import { keywordOf, type Report } from './finding.js';

export function ownRules(instructions: readonly Instruction[], report: Report): void {
  instructions.forEach((ins, node) => {
    const at = { span: ins.span, node };
    const warn = (form: 'shell' | 'words') => {
      const fallback =
        form === 'shell' ? 'they run as a shell command' : 'they are split on whitespace';
      const message = `${keywordOf(ins)} arguments start with "[" but are not a JSON array of strings, so ${fallback}`;
      report('InvalidJSONArgs', message, at);
    };
    switch (ins.kind) {
      case 'CMD':
      case 'ENTRYPOINT':
      case 'RUN':
        if (ins.command.form === 'shell' && ins.command.script.startsWith('[')) warn('shell');
        return;
      case 'HEALTHCHECK':
        if (ins.test[0] === 'CMD-SHELL' && ins.test[1]?.startsWith('[')) warn('shell');
        return;
      case 'COPY':
      case 'ADD':
        // With a heredoc source the first word may be the heredoc; stay silent rather than guess.
        if (ins.inline.length === 0 && looksLikeBrokenJson(ins.sources[0])) warn('words');
        return;
      case 'VOLUME':
        if (looksLikeBrokenJson(ins.paths[0])) warn('words');
        return;
      default:
        return;
    }
  });
}

/**
 * A first word starting with `[` that is the raw word as written. In the JSON
 * form every word carries the span of the whole array, wider than the word.
 */
function looksLikeBrokenJson(word: Word | undefined): boolean {
  if (!word?.value.startsWith('[')) return false;
  const { span } = word;
  return span.line === span.endLine && span.endCol - span.col === word.value.length;
}
