/**
 * `parse`: the front end as one call — a Dockerfile's directives, typed
 * instructions, warnings, and the expanded stages with the graph for a target.
 */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Directive, EscapeToken, Instruction } from '../dockerfile/ast.js';
import { lintDockerfile, type CheckWarning } from '../dockerfile/lint/index.js';
import { parseDockerfile } from '../dockerfile/parse.js';
import { buildStageGraph, type StageGraph, type StageGraphOptions } from '../dockerfile/stages.js';
import { TsbuildError, withSourceLines } from '../errors.js';
import { excerpt } from '../excerpt.js';
import { fileKind } from '../util/file-kind.js';

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
  /** Every check finding the configuration keeps, every stage checked, in file order. */
  warnings: CheckWarning[];
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
  const lint = withSourceLines(df.lines, () =>
    lintDockerfile(df, graph, {
      allStages: true,
      ownRules: true,
      ...(req.buildArgs ? { buildArgs: req.buildArgs } : {}),
      ...(req.platform ? { platform: req.platform } : {}),
    }),
  );
  if (lint.error) throw lint.error.attachSource(df.lines);
  const warnings = lint.warnings.sort(
    (a, b) => a.span.line - b.span.line || a.span.col - b.span.col,
  );
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

/**
 * The Dockerfile at `path`, refused at once unless it is a regular file: a
 * FIFO would block the read for ever, /dev/zero would feed it until memory
 * runs out (Docker 20.10's daemon is killed that way), and a directory or a
 * socket has no text. Opened without blocking and checked on the open file,
 * so what is checked is what is read.
 */
async function readDockerfile(path: string): Promise<string> {
  const fail = (why: string) =>
    new TsbuildError('DOCKERFILE_NOT_FOUND', `cannot read Dockerfile ${excerpt(path)}: ${why}`, {
      path,
    });
  let file;
  try {
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // open(2) says ENXIO for a socket: stat says what it is.
    const kind = code === 'ENXIO' ? await stat(path).then(fileKind, () => undefined) : undefined;
    throw fail(kind ? notRegular(kind) : (WHY[code ?? ''] ?? String(code)));
  }
  try {
    const kind = fileKind(await file.stat());
    if (kind !== 'regular file') throw fail(notRegular(kind));
    return await file.readFile('utf8');
  } finally {
    await file.close();
  }
}

const WHY: Record<string, string> = {
  ENOENT: 'no such file',
  ENOTDIR: 'no such file',
  EACCES: 'permission denied',
  ELOOP: 'too many levels of symbolic links',
};

function notRegular(kind: string): string {
  return kind === 'directory' ? 'is a directory' : `not a regular file (a ${kind})`;
}
