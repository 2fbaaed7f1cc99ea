import { DockerfileError } from '../../errors.js';
import type { Instruction, Node, OnbuildInstruction } from '../ast.js';
import { parseFlags } from '../flags.js';
import { argWords, atLeastOne, base } from './args.js';
import { goUpper } from './gocase.js';

/** Go's `(?i)^\s*ONBUILD\s*`; RE2's \s is [\t\n\f\r ]. */
const ONBUILD_PREFIX = /^[\t\n\f\r ]*ONBUILD[\t\n\f\r ]*/i;

/**
 * ONBUILD <instruction> — stored as text for the child image to run. Docker
 * refuses only ONBUILD, FROM and MAINTAINER triggers here; any other trigger,
 * even `ONBUILD FOO` or `ONBUILD COPY onlyone`, is accepted and fails only in
 * the child, so `trigger` is undefined when it would not parse.
 */
export function onbuild(node: Node, parseTrigger: (node: Node) => Instruction): OnbuildInstruction {
  const words = argWords(node.args);
  const keyword = words[0];
  if (!keyword) throw atLeastOne(node, 'ONBUILD');
  parseFlags(node, 'ONBUILD');
  const trigger = goUpper(keyword.value.trim());
  if (trigger === 'ONBUILD') {
    throw new DockerfileError(
      'ONBUILD_TRIGGER',
      "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
      keyword.span,
    );
  }
  if (trigger === 'FROM' || trigger === 'MAINTAINER') {
    throw new DockerfileError(
      'ONBUILD_TRIGGER',
      `${trigger} isn't allowed as an ONBUILD trigger`,
      keyword.span,
    );
  }
  // The child parses this text again, heredoc bodies appended after the line.
  let expression = node.original.replace(ONBUILD_PREFIX, '');
  for (const h of node.heredocs) expression += '\n' + h.content + h.name;
  return { kind: 'ONBUILD', ...base(node), expression, trigger: triggerOf(node, parseTrigger) };
}

function triggerOf(node: Node, parseTrigger: (node: Node) => Instruction): Instruction | undefined {
  if (node.args.kind !== 'sub') return undefined;
  try {
    // The line's heredocs belong to the trigger (`ONBUILD RUN <<EOF`).
    return parseTrigger({ ...node.args.node, heredocs: node.heredocs });
  } catch (e) {
    if (e instanceof DockerfileError) return undefined;
    throw e;
  }
}
