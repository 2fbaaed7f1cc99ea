/**
 * WORKDIR app — relative to the previous WORKDIR (`/` at first), and then cleaned;
 * an absolute path is kept as written (`WORKDIR /srv/data/` stays `/srv/data/` in
 * the config and the history, `/x/../y` too), as BuildKit does. The directory is
 * created when missing, owned by the stage's USER (see effects/mkdir.ts). BuildKit
 * commits a layer for every WORKDIR but `/`, even an empty one for a directory that
 * existed; tsbuild keeps no empty layer and marks that step empty_layer instead.
 * Pinned by test/fixtures/build-cases workdir-rules (a declared difference there) and
 * workdir-kept-as-written.
 */
import { posix } from 'node:path';
import type { WorkdirInstruction } from '../../dockerfile/ast.js';
import type { Handler } from './types.js';

export const workdir: Handler<WorkdirInstruction> = {
  plan(ins, st) {
    const dir = ins.path.startsWith('/')
      ? ins.path
      : posix.resolve(st.config.WorkingDir || '/', ins.path);
    const text = `WORKDIR ${dir}`;
    return {
      config: { ...st.config, WorkingDir: dir },
      history: text,
      key: text,
      effect: { kind: 'mkdir', path: dir, user: st.config.User ?? '' },
    };
  },
};
