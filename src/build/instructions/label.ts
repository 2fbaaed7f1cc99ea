/** LABEL a=1 b="x y" — merged into the base image's labels; history `LABEL a=1 b=x y`. */
import type { LabelInstruction } from '../../dockerfile/ast.js';
import { formatInstruction } from '../../dockerfile/format.js';
import type { Handler } from './types.js';

export const label: Handler<LabelInstruction> = {
  plan(ins, st) {
    const Labels = { ...(st.config.Labels ?? {}) };
    for (const { key, value } of ins.pairs) Labels[key] = value;
    return {
      config: { ...st.config, Labels },
      history: `LABEL ${ins.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`,
      key: formatInstruction(ins),
    };
  },
};
