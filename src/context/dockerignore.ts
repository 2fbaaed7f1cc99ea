/**
 * .dockerignore, with Docker's semantics to the letter: the builder's ReadAll
 * turns lines into patterns, moby's pattern matcher turns each pattern into a
 * Go regexp (pattern-regexp.ts), and a path is excluded when the last pattern
 * that matches it — or matches one of its parent directories — is not a `!`
 * exception. Every rule below is pinned against Docker 20.10 in
 * test/fixtures/dockerignore/cases.txt, which says how to re-record it.
 *
 * - A line starting with `#` is a comment; ` #x` (a space first) is a pattern.
 * - Lines are trimmed (Go's TrimSpace); a UTF-8 BOM on line 1 is dropped.
 * - `!x` re-includes; `! x` is `!x`; a lone `!` is an error, as in Docker.
 * - Each pattern is `filepath.Clean`ed and one leading `/` dropped: `/a`,
 *   `./a`, `a/` and `a/b/..` all mean `a`. A trailing `/` does not limit a
 *   pattern to directories.
 * - `*` and `?` stop at `/`; `**` spans any number of directories.
 * - The Dockerfile and .dockerignore are files like any other: excluded, they
 *   are still read to build, but COPY does not see them (BuildKit).
 *
 * Where Docker 20.10's BuildKit walker loses files that these rules include
 * (an exception under an excluded directory that its prefix check cannot see,
 * e.g. `dir` then `!*\/keep`), we follow the rules, as current BuildKit does;
 * the table marks each such case.
 */
import { TsbuildError } from '../errors.js';
import { goClean } from '../util/go-clean.js';
import { goMatchSyntaxError, goTrimSpace } from './go-path.js';
import { excerpt } from '../excerpt.js';
import { RegexpSyntaxError, dockerRegexpSource, goRegExp } from './pattern-regexp.js';

export interface IgnoreMatch {
  excluded: boolean;
  /** The deciding pattern as written (trimmed), e.g. `!src/keep.txt`. */
  pattern?: string;
  /** Its 1-based line in the file. */
  line?: number;
}

interface Rule {
  /** As written, trimmed. */
  text: string;
  line: number;
  exception: boolean;
  /** After Clean, without `!`: what is compiled. */
  cleaned: string;
  re: RegExp;
  /** The literal start of `cleaned`: a path not starting with it cannot match (cheap pre-test). */
  prefix: string;
}

const BOM = '\ufeff';
const NOTHING_MATCHES: IgnoreMatch = Object.freeze({ excluded: false });

export class Dockerignore {
  static readonly empty = new Dockerignore([], undefined);

  private constructor(
    private readonly rules: readonly Rule[],
    readonly file: string | undefined,
  ) {}

  /**
   * Parse a .dockerignore file. Throws TsbuildError DOCKERIGNORE_PATTERN
   * (`data: { file, line, pattern }`) for a pattern Docker refuses.
   *
   * @example
   * const ig = Dockerignore.parse('node_modules\n*.log\n!keep.log\n', '.dockerignore');
   * ig.matches('node_modules/x/index.js'); // { excluded: true, pattern: 'node_modules', line: 1 }
   * ig.matches('keep.log');                // { excluded: false, pattern: '!keep.log', line: 3 }
   */
  static parse(text: string, file?: string): Dockerignore {
    const rules: Rule[] = [];
    const lines = text.split('\n');
    if (lines[0]?.startsWith(BOM)) lines[0] = lines[0].slice(BOM.length);
    lines.forEach((raw, index) => {
      const rule = parseLine(raw, index + 1, file);
      if (rule) rules.push(rule);
    });
    return new Dockerignore(rules, file);
  }

  /** Whether `rel` (posix, relative to the context root) is excluded, and by which line. */
  matches(rel: string): IgnoreMatch {
    // No .dockerignore (the usual case), asked once per file of the context.
    if (this.rules.length === 0) return NOTHING_MATCHES;
    const r = this.rules[this.lastMatching(contextPath(rel))];
    return r ? { excluded: !r.exception, pattern: r.text, line: r.line } : { excluded: false };
  }

  /**
   * BuildKit's CopyIgnoredFile test for a COPY/ADD source as written: only a
   * file without `!` exceptions is judged (with them, what is excluded cannot
   * be told from the source alone), and `.` or `/` only when a pattern
   * excludes everything (`*`, `**`, `**\/*`).
   */
  excludesSource(src: string): boolean {
    if (this.rules.length === 0 || this.rules.some((r) => r.exception)) return false;
    const path = goClean(src);
    if (path === '.' || path === '/')
      return this.rules.some((r) => ['*', '**', '**/*'].includes(r.cleaned));
    return this.lastMatching(contextPath(path)) >= 0;
  }

  /**
   * False when nothing at or under `dir` can be included (no exception could
   * re-include it): a walker may skip the whole dir. True when unsure.
   */
  mayIncludeUnder(dir: string): boolean {
    const path = contextPath(dir);
    const last = this.lastMatching(path);
    if (last < 0 || this.rules[last]!.exception) return true;
    // Everything under `dir` matches rules[last] too (through its parent), so
    // only a later exception can change the verdict for it.
    const segments = path.split('/');
    return this.rules
      .slice(last + 1)
      .some((r) => r.exception && mayMatchUnder(r.cleaned, segments));
  }

  /**
   * Index of the last rule matching `path` or one of its parents, or -1. The
   * last match decides, which is what Docker's forward loop computes.
   */
  private lastMatching(path: string): number {
    if (path === '.') return -1;
    const candidates = [path, ...parents(path)];
    for (let i = this.rules.length - 1; i >= 0; i--) {
      const { re, prefix } = this.rules[i]!;
      if (candidates.some((c) => c.startsWith(prefix) && re.test(c))) return i;
    }
    return -1;
  }
}

function parseLine(raw: string, line: number, file: string | undefined): Rule | undefined {
  // ReadAll: comments are recognised before trimming.
  if (raw.startsWith('#')) return undefined;
  let text = goTrimSpace(raw);
  if (text === '') return undefined;
  const written = text;
  const invert = text.startsWith('!');
  if (invert) text = goTrimSpace(text.slice(1));
  if (text !== '') {
    text = goClean(text);
    if (text.length > 1 && text.startsWith('/')) text = text.slice(1);
  }
  if (invert) text = `!${text}`;
  // The pattern matcher then cleans the whole string again, `!` included.
  text = goClean(goTrimSpace(text));
  const fail = (why: string): never => {
    const where = `${file ?? '.dockerignore'}:${line}`;
    throw new TsbuildError(
      'DOCKERIGNORE_PATTERN',
      // The line may be anything, binary included: quoted, escaped and cut.
      `${excerpt(where)}: bad pattern ${excerpt(JSON.stringify(written))}: ${excerpt(why)}`,
      {
        file,
        line,
        pattern: written,
      },
    );
  };
  const exception = text.startsWith('!');
  if (exception) {
    if (text.length === 1) fail('illegal exclusion pattern: "!"');
    text = text.slice(1);
  }
  const syntax = goMatchSyntaxError(text);
  if (syntax) fail(`syntax error in pattern (${syntax})`);
  const re = compile(text, fail);
  return {
    text: written,
    line,
    exception,
    cleaned: text,
    re,
    prefix: /^[^*?[\]\\^]*/.exec(text)![0],
  };
}

function compile(pattern: string, fail: (why: string) => never): RegExp {
  try {
    return goRegExp(dockerRegexpSource(pattern));
  } catch (e) {
    if (!(e instanceof RegexpSyntaxError)) throw e;
    return fail(e.message);
  }
}

/** Cleaned and relative: a leading `/` means the context root, as it does for COPY. */
function contextPath(rel: string): string {
  // Walkers pass clean paths; only clean what needs it (this runs once per file).
  if (rel !== '' && !NOT_CLEAN.test(rel)) return rel;
  return goClean(rel).replace(/^\/+/, '') || '.';
}
const NOT_CLEAN = /(^|\/)\.\.?(\/|$)|\/\/|^\/|\/$/;

/** `a/b/c` → `a`, `a/b`: the parent directories Docker also tries a pattern against. */
function parents(path: string): string[] {
  const out: string[] = [];
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) out.push(path.slice(0, i));
  return out;
}

/**
 * Could `pattern` match `dir`, an ancestor of it, or something under it?
 * Compared segment by segment while both have segments; any `**`, class or
 * escape (which may span a `/`) answers yes.
 */
function mayMatchUnder(pattern: string, dir: readonly string[]): boolean {
  if (/\*\*|\[|\\/.test(pattern)) return true;
  const segs = pattern.split('/');
  for (let i = 0; i < Math.min(segs.length, dir.length); i++) {
    if (!goRegExp(dockerRegexpSource(segs[i]!)).test(dir[i]!)) return false;
  }
  return true;
}
