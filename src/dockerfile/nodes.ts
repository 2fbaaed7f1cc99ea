/**
 * Logical lines to `Node`s: BuildKit's newNodeFromLine and its dispatch table
 * of line parsers, over the grammar's start symbols.
 *
 *   RUN CMD ENTRYPOINT SHELL  JSON array of strings, else shell text
 *   COPY ADD VOLUME           JSON array of strings, else whitespace words
 *   FROM EXPOSE               whitespace words (no quote handling at all)
 *   ARG                       words keeping quotes and escapes
 *   ENV LABEL                 `k=v …` pairs, or the legacy `k v`
 *   MAINTAINER STOPSIGNAL USER WORKDIR   the rest, as one string
 *   HEALTHCHECK               a type word, then JSON-or-shell
 *   ONBUILD                   the rest, parsed as an instruction of its own
 */
import { DockerfileError, type Span } from '../errors.js';
import { excerpt } from '../excerpt.js';
import type { EscapeToken, NodeArgs, Node, RawFlag, RawPair, Word } from './ast.js';
import { toArray, type JsonValue, type QuotedPart } from './grammar-types.js';
import { goLower } from './instructions/gocase.js';
import { GO_SPACE, type LineReader, type LogicalLine } from './lines.js';
import { parseHead, parseJsonValue, parseQuotedWords, parseWords } from './parse-args.js';

/** A stretch of a logical line being parsed, and how to map it back to the file. */
interface Slice {
  reader: LineReader;
  line: LogicalLine;
  escape: EscapeToken;
  /** The text, trimmed of Go's white space. */
  text: string;
  /** Where `text` starts in the logical line. */
  offset: number;
  /** How many ONBUILDs this instruction is the trigger of. */
  depth: number;
}

type LineParser = (s: Slice, command: string) => NodeArgs;

const IS_SPACE = new RegExp(`[${GO_SPACE}]`);
const RE_WHITESPACE = /[\t\v\f\r ]+/;
const NOT_STRING_ARRAY = 'when using JSON array syntax, arrays must be comprised of strings only';

/** `s` trimmed with Go's strings.TrimSpace, and how many characters were cut in front. */
function trimSpace(text: string): { text: string; lead: number } {
  // Index scans, not a regex: `^\s*(.*?)\s*$` backtracks quadratically over
  // a long run of blanks inside the line.
  let start = 0;
  let end = text.length;
  while (start < end && IS_SPACE.test(text[start]!)) start++;
  while (end > start && IS_SPACE.test(text[end - 1]!)) end--;
  return { text: text.slice(start, end), lead: start };
}

function spanOf(s: Slice, start: number, end: number): Span {
  return s.reader.span(s.line, s.offset + start, s.offset + end);
}

/**
 * An ONBUILD's trigger is a node of its own, and so is the trigger of an
 * `ONBUILD ONBUILD …` (refused later, as Docker refuses it); deeper than that
 * the rest of the line stays text (`{ kind: 'string' }`), so that thousands of
 * chained ONBUILDs cost one pass over the line, not a recursion per level.
 */
const MAX_ONBUILD_DEPTH = 2;

/** Build the Node for the instruction in `[start, end)` of a logical line. */
export function nodeFromLine(
  reader: LineReader,
  line: LogicalLine,
  escape: EscapeToken,
  start = 0,
  end = line.text.length,
  depth = 0,
): Node {
  const { text, lead } = trimSpace(line.text.slice(start, end));
  const whole: Slice = { reader, line, escape, text, offset: start + lead, depth };
  if (text === '') {
    // Only escape characters and blanks: Docker makes a node with an empty
    // keyword, which then fails as an unknown instruction.
    const span = spanOf(whole, 0, 0);
    return {
      keyword: '',
      command: '',
      keywordSpan: span,
      flags: [],
      args: { kind: 'empty' },
      heredocs: [],
      original: '',
      span,
      comments: line.comments,
    };
  }
  const head = parseHead(text);
  const keyword = head.keyword.value;
  // Docker dispatches on the keyword lower-cased the Go way (`İ` → `i`).
  const command = goLower(keyword).toUpperCase();
  const flags: RawFlag[] = [];
  let restStart = head.rest ? head.rest.offset : text.length;
  for (const token of toArray(head.flags)) {
    const word = unquoteFlag(token.value);
    // BuildKit ends the flags at a word that reads `--` once unquoted (`--""`).
    if (word === '--') {
      restStart = token.offset + token.text.length;
      break;
    }
    const eq = word.indexOf('=');
    flags.push({
      name: eq < 0 ? word.slice(2) : word.slice(2, eq),
      value: eq < 0 ? undefined : word.slice(eq + 1),
      span: spanOf(whole, token.offset, token.offset + token.text.length),
    });
  }
  const rest = trimSpace(text.slice(restStart));
  const args: Slice = { ...whole, text: rest.text, offset: whole.offset + restStart + rest.lead };
  const parser = LINE_PARSERS[command];
  return {
    keyword,
    command,
    keywordSpan: spanOf(whole, 0, keyword.length),
    flags,
    args: parser ? parser(args, command) : { kind: 'empty' },
    heredocs: [],
    // For an ONBUILD trigger this is the trigger's own text, not the whole line.
    original: text,
    span: spanOf(whole, 0, text.length),
    comments: line.comments,
  };
}

/** A flag word the way extractBuilderFlags reads it: quotes grouped, `\` escaping. */
function unquoteFlag(raw: string): string {
  let out = '';
  let quote = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (quote === '' && (ch === '"' || ch === "'")) quote = ch;
    else if (ch === quote) quote = '';
    else if (ch === '\\') {
      if (i + 1 < raw.length) out += raw[++i];
    } else out += ch;
  }
  return out;
}

const maybeJson: LineParser = (s) => {
  if (s.text === '') return { kind: 'empty' };
  const items = jsonStrings(s);
  if (items) return { kind: 'json', items, span: spanOf(s, 0, s.text.length) };
  return {
    kind: 'shell',
    text: s.text,
    span: spanOf(s, 0, s.text.length),
    invalidJson: s.text.startsWith('['),
  };
};

const maybeJsonToList: LineParser = (s) => {
  const items = jsonStrings(s);
  if (items) return { kind: 'json', items, span: spanOf(s, 0, s.text.length) };
  const args = words(s, '');
  return args.kind === 'words' ? { ...args, invalidJson: s.text.startsWith('[') } : args;
};

/** The strings of a JSON array, or undefined when the text is not JSON (shell form). */
function jsonStrings(s: Slice): string[] | undefined {
  if (!s.text.startsWith('[')) return undefined;
  const value = parseJsonValue(s.text);
  if (!value) return undefined;
  const items = value.type === 'array' ? toArray(value.items) : [];
  if (value.type !== 'array' || !items.every((v) => v.type === 'string')) {
    throw new DockerfileError('JSON_NOT_STRINGS', NOT_STRING_ARRAY, spanOf(s, 0, s.text.length));
  }
  return items.map(decodeJsonString);
}

/** Decode a JSON string token as Go does: lone surrogates become U+FFFD. */
function decodeJsonString(v: JsonValue): string {
  const value = JSON.parse((v as { token: { value: string } }).token.value) as string;
  return value.replace(
    /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    '\ufffd',
  );
}

const words: LineParser = (s) => {
  if (s.text === '') return { kind: 'empty' };
  const list = parseWords(s.text).map((t) => ({
    value: t.value,
    span: spanOf(s, t.offset, t.offset + t.text.length),
  }));
  return { kind: 'words', words: list, invalidJson: false };
};

/** Docker's parseWords: quotes and escapes stay in the word; a lone final escape is dropped. */
function quotedWords(s: Slice): Word[] {
  if (s.text === '') return [];
  return parseQuotedWords(s.text, s.escape).map((parts) => {
    const first = parts[0]!.token;
    const last = parts[parts.length - 1]!.token;
    const end = last.offset + last.text.length;
    let value = parts.map((p) => p.token.value).join('');
    if (end === s.text.length && endsWithLoneEscape(parts[parts.length - 1]!, s.escape)) {
      value = value.slice(0, -1);
    }
    return { value, span: spanOf(s, first.offset, end) };
  });
}

/** True for `\` alone at the end, or an unterminated `"…\` (the escape had nothing to escape). */
function endsWithLoneEscape(part: QuotedPart, escape: EscapeToken): boolean {
  if (part.type === 'escEnd') return true;
  if (part.type !== 'dq') return false;
  const body = part.token.value.slice(1);
  let i = 0;
  while (i < body.length) {
    if (body[i] === escape) {
      if (i + 1 === body.length) return true;
      i += 2;
    } else i++;
  }
  return false;
}

const argWords: LineParser = (s) => {
  const list = quotedWords(s);
  return list.length === 0 ? { kind: 'empty' } : { kind: 'quotedWords', words: list };
};

/** ENV and LABEL: `k=v …` when the first word has `=`, else the legacy `k v`. */
const pairs: LineParser = (s, command) => {
  const list = quotedWords(s);
  if (list.length === 0) return { kind: 'empty' };
  if (!list[0]!.value.includes('=')) {
    const m = RE_WHITESPACE.exec(s.text);
    if (!m) {
      throw new DockerfileError(
        'ARG_COUNT',
        `${command} must have two arguments`,
        spanOf(s, 0, s.text.length),
        {
          hint: `write ${command} ${s.text}=value`,
        },
      );
    }
    const key = s.text.slice(0, m.index);
    const valueStart = m.index + m[0].length;
    const pair: RawPair = {
      key,
      value: s.text.slice(valueStart),
      span: spanOf(s, 0, s.text.length),
    };
    return { kind: 'pairs', legacy: true, pairs: [pair] };
  }
  const out: RawPair[] = list.map((w) => {
    const eq = w.value.indexOf('=');
    if (eq < 0) {
      throw new DockerfileError(
        'MISSING_EQUALS',
        `Syntax error - can't find = in ${excerpt(JSON.stringify(w.value))}. Must be of the form: name=value`,
        w.span,
      );
    }
    return { key: w.value.slice(0, eq), value: w.value.slice(eq + 1), span: w.span };
  });
  return { kind: 'pairs', legacy: false, pairs: out };
};

const rest: LineParser = (s) =>
  s.text === ''
    ? { kind: 'empty' }
    : { kind: 'string', text: s.text, span: spanOf(s, 0, s.text.length) };

/** HEALTHCHECK: the first word is the type (CMD, NONE), the rest is JSON or shell. */
const health: LineParser = (s) => {
  if (s.text === '') return { kind: 'empty' };
  const sep = s.text.search(new RegExp(`[${GO_SPACE}]`));
  const typeEnd = sep < 0 ? s.text.length : sep;
  const after = trimSpace(s.text.slice(typeEnd));
  const command = maybeJson(
    { ...s, text: after.text, offset: s.offset + typeEnd + after.lead },
    'HEALTHCHECK',
  );
  const type = { value: s.text.slice(0, typeEnd), span: spanOf(s, 0, typeEnd) };
  return { kind: 'health', type, command };
};

const sub: LineParser = (s) => {
  if (s.text === '') return { kind: 'empty' };
  if (s.depth >= MAX_ONBUILD_DEPTH) return rest(s, 'ONBUILD');
  return {
    kind: 'sub',
    node: nodeFromLine(s.reader, s.line, s.escape, s.offset, s.offset + s.text.length, s.depth + 1),
  };
};

const LINE_PARSERS: Record<string, LineParser> = {
  ADD: maybeJsonToList,
  ARG: argWords,
  CMD: maybeJson,
  COPY: maybeJsonToList,
  ENTRYPOINT: maybeJson,
  ENV: pairs,
  EXPOSE: words,
  FROM: words,
  HEALTHCHECK: health,
  LABEL: pairs,
  MAINTAINER: rest,
  ONBUILD: sub,
  RUN: maybeJson,
  SHELL: maybeJson,
  STOPSIGNAL: rest,
  USER: rest,
  VOLUME: maybeJsonToList,
  WORKDIR: rest,
};
