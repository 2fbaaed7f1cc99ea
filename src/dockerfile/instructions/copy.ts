import { DockerfileError } from '../../errors.js';
import type { AddInstruction, CopyInstruction, Heredoc, InlineSource, Node, Word } from '../ast.js';
import { parseFlags } from '../flags.js';
import { chompHeredocContent, heredocInWord } from '../heredoc.js';
import { argWords, base } from './args.js';

/**
 * COPY [--from=…] [--chown=…] [--chmod=…] [--link] [--parents] [--exclude=…] <src>… <dest>
 * — a `<<EOF` source is a file made from the heredoc's body. BuildKit looks
 * at the words, not at which heredocs the line opened, so even the JSON form
 * `COPY ["<<EOF", "/dst"]` has an (empty) inline source.
 */
export function copy(node: Node): CopyInstruction {
  const words = countArgs(node, 'COPY');
  const flags = parseFlags(node, 'COPY');
  const v = flags.values;
  return {
    kind: 'COPY',
    ...base(node),
    ...sourcesAndDest(node, words, 'COPY'),
    chown: v.chown || undefined,
    ...(v.chown ? { chownSpan: flags.spans.chown } : {}),
    chmod: v.chmod || undefined,
    ...(v.chmod ? { chmodSpan: flags.spans.chmod } : {}),
    link: v.link,
    exclude: v.exclude,
    from: v.from || undefined,
    parents: v.parents,
  };
}

/** ADD [--chown=…] [--chmod=…] [--link] [--checksum=…] [--keep-git-dir] [--exclude=…] <src>… <dest> — as COPY. */
export function add(node: Node): AddInstruction {
  const words = countArgs(node, 'ADD');
  const flags = parseFlags(node, 'ADD');
  const v = flags.values;
  return {
    kind: 'ADD',
    ...base(node),
    ...sourcesAndDest(node, words, 'ADD'),
    chown: v.chown || undefined,
    ...(v.chown ? { chownSpan: flags.spans.chown } : {}),
    chmod: v.chmod || undefined,
    ...(v.chmod ? { chmodSpan: flags.spans.chmod } : {}),
    link: v.link,
    exclude: v.exclude,
    checksum: v.checksum || undefined,
    keepGitDir: v['keep-git-dir'],
  };
}

/** At least a source and a destination; counted before the flags are read, as BuildKit does. */
function countArgs(node: Node, command: string): Word[] {
  const words = argWords(node.args);
  if (words.length >= 2) return words;
  const docker = `${command} requires at least two arguments, but only one was provided. Destination could not be determined`;
  const reason =
    words.length === 0
      ? `${command} requires at least two arguments: a source and a destination`
      : docker;
  throw new DockerfileError('ARG_COUNT', reason, words[0]?.span ?? node.keywordSpan, {
    data: { docker },
  });
}

function sourcesAndDest(
  node: Node,
  words: Word[],
  command: string,
): { sources: Word[]; inline: InlineSource[]; dest: Word } {
  const dest = words[words.length - 1]!;
  if (heredocInWord(dest.value)) {
    throw new DockerfileError(
      'HEREDOC_NOT_ALLOWED',
      `${command} cannot accept a heredoc as a destination`,
      dest.span,
    );
  }
  // By name, the last body of a name winning, as BuildKit's lookup map does.
  const bodies = new Map<string, Heredoc>(node.heredocs.map((h) => [h.name, h]));
  const sources: Word[] = [];
  const inline: InlineSource[] = [];
  for (const word of words.slice(0, -1)) {
    const heredoc = heredocInWord(word.value);
    if (!heredoc) {
      sources.push(word);
      continue;
    }
    const content = bodies.get(heredoc.name)?.content ?? '';
    inline.push({
      name: heredoc.name,
      content: heredoc.chomp ? chompHeredocContent(content) : content,
      expand: heredoc.expand,
    });
  }
  return { sources, inline, dest };
}
