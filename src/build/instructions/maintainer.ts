/** MAINTAINER me — deprecated; sets the image's `author`. */
import type { MaintainerInstruction } from '../../dockerfile/ast.js';
import type { Handler } from './types.js';

export const maintainer: Handler<MaintainerInstruction> = {
  plan(ins, st) {
    const text = `MAINTAINER ${ins.maintainer}`;
    return { config: st.config, author: ins.maintainer, history: text, key: text };
  },
};
