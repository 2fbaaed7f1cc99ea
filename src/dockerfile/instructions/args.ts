/**
 * What every instruction parser shares: the arguments as BuildKit's nodeArgs
 * flattens them, and the argument-count errors in BuildKit's words.
 */
import { DockerfileError, type Span } from '../../errors.js';
import type { CommandLine, Node, NodeArgs, Word } from '../ast.js';

/**
 * The arguments as one list of words, as BuildKit's nodeArgs sees them: a
 * JSON array gives its items, shell text and a `string` one word, HEALTHCHECK
 * its type and then its command, ONBUILD the trigger keyword and its words.
 * `CMD []` and `HEALTHCHECK NONE []` give no words at all.
 */
export function argWords(args: NodeArgs): Word[] {
  switch (args.kind) {
    case 'empty':
      return [];
    case 'json':
      return args.items.map((value) => ({ value, span: args.span }));
    case 'shell':
    case 'string':
      return [{ value: args.text, span: args.span }];
    case 'words':
    case 'quotedWords':
      return args.words;
    case 'pairs':
      return args.pairs.flatMap((p) => [
        { value: p.key, span: p.span },
        { value: p.value, span: p.span },
      ]);
    case 'health':
      return [args.type, ...argWords(args.command)];
    case 'sub':
      return [
        { value: args.node.keyword, span: args.node.keywordSpan },
        ...argWords(args.node.args),
      ];
  }
}

/**
 * RUN, CMD and ENTRYPOINT's command (BuildKit's handleJSONArgs): a JSON array
 * runs as is; shell text, or nothing at all, goes to the shell, so a bare
 * `RUN` is `/bin/sh -c ""`, as in Docker.
 */
export function commandLine(args: NodeArgs): CommandLine {
  if (args.kind === 'json') return { form: 'exec', argv: args.items };
  return {
    form: 'shell',
    script: argWords(args)
      .map((w) => w.value)
      .join(' '),
  };
}

/** Docker's "requires at least one argument", at the keyword. */
export function atLeastOne(node: Node, command: string): DockerfileError {
  return new DockerfileError(
    'ARG_COUNT',
    `${command} requires at least one argument`,
    node.keywordSpan,
  );
}

/** Docker's "requires exactly one argument", at the keyword. */
export function exactlyOne(node: Node, command: string): DockerfileError {
  return new DockerfileError(
    'ARG_COUNT',
    `${command} requires exactly one argument`,
    node.keywordSpan,
  );
}

/** Docker's "names can not be blank", at the pair or word. */
export function blankName(command: string, span: Span): DockerfileError {
  return new DockerfileError('BLANK_NAME', `${command} names can not be blank`, span);
}

/** The fields every instruction carries. */
export function base(node: Node): { span: Span; original: string } {
  return { span: node.span, original: node.original };
}
