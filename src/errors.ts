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
    super(code, `${span.file}:${span.line}:${span.col}: ${reason}`, {
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

  /** The message, the offending line and a caret under the spot, and the hint. */
  render(): string {
    const out = [this.message];
    if (this.sourceLine !== undefined) {
      const num = String(this.span.line);
      const pad = ' '.repeat(num.length);
      const line = this.sourceLine.replace(/\t/g, ' ');
      const width =
        this.span.endLine === this.span.line
          ? Math.max(1, this.span.endCol - this.span.col)
          : Math.max(1, line.length - this.span.col + 1);
      out.push(`  ${num} | ${line}`);
      out.push(`  ${pad} | ${' '.repeat(Math.max(0, this.span.col - 1))}${'^'.repeat(width)}`);
    }
    if (this.hint) out.push(`  hint: ${this.hint}`);
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

/** A variable expansion that cannot be carried out, e.g. `${x:?x is required}`. */
export class ExpansionError extends TsbuildError {
  /** Offset in the word being expanded where the problem is. */
  readonly offset: number;
  readonly reason: string;

  constructor(reason: string, offset: number) {
    super('EXPANSION', reason, { offset });
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
