/** USER app:app — checked only when a RUN uses it (as Docker: a missing user fails the RUN). */
import type { UserInstruction } from '../../dockerfile/ast.js';
import type { Handler } from './types.js';

export const user: Handler<UserInstruction> = {
  plan(ins, st) {
    const text = `USER ${ins.user}`;
    return { config: { ...st.config, User: ins.user }, history: text, key: text };
  },
};
