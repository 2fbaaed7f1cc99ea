/**
 * Where heredocs open, exactly where BuildKit sees them: the instruction is
 * RUN, COPY or ADD (also as an ONBUILD trigger), its arguments are not JSON,
 * and a word of the line — split by the shell lexer with quotes and escapes
 * kept — reads `[n]<<[-]WORD`. `WORD` must be one word once quotes are
 * removed; if any part of it was quoted, the body is not expanded.
 *
 *   RUN <<EOF            heredoc "EOF", expanded
 *   RUN <<-'EOF'         heredoc "EOF", tabs chomped, not expanded
 *   RUN 3<<EOF cat <&3   heredoc on fd 3
 *   RUN echo a<<b        not a heredoc: the word is `a<<b`
 *   RUN cat <<EOF<<EOF2  not a heredoc: `[^<]*` cannot cover a second `<<`
 */
import { ExpansionError } from '../errors.js';
import type { Node } from './ast.js';
import { processWords } from './expand.js';

const HEREDOC = /^(\d*)<<(-?)([^<]*)$/;
const NO_ENV = new Map<string, string>();

export interface HeredocOpener {
  name: string;
  fd: number;
  expand: boolean;
  chomp: boolean;
  /** Where the `<<WORD` word is in the logical line. */
  offset: number;
  length: number;
}

const HEREDOC_COMMANDS = new Set(['RUN', 'COPY', 'ADD']);

/** BuildKit's canContainHeredoc: RUN/COPY/ADD (or ONBUILD of one), not in JSON form. */
export function canContainHeredoc(node: Node): boolean {
  if (node.command === 'ONBUILD' && node.args.kind === 'sub') node = node.args.node;
  return HEREDOC_COMMANDS.has(node.command) && node.args.kind !== 'json';
}

/** The heredocs a logical line opens, in order. */
export function heredocOpeners(line: string): HeredocOpener[] {
  if (!line.includes('<<')) return [];
  let words: string[];
  try {
    words = processWords(line, NO_ENV, {
      rawQuotes: true,
      rawEscapes: true,
      skipUnsetEnv: true,
    }).words;
  } catch {
    // BuildKit ignores a lexing error here: such a line opens no heredoc.
    return [];
  }
  const out: HeredocOpener[] = [];
  let cursor = 0;
  for (const word of words) {
    const at = line.indexOf(word, cursor);
    if (at >= 0) cursor = at + word.length;
    const opener = heredocFromWord(word);
    if (opener) out.push({ ...opener, offset: Math.max(at, 0), length: word.length });
  }
  return out;
}

/** BuildKit's ParseHeredoc: the heredoc a single word opens, if it opens one. */
export function heredocFromWord(
  word: string,
): Omit<HeredocOpener, 'offset' | 'length'> | undefined {
  const m = HEREDOC.exec(word);
  if (!m || m[3] === '') return undefined;
  const rest = m[3]!;
  const plain = processWords(rest, NO_ENV, { skipUnsetEnv: true }).words;
  if (plain.length !== 1) return undefined;
  const raw = processWords(rest, NO_ENV, { skipUnsetEnv: true, rawQuotes: true }).words;
  const quotes = (s: string) => (s.match(/['"]/g) ?? []).length;
  return {
    name: plain[0]!,
    fd: m[1] === '' ? 0 : Number.parseInt(m[1]!, 10),
    chomp: m[2] === '-',
    expand: quotes(plain[0]!) === quotes(raw[0] ?? ''),
  };
}

/**
 * BuildKit's MustParseHeredoc, used on COPY/ADD words: a word whose delimiter
 * does not even lex (`<<"EOF`) is simply not a heredoc there.
 */
export function heredocInWord(word: string): Omit<HeredocOpener, 'offset' | 'length'> | undefined {
  try {
    return heredocFromWord(word);
  } catch (e) {
    if (e instanceof ExpansionError) return undefined;
    throw e;
  }
}

/** BuildKit's ChompHeredocContent: `<<-` strips leading tabs from every body line. */
export function chompHeredocContent(content: string): string {
  return content.replace(/^\t+/gm, '');
}
