/** FROM — handled by stage.ts (the base is resolved before any step runs); never planned. */
import type { FromInstruction } from '../../dockerfile/ast.js';
import type { Handler } from './types.js';

export const from: Handler<FromInstruction> = {
  plan(ins, st) {
    return { config: st.config, history: ins.original, key: ins.original };
  },
};
