/**
 * Dockerfile text in, typed instructions out.
 *
 *   lines.ts   directives, continuations, comments   (one linear pass)
 *   nodes.ts   keyword, flags, arguments per line    (moo + nearley)
 *   heredoc.ts heredoc openers; lines.ts reads their bodies
 *   instructions.ts  flags validated, arguments typed
 *
 * Every mistake comes out as one DockerfileError with the file, line and
 * column and the offending line attached.
 */
import { DockerfileError, ExpansionError, withSourceLines } from '../errors.js';
import type { Directive, EscapeToken, Heredoc, Instruction, Node, Warning } from './ast.js';
import { canContainHeredoc, heredocOpeners } from './heredoc.js';
import { toInstruction } from './instructions.js';
import { LineReader, type LogicalLine } from './lines.js';
import { nodeFromLine } from './nodes.js';

export interface ParseOptions {
  /** The name errors and spans use; default `Dockerfile`. */
  file?: string;
}

export interface ParsedNodes {
  directives: Directive[];
  escape: EscapeToken;
  nodes: Node[];
  warnings: Warning[];
  /** The physical lines, for showing an error's line. */
  lines: string[];
}

export interface ParsedDockerfile extends ParsedNodes {
  instructions: Instruction[];
}

/**
 * Parse a Dockerfile into nodes and typed instructions.
 * @example
 *   const df = parseDockerfile('FROM busybox\nRUN echo hi\n');
 *   df.instructions[1]; // { kind: 'RUN', command: { form: 'shell', script: 'echo hi' }, … }
 */
export function parseDockerfile(text: string, opts: ParseOptions = {}): ParsedDockerfile {
  const parsed = parseNodes(text, opts);
  return withSourceLines(parsed.lines, () => ({
    ...parsed,
    instructions: parsed.nodes.map((node) => instructionOf(node, parsed.lines, parsed.escape)),
  }));
}

/** The syntax layer alone: nodes as Docker's parser makes them, nothing validated. */
export function parseNodes(text: string, opts: ParseOptions = {}): ParsedNodes {
  const file = opts.file ?? 'Dockerfile';
  if (text.length === 0) {
    const span = { file, line: 1, col: 1, endLine: 1, endCol: 1 };
    throw new DockerfileError('EMPTY_DOCKERFILE', 'the Dockerfile cannot be empty', span);
  }
  const reader = new LineReader(text, file);
  return withSourceLines(reader.lines, () => {
    const nodes: Node[] = [];
    const warnings: Warning[] = [];
    let line: LogicalLine | undefined;
    while ((line = reader.next())) {
      const node = nodeFromLine(reader, line, reader.escape);
      attachHeredocs(reader, line, node);
      nodes.push(node);
      if (line.emptyContinuationLines.length > 0) {
        // BuildKit reports it once per instruction, at its last line.
        const at = line.endLine;
        warnings.push({
          rule: 'NoEmptyContinuation',
          message: 'Empty continuation line',
          span: { file: reader.file, line: at, col: 1, endLine: at, endCol: 1 },
        });
      }
    }
    if (nodes.length === 0) {
      const last = Math.max(1, reader.lines.length);
      throw new DockerfileError('NO_INSTRUCTIONS', 'file with no instructions', {
        file: reader.file,
        line: last,
        col: 1,
        endLine: last,
        endCol: 1,
      });
    }
    return {
      directives: reader.directives,
      escape: reader.escape,
      nodes,
      warnings,
      lines: reader.lines,
    };
  });
}

function attachHeredocs(reader: LineReader, line: LogicalLine, node: Node): void {
  if (!canContainHeredoc(node)) return;
  let openers;
  try {
    openers = heredocOpeners(line.text);
  } catch (e) {
    if (e instanceof ExpansionError) {
      throw new DockerfileError('BAD_HEREDOC', e.reason, node.span);
    }
    throw e;
  }
  for (const o of openers) {
    const opener = reader.span(line, o.offset, o.offset + o.length);
    const body = reader.readHeredoc(o.name, o.chomp, opener);
    const heredoc: Heredoc = {
      name: o.name,
      fd: o.fd,
      expand: o.expand,
      chomp: o.chomp,
      content: body.content,
      span: opener,
    };
    node.heredocs.push(heredoc);
    node.span = {
      ...node.span,
      endLine: body.span.endLine,
      endCol: reader.lines[body.span.endLine - 1]!.length + 1,
    };
  }
}

/**
 * toInstruction, plus the one hint only the file can give: an unknown
 * "instruction" such as `&&` right under a line that did not end with the
 * escape character is most likely that line's missing continuation.
 */
function instructionOf(node: Node, lines: readonly string[], escape: EscapeToken): Instruction {
  if (node.keyword === '') {
    // Only escape characters, continued into the end of the file.
    throw new DockerfileError(
      'EMPTY_INSTRUCTION',
      `expected an instruction, but the line ends with ${escape} and continues into the end of the file`,
      node.span,
      { data: { docker: 'unknown instruction: ' } },
    );
  }
  try {
    return toInstruction(node);
  } catch (e) {
    if (e instanceof DockerfileError && e.code === 'UNKNOWN_INSTRUCTION' && !e.data.suggestion) {
      const prevNo = node.keywordSpan.line - 1;
      const prev = lines[prevNo - 1]?.trimEnd();
      if (prev && !prev.trimStart().startsWith('#') && !prev.endsWith(escape)) {
        e.hint = `line ${prevNo} does not end with ${escape === '\\' ? 'a backslash' : 'a backtick'}: if "${node.keyword}" continues it, add ${escape} at the end of line ${prevNo}`;
      }
    }
    throw e;
  }
}
