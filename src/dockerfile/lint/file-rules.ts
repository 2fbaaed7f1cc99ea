/**
 * Rules BuildKit checks over the whole file once it has its stages
 * (dockerfile2llb validateStageNames, validateCommandCasing):
 *
 *   ReservedStageName            FROM alpine AS scratch
 *   DuplicateStageName           FROM a AS build … FROM b AS build
 *                                (the later stage is the one the name means)
 *   ConsistentInstructionCasing  From alpine / Run make   (against the majority)
 *
 * ARGs before the first FROM belong to no stage: the casing rule neither
 * counts nor checks them.
 */
import type { Instruction } from '../ast.js';
import { keywordOf, type Report } from './finding.js';

const RESERVED = new Set(['context', 'scratch']);

export function stageNameRules(instructions: readonly Instruction[], report: Report): void {
  const seen = new Set<string>();
  for (const ins of instructions) {
    if (ins.kind !== 'FROM' || ins.stageName === undefined) continue;
    const name = ins.stageName;
    if (RESERVED.has(name))
      report(
        'ReservedStageName',
        `Stage name should not use the same name as reserved stage "${name}"`,
        { span: ins.span },
      );
    if (seen.has(name))
      report('DuplicateStageName', `Duplicate stage name "${name}", stage names should be unique`, {
        span: ins.span,
      });
    seen.add(name);
  }
}

export function casingRule(instructions: readonly Instruction[], report: Report): void {
  const first = instructions.findIndex((i) => i.kind === 'FROM');
  if (first < 0) return;
  const staged = instructions.slice(first);
  let lower = 0;
  let upper = 0;
  for (const ins of staged) {
    const word = keywordOf(ins);
    if (word === word.toLowerCase()) lower++;
    else if (word === word.toUpperCase()) upper++;
  }
  // A tie counts as upper case, as BuildKit's `lower > upper` makes it.
  const majorityLower = lower > upper;
  for (const ins of staged) {
    const word = keywordOf(ins);
    const wrong = majorityLower ? word !== word.toLowerCase() : word !== word.toUpperCase();
    if (!wrong) continue;
    const casing = majorityLower ? 'lowercase' : 'uppercase';
    report(
      'ConsistentInstructionCasing',
      `Command '${word}' should match the case of the command majority (${casing})`,
      { span: ins.span },
    );
  }
}
