/**
 * ONBUILD RUN make — stored as a trigger in the config; a build FROM this image runs the
 * triggers right after its FROM, and its own image does not carry them on. Like
 * BuildKit, it writes no history entry (Docker 20.10 confirmed; conformance case
 * onbuild-declared).
 */
import type { OnbuildInstruction } from '../../dockerfile/ast.js';
import type { Handler } from './types.js';

export const onbuild: Handler<OnbuildInstruction> = {
  plan(ins, st) {
    const text = `ONBUILD ${ins.expression}`;
    return {
      config: { ...st.config, OnBuild: [...(st.config.OnBuild ?? []), ins.expression] },
      history: undefined,
      key: text,
    };
  },
};
