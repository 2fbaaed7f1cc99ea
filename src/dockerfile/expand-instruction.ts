/**
 * Which words of which instruction Docker expands, and how:
 *
 *   ENV LABEL          keys and values, one word each (quotes removed)
 *   EXPOSE             each word, split again into words (`EXPOSE $PORTS`)
 *   VOLUME WORKDIR USER STOPSIGNAL       one word each
 *   COPY ADD           sources, destination, --chown, --chmod, --checksum;
 *                      heredoc bodies with quotes left alone, always with `\`
 *                      as the escape (BuildKit's ExpandRaw); never --from,
 *                      which stage-refs.ts refuses to expand as BuildKit does
 *   ARG                defaults (see stages.ts: scoping needs the stage)
 *   RUN                --mount values, field by field (mount.ts), as BuildKit does
 *   RUN CMD ENTRYPOINT SHELL HEALTHCHECK MAINTAINER ONBUILD  never: the shell
 *                      (or the child build) sees `$VAR` as written
 */
import { DockerfileError, ExpansionError, type Span } from '../errors.js';
import type { Instruction, Word } from './ast.js';
import { expandWord, expandWords, type EscapeToken } from './expand.js';
import { ExpansionBudget } from './limits.js';
import { expandMount } from './mount.js';
import type { Scope } from './scope.js';

/** Expansion of one instruction; `unmatched` lists names that were referenced but unset. */
export interface Expander {
  /** `name`: what the word is the value of (`ARG name=…`), for an error about its size. */
  word(text: string, span: Span, name?: string): string;
  words(text: string, span: Span): string[];
  /** Heredoc bodies: variables expanded, quotes kept as they are. */
  body(text: string, span: Span): string;
  unmatched: Set<string>;
}

/**
 * @param ins the instruction being expanded, so an error can be placed at the
 *   exact character of the word that caused it.
 * @param budget the allowance shared by every expansion of the Dockerfile
 *   (limits.ts); what each word reads, matches and makes is charged to it.
 */
export function expanderFor(
  scope: Scope,
  escape: EscapeToken,
  ins?: { span: Span; original: string },
  budget = new ExpansionBudget(),
): Expander {
  const unmatched = new Set<string>();
  const track = <T extends { unmatched: Set<string> }>(r: T): T => {
    for (const n of r.unmatched) unmatched.add(n);
    return r;
  };
  const { spend } = budget;
  const made = <T extends string | string[]>(out: T, span: Span): T => {
    budget.charge(typeof out === 'string' ? out.length : out.join('').length, span);
    return out;
  };
  return {
    unmatched,
    word: (text, span, name) =>
      guard(ins, span, text, name, () =>
        made(track(expandWord(text, scope.lookup, { escape }, spend)).word, span),
      ),
    words: (text, span) =>
      guard(ins, span, text, undefined, () =>
        made(track(expandWords(text, scope.lookup, { escape }, spend)).words, span),
      ),
    body: (text, span) =>
      guard(ins, span, text, undefined, () => {
        // BuildKit expands heredoc bodies with a `\` lexer whatever the file's escape is.
        const opts = { escape: '\\', skipProcessQuotes: true } as const;
        return made(track(expandWord(text, scope.lookup, opts, spend)).word, span);
      }),
  };
}

/**
 * An ExpansionError becomes a DockerfileError pointing into the word at fault;
 * one about size says which instruction (`ARG a17: expanded value is longer…`),
 * since the word alone may be `$a16$a16`.
 */
function guard<T>(
  ins: { span: Span; original: string } | undefined,
  span: Span,
  text: string,
  name: string | undefined,
  fn: () => T,
): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof ExpansionError)) throw e;
    const keyword = /^\S+/.exec(ins?.original ?? '')?.[0].toUpperCase();
    const what = [keyword, name].filter(Boolean).join(' ');
    const reason = e.code === 'EXPANSION_TOO_LARGE' && what ? `${what}: ${e.reason}` : e.reason;
    throw new DockerfileError(e.code, reason, locate(ins, span, text, e.offset));
  }
}

/**
 * The column of `offset` in `text`, found in the instruction's own text from
 * where `span` starts. Only on the instruction's first line do logical and
 * physical columns agree; elsewhere the whole span is the best we can say.
 */
function locate(
  ins: { span: Span; original: string } | undefined,
  span: Span,
  text: string,
  offset: number,
): Span {
  if (!ins || span.line !== span.endLine || span.line !== ins.span.line) return span;
  const at = ins.original.indexOf(text, span.col - ins.span.col);
  if (at < 0) return span;
  const col = ins.span.col + at + offset;
  return { ...span, col, endLine: span.line, endCol: col + 1 };
}

const word = (x: Expander, w: Word): Word => ({ value: x.word(w.value, w.span), span: w.span });

/** The instruction with every word Docker expands expanded. ARG and FROM are done by stages.ts. */
export function expandInstruction(ins: Instruction, x: Expander): Instruction {
  switch (ins.kind) {
    case 'ENV':
    case 'LABEL':
      return {
        ...ins,
        pairs: ins.pairs.map((p) => ({
          key: x.word(p.key, p.span),
          value: x.word(p.value, p.span, p.key),
          span: p.span,
        })),
      };
    case 'EXPOSE':
      return {
        ...ins,
        ports: ins.ports.flatMap((p) =>
          x.words(p.value, p.span).map((value) => ({ value, span: p.span })),
        ),
      };
    case 'VOLUME':
      return {
        ...ins,
        paths: ins.paths.map((p) => {
          const value = x.word(p.value, p.span);
          if (value === '') {
            throw new DockerfileError(
              'EMPTY_VOLUME',
              'VOLUME specified can not be an empty string',
              p.span,
            );
          }
          return { value, span: p.span };
        }),
      };
    case 'RUN':
      if (ins.mounts.length === 0) return ins;
      return {
        ...ins,
        mounts: ins.mounts.map((m, i) =>
          expandMount(m, ins.mountSpans?.[i] ?? ins.span, (v, span) => x.word(v, span)),
        ),
      };
    case 'WORKDIR':
      return { ...ins, path: x.word(ins.path, ins.span) };
    case 'USER':
      return { ...ins, user: x.word(ins.user, ins.span) };
    case 'STOPSIGNAL':
      return { ...ins, signal: x.word(ins.signal, ins.span) };
    case 'COPY':
    case 'ADD': {
      const common = {
        sources: ins.sources.map((s) => word(x, s)),
        dest: word(x, ins.dest),
        chown: ins.chown === undefined ? undefined : x.word(ins.chown, ins.span),
        chmod: ins.chmod === undefined ? undefined : x.word(ins.chmod, ins.span),
        inline: ins.inline.map((s) =>
          s.expand ? { ...s, content: x.body(s.content, ins.span) } : s,
        ),
      };
      if (ins.kind === 'COPY') return { ...ins, ...common };
      return {
        ...ins,
        ...common,
        checksum: ins.checksum === undefined ? undefined : x.word(ins.checksum, ins.span),
      };
    }
    default:
      return ins;
  }
}
