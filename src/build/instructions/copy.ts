/**
 * COPY and ADD — what gets copied is decided in build/copy (sources, checksums,
 * destination rules); here only what the config, history and key say.
 * History as BuildKit 20.10 writes it: the sources and destination without any
 * flag (`COPY --chown=app --from=b f.txt /x/` → `COPY f.txt /x/ # buildkit`); the
 * cache key keeps the flags. Pinned by test/fixtures/build-cases copy-rules.
 */
import type { AddInstruction, CopyInstruction } from '../../dockerfile/ast.js';
import { formatInstruction } from '../../dockerfile/format.js';
import type { Handler } from './types.js';

function plan(
  ins: CopyInstruction | AddInstruction,
  st: Parameters<Handler<CopyInstruction>['plan']>[1],
) {
  const text = formatInstruction(ins);
  const words = [
    ...ins.sources.map((s) => s.value),
    ...ins.inline.map((s) => `<<${s.name}`),
    ins.dest.value,
  ];
  return {
    config: st.config,
    history: `${ins.kind} ${words.join(' ')} # buildkit`,
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
