/**
 * `parse`: the front end as one call — a Dockerfile's directives, typed
 * instructions, warnings, and the expanded stages with the graph for a target.
 */
import { readFile } from 'node:fs/promises';
import type { Directive, EscapeToken, Instruction, Warning } from '../dockerfile/ast.js';
import { applyChecks } from '../dockerfile/checks.js';
import { parseDockerfile } from '../dockerfile/parse.js';
import { buildStageGraph, type StageGraph, type StageGraphOptions } from '../dockerfile/stages.js';
import { lintInstructions } from '../dockerfile/warnings.js';
import { TsbuildError, withSourceLines } from '../errors.js';

export interface ParseRequest extends StageGraphOptions {
  /** The Dockerfile's text; when absent, `path` is read. */
  text?: string;
  /** The file to read, and the name errors use. */
  path?: string;
}

/** The stable shape `tsbuild parse --json` prints (see README, "parse output"). */
export interface ParseResult {
  version: 1;
  file: string;
  escape: EscapeToken;
  directives: Directive[];
  instructions: Instruction[];
  graph: StageGraph;
  warnings: Warning[];
}

/**
 * Parse a Dockerfile and lower it to stages.
 * @example
 *   const r = await parse({ text: 'FROM busybox\nCMD ["sh"]\n' });
 *   r.graph.stages[0].base; // { kind: 'image', ref: 'busybox' }
 */
export async function parse(req: ParseRequest): Promise<ParseResult> {
  const file = req.path ?? 'Dockerfile';
  const text = req.text ?? (await readDockerfile(file));
  const df = parseDockerfile(text, { file });
  const graph = buildStageGraph(df, req);
  const all = [...df.warnings, ...lintInstructions(df.instructions), ...graph.warnings];
  all.sort((a, b) => a.span.line - b.span.line || a.span.col - b.span.col);
  const warnings = withSourceLines(df.lines, () => applyChecks(df.directives, all));
  return {
    version: 1,
    file,
    escape: df.escape,
    directives: df.directives,
    instructions: df.instructions,
    graph,
    warnings,
  };
}

async function readDockerfile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(code);
    throw new TsbuildError('DOCKERFILE_NOT_FOUND', `cannot read Dockerfile ${path}: ${why}`, {
      path,
    });
  }
}
