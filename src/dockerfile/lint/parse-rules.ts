/**
 * The rules BuildKit applies while it reads each instruction
 * (instructions/parse.go), to every instruction of the file, whatever the
 * target:
 *
 *   MaintainerDeprecated            MAINTAINER me
 *   StageNameCasing                 FROM alpine AS Build
 *   FromAsCasing                    FROM alpine as build
 *   InvalidDefinitionDescription    # some comment          (experimental)
 *                                   ARG VERSION=1
 */
import type { Instruction, Node } from '../ast.js';
import { keywordOf, type Report } from './finding.js';

export function parseRules(
  instructions: readonly Instruction[],
  nodes: readonly Node[],
  report: Report,
): void {
  instructions.forEach((ins, node) => {
    const at = { span: ins.span, node };
    if (ins.kind === 'MAINTAINER') {
      report(
        'MaintainerDeprecated',
        'Maintainer instruction is deprecated in favor of using label',
        at,
      );
    } else if (ins.kind === 'FROM') {
      fromCasing(ins, report, at);
      if (ins.stageName !== undefined)
        definitionDescription('FROM', [ins.stageName], nodes[node]!.comments, report, at);
    } else if (ins.kind === 'ARG') {
      const keys = ins.args.map((a) => a.key);
      definitionDescription('ARG', keys, nodes[node]!.comments, report, at);
    }
  });
}

function fromCasing(
  ins: Extract<Instruction, { kind: 'FROM' }>,
  report: Report,
  at: Parameters<Report>[2],
): void {
  const name = ins.stageNameAsWritten;
  if (name === undefined) return;
  const written = keywordOf(ins);
  if (name !== name.toLowerCase())
    report('StageNameCasing', `Stage name '${name}' should be lowercase`, at);
  // FROM's words are plain whitespace-separated, so AS is the second to last.
  const words = ins.original.trim().split(/\s+/);
  const as = words[words.length - 2] ?? '';
  const lower = written === written.toLowerCase();
  const upper = written === written.toUpperCase();
  // A mixed-case FROM is ConsistentInstructionCasing's business, not this rule's.
  if ((lower && as !== as.toLowerCase()) || (upper && !lower && as !== as.toUpperCase()))
    report('FromAsCasing', `'${as}' and '${written}' keywords' casing do not match`, at);
}

/**
 * The comment right above a named FROM or an ARG documents it (`--call=outline`
 * and `targets` show it) when it starts with the name; any other comment there
 * is flagged, since it is taken for a description.
 */
function definitionDescription(
  instruction: 'FROM' | 'ARG',
  keys: string[],
  comments: readonly string[],
  report: Report,
  at: Parameters<Report>[2],
): void {
  const last = comments.at(-1);
  if (last === undefined || keys.length === 0) return;
  if (keys.includes(last.split(' ')[0]!)) return;
  const example = keys.length > 1 ? '<arg_key>' : keys[0]!;
  report(
    'InvalidDefinitionDescription',
    `Comment for ${instruction} should follow the format: \`# ${example} <description>\``,
    at,
  );
}
