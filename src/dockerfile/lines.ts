/**
 * The line pass: the context-sensitive part of Dockerfile syntax, in one
 * linear walk over the physical lines, before any grammar sees the text.
 *
 * A context-free grammar cannot see these rules, so they live here:
 *  - parser directives (`# escape=\``, `# syntax=`, `# check=`) count only
 *    until the first line that is not one — an instruction, a plain comment or
 *    an empty line ends them;
 *  - the escape character at the end of a line continues it; comment lines and
 *    empty lines inside a continuation are dropped (the latter with a warning);
 *    leading whitespace is stripped from an instruction's first line only;
 *  - heredoc bodies (`RUN <<EOF`) are read verbatim up to their terminator,
 *    once the caller has parsed the instruction and knows which heredocs it
 *    opened.
 *
 * Each logical line keeps a map from its offsets back to file positions, so
 * every later error can point at the exact column.
 */
import { DockerfileError, type Span } from '../errors.js';
import type { Directive, EscapeToken } from './ast.js';

/** Where a stretch of a logical line came from. */
interface Segment {
  /** Offset in the logical line where the stretch starts. */
  offset: number;
  line: number;
  col: number;
}

export interface LogicalLine {
  /** The instruction text, continuations joined exactly as Docker joins them. */
  text: string;
  startLine: number;
  endLine: number;
  segments: Segment[];
  /** Comment lines right before the instruction, `#` and spaces removed. */
  comments: string[];
  /** The physical line numbers of empty lines found inside the continuation. */
  emptyContinuationLines: number[];
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const KNOWN_DIRECTIVES = new Set(['escape', 'syntax', 'check']);
/** Go's unicode.IsSpace, which Docker uses to trim lines (JS `\s` differs at U+0085 and U+FEFF). */
export const GO_SPACE =
  '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING_SPACE = new RegExp(`^[${GO_SPACE}]+`);
const BOM = '\uFEFF';

/** Docker's continuation regex for an escape token: the token, then only blanks, at the end. */
function continuationRegex(escape: EscapeToken): RegExp {
  const e = escape === '\\' ? '\\\\' : '`';
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

const CONTINUATION = { '\\': continuationRegex('\\'), '`': continuationRegex('`') };

function trimNewline(s: string): string {
  let end = s.length;
  while (end > 0 && (s[end - 1] === '\n' || s[end - 1] === '\r')) end--;
  return s.slice(0, end);
}

export class LineReader {
  readonly file: string;
  /** Physical lines without their line endings, for error display. */
  readonly lines: string[];
  readonly directives: Directive[] = [];
  escape: EscapeToken = '\\';

  /** Physical lines with their endings (heredoc bodies keep them). */
  private readonly raw: string[];
  private index = 0;
  private directivesDone = false;

  constructor(text: string, file: string) {
    this.file = file;
    if (text.startsWith(BOM)) text = text.slice(1);
    const raw = text.split(/(?<=\n)/);
    if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
    this.raw = raw;
    this.lines = raw.map(trimNewline);
  }

  /** The next logical line, or undefined at the end of the file. */
  next(): LogicalLine | undefined {
    let comments: string[] = [];
    while (this.index < this.raw.length) {
      const lineNo = this.index + 1;
      const physical = this.lines[this.index]!;
      this.index++;
      const stripped = physical.replace(LEADING_SPACE, '');
      if (stripped.startsWith('#')) {
        const comment = stripped.slice(1).trim();
        // Pushed, not copied: a copy per line made a run of comments quadratic.
        if (comment === '') comments = [];
        else comments.push(comment);
      }
      // A directive is not a comment: it describes no instruction (BuildKit drops it too).
      if (this.directive(stripped, lineNo)) comments.pop();
      const lead = physical.length - stripped.length;
      let [text, ended] = this.trimContinuation(stripped.startsWith('#') ? '' : stripped);
      if (ended && text === '') continue;

      const segments: Segment[] = [{ offset: 0, line: lineNo, col: lead + 1 }];
      const emptyContinuationLines: number[] = [];
      let endLine = lineNo;
      while (!ended && this.index < this.raw.length) {
        const cont = this.lines[this.index]!;
        const contNo = ++this.index;
        this.directive(cont, contNo);
        endLine = contNo;
        const contStripped = cont.replace(LEADING_SPACE, '');
        if (contStripped.startsWith('#')) continue;
        if (contStripped === '') {
          emptyContinuationLines.push(contNo);
          continue;
        }
        let piece: string;
        [piece, ended] = this.trimContinuation(cont);
        segments.push({ offset: text.length, line: contNo, col: 1 });
        text += piece;
      }
      return { text, startLine: lineNo, endLine, segments, comments, emptyContinuationLines };
    }
    return undefined;
  }

  /**
   * Read the body of a heredoc opened on the line just returned by `next()`:
   * every following line up to the one equal to `name` (after leading tabs are
   * removed, for `<<-`). The body keeps each line's own line ending.
   */
  readHeredoc(name: string, chomp: boolean, opener: Span): { content: string; span: Span } {
    const startLine = this.index + 1;
    let content = '';
    while (this.index < this.raw.length) {
      const lineNo = ++this.index;
      let candidate = this.lines[lineNo - 1]!;
      if (chomp) candidate = candidate.replace(/^\t+/, '');
      if (candidate === name) {
        const span = { file: this.file, line: startLine, col: 1, endLine: lineNo, endCol: 1 };
        return { content, span };
      }
      content += this.raw[lineNo - 1];
    }
    throw new DockerfileError(
      'UNTERMINATED_HEREDOC',
      `unterminated heredoc ${name} opened at ${opener.line}:${opener.col}: no line "${name}" before the end of the file`,
      opener,
      { data: { name } },
    );
  }

  /** The span of `[start, end)` of a logical line, in file coordinates. */
  span(line: LogicalLine, start: number, end: number): Span {
    const a = position(line, start);
    const b = position(line, Math.max(start, end));
    return { file: this.file, line: a.line, col: a.col, endLine: b.line, endCol: b.col };
  }

  /** Docker's trimContinuationCharacter: the text without the token, and whether the line ended. */
  private trimContinuation(text: string): [string, boolean] {
    const re = CONTINUATION[this.escape];
    if (!re.test(text)) return [text, true];
    return [text.replace(re, '$1'), false];
  }

  /** Docker checks every line for a directive until one line is not a directive. */
  /** Record the line if it is a directive; true when it was one. */
  private directive(line: string, lineNo: number): boolean {
    if (this.directivesDone) return false;
    const m = DIRECTIVE.exec(line);
    const name = m?.[1]?.toLowerCase();
    if (!m || name === undefined || !KNOWN_DIRECTIVES.has(name)) {
      this.directivesDone = true;
      return false;
    }
    const value = m[2]!;
    const span: Span = {
      file: this.file,
      line: lineNo,
      col: 1,
      endLine: lineNo,
      endCol: line.length + 1,
    };
    if (this.directives.some((d) => d.name === name)) {
      throw new DockerfileError(
        'DUPLICATE_DIRECTIVE',
        `only one ${name} parser directive can be used`,
        span,
      );
    }
    if (name === 'escape') {
      if (value !== '\\' && value !== '`') {
        throw new DockerfileError(
          'INVALID_ESCAPE',
          `invalid escape token '${value}' does not match \` or \\`,
          span,
        );
      }
      this.escape = value;
    }
    this.directives.push({ name: name as Directive['name'], value, span });
    return true;
  }
}

function position(line: LogicalLine, offset: number): { line: number; col: number } {
  const segs = line.segments;
  let lo = 0;
  let hi = segs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segs[mid]!.offset <= offset) lo = mid;
    else hi = mid - 1;
  }
  const seg = segs[lo]!;
  return { line: seg.line, col: seg.col + (offset - seg.offset) };
}
