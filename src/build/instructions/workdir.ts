/**
 * WORKDIR app — relative to the previous WORKDIR (`/` at first); the directory is
 * created when missing, owned by the stage's USER (see effects/mkdir.ts). BuildKit
 * commits a layer for every WORKDIR but `/`, even an empty one for a directory that
 * existed; tsbuild keeps no empty layer and marks that step empty_layer instead.
 * Pinned by test/fixtures/build-cases workdir-rules (a declared difference there).
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
