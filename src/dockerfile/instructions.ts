/**
 * Node → typed Instruction: BuildKit's instructions/parse.go. Each kind has
 * one parser, in a table the compiler checks, so a kind without one is a type
 * error. Arguments are counted and flags read in the order BuildKit does, so
 * the first mistake reported is the one Docker reports; values stay
 * unexpanded.
 */
import { DockerfileError } from '../errors.js';
import { INSTRUCTION_KINDS, type Instruction, type InstructionKind, type Node } from './ast.js';
import {
  arg,
  env,
  expose,
  label,
  maintainer,
  stopsignal,
  user,
  volume,
  workdir,
} from './instructions/config.js';
import { cmd, entrypoint, run, shell } from './instructions/command.js';
import { add, copy } from './instructions/copy.js';
import { from } from './instructions/from.js';
import { goLower } from './instructions/gocase.js';
import { healthcheck } from './instructions/healthcheck.js';
import { onbuild } from './instructions/onbuild.js';
import { suggest } from './instructions/suggest.js';

const PARSERS: { [K in InstructionKind]: (node: Node) => Extract<Instruction, { kind: K }> } = {
  ADD: add,
  ARG: arg,
  CMD: cmd,
  COPY: copy,
  ENTRYPOINT: entrypoint,
  ENV: env,
  EXPOSE: expose,
  FROM: from,
  HEALTHCHECK: healthcheck,
  LABEL: label,
  MAINTAINER: maintainer,
  ONBUILD: (node) => onbuild(node, toInstruction),
  RUN: run,
  SHELL: shell,
  STOPSIGNAL: stopsignal,
  USER: user,
  VOLUME: volume,
  WORKDIR: workdir,
};

/**
 * The typed instruction for a node, or a DockerfileError at the offending
 * flag, word or keyword.
 * @example
 *   toInstruction(node) // for `COPY --from=build /out /app`:
 *   // { kind: 'COPY', from: 'build', sources: [{ value: '/out', … }], dest: { value: '/app', … }, … }
 */
export function toInstruction(node: Node): Instruction {
  const kind = kindOf(node.keyword);
  if (!kind) throw unknownInstruction(node);
  return PARSERS[kind](node);
}

/** Docker matches the keyword lower-cased the Go way: `ENTRYPOİNT` is ENTRYPOINT. */
function kindOf(keyword: string): InstructionKind | undefined {
  const lower = goLower(keyword);
  return INSTRUCTION_KINDS.find((k) => k.toLowerCase() === lower);
}

/** `unknown instruction: FORM (did you mean FROM?)`, the keyword as written. */
function unknownInstruction(node: Node): DockerfileError {
  const match = suggest(node.keyword, INSTRUCTION_KINDS, false);
  const reason =
    `unknown instruction: ${node.keyword}` +
    (match === undefined ? '' : ` (did you mean ${match}?)`);
  return new DockerfileError('UNKNOWN_INSTRUCTION', reason, node.keywordSpan, {
    data: { instruction: node.keyword, suggestion: match, docker: reason },
  });
}
