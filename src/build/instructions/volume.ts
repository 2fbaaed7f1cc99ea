/** VOLUME /data /logs — added to the config's volumes; history `VOLUME [/data /logs]` (Go's %v). */
import type { VolumeInstruction } from '../../dockerfile/ast.js';
import { formatInstruction } from '../../dockerfile/format.js';
import type { Handler } from './types.js';

export const volume: Handler<VolumeInstruction> = {
  plan(ins, st) {
    const Volumes = { ...(st.config.Volumes ?? {}) };
    for (const p of ins.paths) Volumes[p.value] = {};
    return {
      config: { ...st.config, Volumes },
      history: `VOLUME [${ins.paths.map((p) => p.value).join(' ')}]`,
      key: formatInstruction(ins),
    };
  },
};
