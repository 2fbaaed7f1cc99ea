/**
 * BuildKit's lint rules that need no variable expansion, named and worded as
 * in its linter ruleset, run over the instructions in file order (a stage
 * starts at each FROM):
 *
 *   StageNameCasing, FromAsCasing   FROM alpine as Build
 *   MaintainerDeprecated            MAINTAINER me
 *   LegacyKeyValueFormat            ENV key value
 *   JSONArgsRecommended             CMD app --flag        (unless the stage has a SHELL)
 *   MultipleInstructionsDisallowed  two CMDs in one stage (reported at the first)
 *   InvalidJSONArgs (ours)          CMD ["app", 'x']      (not JSON, so shell form)
 *
 * Messages name the instruction as written (`cmd` or `CMD`), as BuildKit does.
 */
import type { Instruction, Span, Warning, Word } from './ast.js';

interface Stage {
  /** A SHELL in this stage or the stage it is built on: CMD/ENTRYPOINT in shell form then use it knowingly. */
  shell: boolean;
  /** The last CMD, ENTRYPOINT and HEALTHCHECK seen, as written, for MultipleInstructionsDisallowed. */
  last: Partial<Record<'CMD' | 'ENTRYPOINT' | 'HEALTHCHECK', { span: Span; written: string }>>;
}

/**
 * The warnings for a parsed Dockerfile's instructions.
 * @example
 *   lintInstructions(parseDockerfile('FROM a\nCMD run\n').instructions)
 *   // [{ rule: 'JSONArgsRecommended', message: 'JSON arguments recommended for CMD …', span }]
 */
export function lintInstructions(list: Instruction[]): Warning[] {
  const out: Warning[] = [];
  const named = new Map<string, Stage>();
  let stage: Stage = { shell: false, last: {} };
  const warn = (rule: string, message: string, span: Span) => out.push({ rule, message, span });
  for (const ins of list) {
    const written = keywordOf(ins);
    switch (ins.kind) {
      case 'FROM':
        fromCasing(ins, written, warn);
        // A stage built on an earlier one inherits its config, SHELL included.
        stage = { shell: named.get(ins.image.toLowerCase())?.shell ?? false, last: {} };
        if (ins.stageName !== undefined) named.set(ins.stageName, stage);
        break;
      case 'MAINTAINER':
        warn(
          'MaintainerDeprecated',
          'Maintainer instruction is deprecated in favor of using label',
          ins.span,
        );
        break;
      case 'ENV':
      case 'LABEL':
        if (ins.legacy) {
          const message = `"${written} key=value" should be used instead of legacy "${written} key value" format`;
          warn('LegacyKeyValueFormat', message, ins.span);
        }
        break;
      case 'SHELL':
        stage.shell = true;
        break;
      case 'CMD':
      case 'ENTRYPOINT':
        usedOnce(ins.kind, ins.span, written, stage, warn);
        if (ins.command.form === 'shell') {
          if (!stage.shell) {
            const message = `JSON arguments recommended for ${written} to prevent unintended behavior related to OS signals`;
            warn('JSONArgsRecommended', message, ins.span);
          }
          if (ins.command.script.startsWith('[')) invalidJson(written, 'shell', ins.span, warn);
        }
        break;
      case 'HEALTHCHECK':
        usedOnce(ins.kind, ins.span, written, stage, warn);
        if (ins.test[0] === 'CMD-SHELL' && ins.test[1]?.startsWith('['))
          invalidJson(written, 'shell', ins.span, warn);
        break;
      case 'RUN':
        if (ins.command.form === 'shell' && ins.command.script.startsWith('[')) {
          invalidJson(written, 'shell', ins.span, warn);
        }
        break;
      case 'COPY':
      case 'ADD':
        // With a heredoc source the first word may be the heredoc; stay silent rather than guess.
        if (ins.inline.length === 0 && looksLikeBrokenJson(ins.sources[0]))
          invalidJson(written, 'words', ins.span, warn);
        break;
      case 'VOLUME':
        if (looksLikeBrokenJson(ins.paths[0])) invalidJson(written, 'words', ins.span, warn);
        break;
      default:
        break;
    }
  }
  return out;
}

type Warn = (rule: string, message: string, span: Span) => void;

/** The keyword as written: the first word of the instruction's text. */
function keywordOf(ins: Instruction): string {
  return /^\S+/.exec(ins.original.trimStart())?.[0] ?? ins.kind;
}

function fromCasing(
  ins: Extract<Instruction, { kind: 'FROM' }>,
  written: string,
  warn: Warn,
): void {
  const name = ins.stageNameAsWritten;
  if (name === undefined) return;
  if (name !== name.toLowerCase())
    warn('StageNameCasing', `Stage name '${name}' should be lowercase`, ins.span);
  // FROM's words are plain whitespace-separated, so AS is the second to last.
  const words = ins.original.trim().split(/\s+/);
  const as = words[words.length - 2] ?? '';
  const lower = written === written.toLowerCase();
  const upper = written === written.toUpperCase();
  // A mixed-case FROM is ConsistentInstructionCasing's business, not this rule's.
  if ((lower && as !== as.toLowerCase()) || (upper && !lower && as !== as.toUpperCase())) {
    warn('FromAsCasing', `'${as}' and '${written}' keywords' casing do not match`, ins.span);
  }
}

/** BuildKit reports the earlier instruction, the one that will be ignored. */
function usedOnce(
  kind: keyof Stage['last'],
  span: Span,
  written: string,
  stage: Stage,
  warn: Warn,
): void {
  const previous = stage.last[kind];
  if (previous) {
    // Reported at the earlier instruction and in its spelling, as BuildKit does.
    const message = `Multiple ${previous.written} instructions should not be used in the same stage because only the last one will be used`;
    warn('MultipleInstructionsDisallowed', message, previous.span);
  }
  stage.last[kind] = { span, written };
}

/**
 * A first word starting with `[` that is the raw word as written. In the JSON
 * form every word carries the span of the whole array, wider than the word.
 */
function looksLikeBrokenJson(word: Word | undefined): boolean {
  if (!word?.value.startsWith('[')) return false;
  const { span } = word;
  return span.line === span.endLine && span.endCol - span.col === word.value.length;
}

function invalidJson(written: string, form: 'shell' | 'words', span: Span, warn: Warn): void {
  const fallback =
    form === 'shell' ? 'they run as a shell command' : 'they are split on whitespace';
  warn(
    'InvalidJSONArgs',
    `${written} arguments start with "[" but are not a JSON array of strings, so ${fallback}`,
    span,
  );
}
