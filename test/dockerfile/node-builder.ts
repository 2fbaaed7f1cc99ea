/**
 * Build `Node`s for the instruction-layer tests without the grammar: one line
 * of Dockerfile text, split the way Docker's line parser for its keyword
 * splits it, with spans at the real columns so tests can pin them.
 *
 *   n('COPY --from=a x /y')            flags [--from=a @6], words x @15, /y @17
 *   n('CMD ["a", "b"]')                json
 *   n('COPY <<EOF /dst', { heredocs: [{ name: 'EOF', content: 'hi\n' }] })
 *
 * Deliberately simple: words are split on spaces, quotes are not grouped.
 */
import type { Heredoc, Node, NodeArgs, RawFlag, Span } from '../../src/dockerfile/ast.js';

export interface NodeOptions {
  line?: number;
  file?: string;
  heredocs?: Array<Partial<Heredoc> & { name: string; content: string }>;
}

type Kind =
  'maybeJson' | 'jsonOrWords' | 'words' | 'quotedWords' | 'pairs' | 'string' | 'health' | 'sub';

const KINDS: Record<string, Kind> = {
  RUN: 'maybeJson',
  CMD: 'maybeJson',
  ENTRYPOINT: 'maybeJson',
  SHELL: 'maybeJson',
  COPY: 'jsonOrWords',
  ADD: 'jsonOrWords',
  VOLUME: 'jsonOrWords',
  FROM: 'words',
  EXPOSE: 'words',
  ARG: 'quotedWords',
  ENV: 'pairs',
  LABEL: 'pairs',
  MAINTAINER: 'string',
  STOPSIGNAL: 'string',
  USER: 'string',
  WORKDIR: 'string',
  HEALTHCHECK: 'health',
  ONBUILD: 'sub',
};

/** A Node for one line of text. */
export function n(text: string, opts: NodeOptions = {}): Node {
  const at = layout(opts.line ?? 1, opts.file ?? 'Dockerfile');
  const node = build(text, 0, text.length, at);
  node.original = text;
  if (opts.heredocs) {
    let endLine = at.line;
    node.heredocs = opts.heredocs.map((h) => {
      const opener = text.search(new RegExp(`<<-?['"]?${h.name}`));
      endLine += h.content.split('\n').length;
      return {
        fd: 0,
        expand: true,
        chomp: false,
        ...h,
        span: at.span(Math.max(opener, 0), Math.max(opener, 0) + 2 + h.name.length),
      };
    });
    // The node ends with the last terminator line.
    node.span = {
      ...node.span,
      endLine,
      endCol: opts.heredocs[opts.heredocs.length - 1]!.name.length + 1,
    };
  }
  return node;
}

interface Layout {
  line: number;
  span(start: number, end: number): Span;
}

function layout(line: number, file: string): Layout {
  return {
    line,
    span: (start, end) => ({ file, line, col: start + 1, endLine: line, endCol: end + 1 }),
  };
}

function build(text: string, start: number, end: number, at: Layout): Node {
  let i = start;
  while (text[i] === ' ') i++;
  const kwStart = i;
  while (i < end && text[i] !== ' ') i++;
  const keyword = text.slice(kwStart, i);
  const flags: RawFlag[] = [];
  for (;;) {
    while (text[i] === ' ') i++;
    if (!text.startsWith('--', i)) break;
    const fStart = i;
    while (i < end && text[i] !== ' ') i++;
    const word = text.slice(fStart + 2, i);
    const eq = word.indexOf('=');
    flags.push({
      name: eq < 0 ? word : word.slice(0, eq),
      value: eq < 0 ? undefined : word.slice(eq + 1),
      span: at.span(fStart, i),
    });
  }
  const kind = KINDS[keyword.toUpperCase()];
  return {
    keyword,
    command: keyword.toUpperCase(),
    keywordSpan: at.span(kwStart, kwStart + keyword.length),
    flags,
    args: kind ? args(kind, text, i, end, at) : { kind: 'empty' },
    heredocs: [],
    original: text.slice(kwStart, end),
    span: at.span(kwStart, end),
    comments: [],
  };
}

function args(kind: Kind, text: string, start: number, end: number, at: Layout): NodeArgs {
  const rest = text.slice(start, end);
  if (rest === '') return { kind: 'empty' };
  const span = at.span(start, end);
  const json = jsonStrings(rest);
  switch (kind) {
    case 'maybeJson':
      return json
        ? { kind: 'json', items: json, span }
        : { kind: 'shell', text: rest, span, invalidJson: rest.startsWith('[') };
    case 'jsonOrWords':
      return json
        ? { kind: 'json', items: json, span }
        : { kind: 'words', words: words(text, start, end, at), invalidJson: rest.startsWith('[') };
    case 'words':
      return { kind: 'words', words: words(text, start, end, at), invalidJson: false };
    case 'quotedWords':
      return { kind: 'quotedWords', words: words(text, start, end, at) };
    case 'string':
      return { kind: 'string', text: rest, span };
    case 'pairs':
      return pairs(text, start, end, at);
    case 'health': {
      const sep = rest.indexOf(' ');
      const typeEnd = sep < 0 ? end : start + sep;
      let next = typeEnd;
      while (text[next] === ' ') next++;
      return {
        kind: 'health',
        type: { value: text.slice(start, typeEnd), span: at.span(start, typeEnd) },
        command: args('maybeJson', text, next, end, at),
      };
    }
    case 'sub':
      return { kind: 'sub', node: build(text, start, end, at) };
  }
}

function jsonStrings(text: string): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  } catch {
    return undefined;
  }
}

function words(text: string, start: number, end: number, at: Layout) {
  const out = [];
  const re = /\S+/g;
  const slice = text.slice(start, end);
  for (let m = re.exec(slice); m; m = re.exec(slice)) {
    out.push({ value: m[0], span: at.span(start + m.index, start + m.index + m[0].length) });
  }
  return out;
}

function pairs(text: string, start: number, end: number, at: Layout): NodeArgs {
  const list = words(text, start, end, at);
  if (!list[0]!.value.includes('=')) {
    const m = /\s+/.exec(text.slice(start, end))!;
    return {
      kind: 'pairs',
      legacy: true,
      pairs: [
        {
          key: text.slice(start, start + m.index),
          value: text.slice(start + m.index + m[0].length, end),
          span: at.span(start, end),
        },
      ],
    };
  }
  return {
    kind: 'pairs',
    legacy: false,
    pairs: list.map((w) => {
      const eq = w.value.indexOf('=');
      return { key: w.value.slice(0, eq), value: w.value.slice(eq + 1), span: w.span };
    }),
  };
}
