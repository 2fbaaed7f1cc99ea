/**
 * COPY and ADD — what gets copied is decided in build/copy (sources, checksums,
 * destination rules); here only what the config, history and key say.
 * History as BuildKit: `COPY f.txt /x/ # buildkit`.
 */
import type { AddInstruction, CopyInstruction } from '../../dockerfile/ast.js';
import { formatInstruction } from '../../dockerfile/format.js';
import type { Handler } from './types.js';

function plan(
  ins: CopyInstruction | AddInstruction,
  st: Parameters<Handler<CopyInstruction>['plan']>[1],
) {
  const text = formatInstruction(ins);
  return {
    config: st.config,
    history: `${text} # buildkit`,
    key: text,
    effect: {
      kind: 'copy' as const,
      ins,
      workdir: st.config.WorkingDir || '/',
      user: st.config.User ?? '',
    },
  };
}

export const copy: Handler<CopyInstruction> = { plan };
export const add: Handler<AddInstruction> = { plan };
