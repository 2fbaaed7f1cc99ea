/** STOPSIGNAL SIGTERM — stored as written. */
import type { StopsignalInstruction } from '../../dockerfile/ast.js';
import type { Handler } from './types.js';

export const stopsignal: Handler<StopsignalInstruction> = {
  plan(ins, st) {
    const text = `STOPSIGNAL ${ins.signal}`;
    return { config: { ...st.config, StopSignal: ins.signal }, history: text, key: text };
  },
};
