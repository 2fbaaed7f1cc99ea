/**
 * WORKDIR app — relative to the previous WORKDIR (`/` at first); the directory is
 * created (owned by root, as BuildKit) when missing, which may add a layer.
 */
import { posix } from 'node:path';
import type { WorkdirInstruction } from '../../dockerfile/ast.js';
import type { Handler } from './types.js';

export const workdir: Handler<WorkdirInstruction> = {
  plan(ins, st) {
    const dir = posix.resolve(st.config.WorkingDir || '/', ins.path);
    const text = `WORKDIR ${dir}`;
    return {
      config: { ...st.config, WorkingDir: dir },
      history: text,
      key: text,
      effect: { kind: 'mkdir', path: dir, user: st.config.User ?? '' },
    };
  },
};
