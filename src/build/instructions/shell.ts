/** SHELL ["/bin/bash", "-c"] — the shell of later shell-form RUN, CMD and ENTRYPOINT. History `SHELL [/bin/bash -c]` (Go's %v). */
import type { ShellInstruction } from '../../dockerfile/ast.js';
import { formatInstruction } from '../../dockerfile/format.js';
import type { Handler } from './types.js';

export const shell: Handler<ShellInstruction> = {
  plan(ins, st) {
    return {
      config: { ...st.config, Shell: ins.argv },
      history: `SHELL [${ins.argv.join(' ')}]`,
      key: formatInstruction(ins),
    };
  },
};
