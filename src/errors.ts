/**
 * One error family for everything tsbuild reports to a person.
 *
 * `TsbuildError { code, data }` is isomorphic-git's shape: callers switch on
 * `code`, tools read `data`, people read `message`. `DockerfileError` adds the
 * spot in the Dockerfile; it renders as
 *
 *   Dockerfile:12:6: COPY --from requires a value
 *     12 | COPY --from /src /dst
 *        |      ^^^^^^
 *
 * A stack trace is only ever shown for something that is not a TsbuildError,
 * which means a bug in tsbuild, never a mistake in the user's input.
 */

import { EXCERPT_WIDTH, MESSAGE_WIDTH, excerpt, sourceExcerpt } from './excerpt.js';

export class TsbuildError extends Error {
  readonly code: string;
  readonly data: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, data: Record<string, unknown> = {}) {
    super(message);
    this.name = 'TsbuildError';
    this.code = code;
    this.data = data;
  }
}

/** A range in a source file. Lines and columns are 1-based; `endCol` is exclusive. */
export interface Span {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

export interface DockerfileErrorOptions {
  /** The text of the line `span.line` refers to, shown under the message. */
  sourceLine?: string;
  /** A second sentence pointing at the likely cause when it is elsewhere. */
  hint?: string;
  data?: Record<string, unknown>;
}

/** A mistake in a Dockerfile, always with the spot it is at. */
export class DockerfileError extends TsbuildError {
  readonly span: Span;
  sourceLine: string | undefined;
  /** Set by the boundary that can see the cause elsewhere (e.g. the line before). */
  hint: string | undefined;
  /** The message without location, e.g. "COPY --from requires a value". */
  readonly reason: string;

  constructor(code: string, reason: string, span: Span, opts: DockerfileErrorOptions = {}) {
    // A reason may quote the Dockerfile (a word, a value): one readable line, whatever it quotes.
    reason = excerpt(reason, MESSAGE_WIDTH);
    super(code, `${excerpt(span.file)}:${span.line}:${span.col}: ${reason}`, {
      ...opts.data,
      file: span.file,
      line: span.line,
      col: span.col,
    });
    this.name = 'DockerfileError';
    this.reason = reason;
    this.span = span;
    this.sourceLine = opts.sourceLine;
    this.hint = opts.hint;
  }

  /**
   * Fill in the offending line from the file's text. Errors are raised deep in
   * the parser, where only the span is known; the boundary that has the text
   * attaches it once.
   */
  attachSource(lines: readonly string[]): this {
    if (this.sourceLine === undefined) this.sourceLine = lines[this.span.line - 1];
    return this;
  }

  /**
   * The message, the offending line and a caret under the spot, and the hint.
   * A long line is cut around the spot (`…` where it was cut) and characters
   * that are not printable are escaped, so a 10 MB label or a line of binary
   * shows as one readable excerpt.
   */
  render(): string {
    const out = [this.message];
    if (this.sourceLine !== undefined) {
      const num = String(this.span.line);
      const pad = ' '.repeat(num.length);
      const start = this.span.col - 1;
      const end = this.span.endLine === this.span.line ? this.span.endCol - 1 : Infinity;
      const { text, caret, width } = sourceExcerpt(this.sourceLine, start, end);
      out.push(`  ${num} | ${text}`);
      out.push(`  ${pad} | ${' '.repeat(caret)}${'^'.repeat(width)}`);
    }
    if (this.hint) out.push(`  hint: ${excerpt(this.hint, 2 * EXCERPT_WIDTH)}`);
    return out.join('\n');
  }
}

/**
 * Run `fn`; a DockerfileError leaving it gets its offending line from
 * `lines`. The places that raise errors know spans, not the file's text.
 */
export function withSourceLines<T>(lines: readonly string[], fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DockerfileError) e.attachSource(lines);
    throw e;
  }
}

/**
 * A variable expansion that cannot be carried out, e.g. `${x:?x is required}`
 * (code EXPANSION), or whose result would be too long (EXPANSION_TOO_LARGE).
 */
export class ExpansionError extends TsbuildError {
  /** Offset in the word being expanded where the problem is. */
  readonly offset: number;
  readonly reason: string;

  constructor(reason: string, offset: number, code = 'EXPANSION') {
    super(code, reason, { offset });
    this.name = 'ExpansionError';
    this.reason = reason;
    this.offset = offset;
  }
}

/** Wrong use of the command line: exits with status 2, as docker does. */
export class UsageError extends TsbuildError {
  constructor(message: string) {
    super('USAGE', message);
    this.name = 'UsageError';
  }
}

/**
 * What the machine ran out of, or a disk that failed: not the input's fault and
 * not a bug, so one line naming what was being written and where, e.g.
 *
 *   no space left on device writing layer of RUN make to /store/tmp/blob-41-…
 */
const RESOURCE_ERRNOS: Record<string, { code: string; reason: string }> = {
  ENOSPC: { code: 'NO_SPACE', reason: 'no space left on device' },
  EDQUOT: { code: 'NO_SPACE', reason: 'disk quota exceeded' },
  EIO: { code: 'IO_ERROR', reason: 'input/output error' },
  EROFS: { code: 'IO_ERROR', reason: 'read-only file system' },
  EMFILE: { code: 'IO_ERROR', reason: 'too many open files' },
  ENFILE: { code: 'IO_ERROR', reason: 'too many open files in the system' },
};

/** A full, failing or read-only disk, or no file descriptors left (code NO_SPACE or IO_ERROR). */
export class ResourceError extends TsbuildError {
  constructor(code: string, message: string, data: Record<string, unknown>, cause: unknown) {
    super(code, message, data);
    this.name = 'ResourceError';
    this.cause = cause;
  }
}

/**
 * What was being done when it failed: writing something somewhere (`to`; else
 * the path the system call named; else `within`), or reading a file.
 */
export type Doing = { writing: string; to?: string; within?: string } | { reading: string };

/**
 * `e` as a ResourceError when a resource errno (ENOSPC, EDQUOT, EIO, EROFS,
 * EMFILE, ENFILE) caused it, itself or through `cause` (a LayerError wraps the
 * errno of the write it failed at); any other error as it is. An error that is
 * a ResourceError already keeps its words: the innermost caller knew best what
 * it was writing. `to` defaults to the path the system call named.
 *
 * @example
 *   catch (e) { throw asResourceError(e, { writing: `layer of ${step}`, to: tmp }); }
 */
export function asResourceError(e: unknown, doing: Doing): unknown {
  if (e instanceof ResourceError) return e;
  const sys = systemCause(e);
  if (!sys) return e;
  const { code, reason } = RESOURCE_ERRNOS[sys.code!]!;
  const where = 'writing' in doing ? (doing.to ?? sys.dest ?? sys.path ?? doing.within) : undefined;
  const what =
    'writing' in doing
      ? `writing ${doing.writing}${where ? ` to ${where}` : ''}`
      : `reading ${doing.reading}`;
  return new ResourceError(
    code,
    `${reason} ${what}`,
    { errno: sys.code, ...(where ? { path: where } : {}) },
    e,
  );
}

/** Run `fn`; a resource failure leaving it becomes a ResourceError saying `doing`. */
export async function failingAs<T>(doing: Doing, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw asResourceError(e, doing);
  }
}

/** The resource errno error `e` is or was caused by (a few levels of `cause` deep). */
function systemCause(e: unknown): (NodeJS.ErrnoException & { dest?: string }) | undefined {
  for (let err = e, depth = 0; err instanceof Error && depth < 5; depth++) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && Object.hasOwn(RESOURCE_ERRNOS, code))
      return err as NodeJS.ErrnoException;
    err = err.cause;
  }
  return undefined;
}

/**
 * The one line a resource failure nobody described gets (the last resort of the
 * CLI, instead of a stack trace): `no space left on device (write)`.
 */
export function bareResourceError(e: unknown): ResourceError | undefined {
  if (e instanceof TsbuildError) return undefined;
  const sys = systemCause(e);
  if (!sys) return undefined;
  const { code, reason } = RESOURCE_ERRNOS[sys.code!]!;
  const call = [sys.syscall, sys.path].filter(Boolean).join(' ');
  return new ResourceError(code, `${reason}${call ? ` (${call})` : ''}`, { errno: sys.code }, e);
}
