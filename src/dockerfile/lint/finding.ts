import type { Warning } from '../ast.js';

/**
 * A rule's finding before the configuration is applied: the warning, and
 * `node`, the instruction (index in the file) whose `# check=` comment
 * governs it. `stage` is set for findings BuildKit makes while dispatching a
 * stage, which a build reports only for the stages it builds.
 */
export interface Finding extends Warning {
  node?: number;
}

export type Report = (
  rule: string,
  message: string,
  at: Pick<Finding, 'span' | 'node' | 'stage'>,
) => void;

/** The keyword as written: `cmd`, `CMD`, `Cmd`. */
export function keywordOf(ins: { original: string; kind: string }): string {
  return /^\S+/.exec(ins.original.trimStart())?.[0] ?? ins.kind;
}
