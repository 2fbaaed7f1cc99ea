/**
 * ARG A=1 — changes nothing in the config; its value reaches RUN steps through the
 * step's `args` (the front end scopes them). History `ARG A=1`, the default as written.
 */
import type { ArgInstruction } from '../../dockerfile/ast.js';
import { formatInstruction } from '../../dockerfile/format.js';
import type { Handler } from './types.js';

export const arg: Handler<ArgInstruction> = {
  plan(ins, st) {
    const text = formatInstruction(ins);
    return { config: st.config, history: text, key: text };
  },
};
