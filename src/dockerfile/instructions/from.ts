import { DockerfileError, type Span } from '../../errors.js';
import type { FromInstruction, Node, Word } from '../ast.js';
import { parseFlags } from '../flags.js';
import { argWords, base } from './args.js';
import { goLower } from './gocase.js';
import { goQuote } from '../../util/go-quote.js';

/** BuildKit's stage-name rule, applied to the lower-cased name. */
const STAGE_NAME = /^[a-z][a-z0-9\-_.]*$/;
/** strings.EqualFold(word, "as"): Go's simple case folding also maps U+017F (ſ) to s. */
const AS = /^[aA][sS\u017f]$/;

/**
 * FROM [--platform=<p>] <image> [AS <name>] — the name is lower-cased
 * (`AS Build` names the stage `build`); the arguments are counted before the
 * flags are read, so `FROM --bogus a b` is an argument-count error.
 */
export function from(node: Node): FromInstruction {
  const words = argWords(node.args);
  let stageName: string | undefined;
  let asWritten: string | undefined;
  if (words.length === 3 && AS.test(words[1]!.value)) {
    asWritten = words[2]!.value;
    stageName = goLower(asWritten);
    if (!STAGE_NAME.test(stageName)) {
      throw new DockerfileError(
        'BAD_STAGE_NAME',
        `invalid name for build stage: ${goQuote(asWritten)}, name can't start with a number or contain symbols`,
        words[2]!.span,
      );
    }
  } else if (words.length !== 1) {
    throw new DockerfileError(
      'ARG_COUNT',
      'FROM requires either one or three arguments',
      wordsSpan(node, words),
      {
        hint:
          words.length === 3 ? `the second word must be AS, not "${words[1]!.value}"` : undefined,
      },
    );
  }
  const flags = parseFlags(node, 'FROM');
  const image = words[0]!;
  return {
    kind: 'FROM',
    ...base(node),
    image: image.value,
    imageSpan: image.span,
    stageName,
    stageNameAsWritten: asWritten,
    // BuildKit treats `--platform=` as no platform at all.
    platform: flags.values.platform || undefined,
  };
}

/** From the first word to the last, or the keyword when there are none. */
function wordsSpan(node: Node, words: Word[]): Span {
  const first = words[0];
  const last = words[words.length - 1];
  if (!first || !last) return node.keywordSpan;
  return { ...first.span, endLine: last.span.endLine, endCol: last.span.endCol };
}
