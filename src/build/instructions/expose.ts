/**
 * EXPOSE 80 8000-8001/udp — each port (ranges expanded, protocol defaulting to tcp)
 * becomes a key of ExposedPorts. History is Go's %v of this instruction's port set:
 * `EXPOSE map[80/tcp:{} 8000/udp:{} 8001/udp:{}]`, keys sorted.
 */
import type { ExposeInstruction } from '../../dockerfile/ast.js';
import { formatInstruction } from '../../dockerfile/format.js';
import { parsePortSpec } from '../../dockerfile/validate.js';
import type { Handler } from './types.js';

export const expose: Handler<ExposeInstruction> = {
  plan(ins, st) {
    const ports = new Set<string>();
    for (const w of ins.ports) for (const p of parsePorts(w.value, ins)) ports.add(p);
    const ExposedPorts = { ...(st.config.ExposedPorts ?? {}) };
    for (const p of ports) ExposedPorts[p] = {};
    const sorted = [...ports].sort();
    return {
      config: { ...st.config, ExposedPorts },
      history: `EXPOSE map[${sorted.map((p) => `${p}:{}`).join(' ')}]`,
      key: formatInstruction(ins),
    };
  },
};

/** Each port of one EXPOSE word, ranges expanded: `8000-8001/udp` → 8000/udp, 8001/udp. */
function parsePorts(spec: string, ins: ExposeInstruction): string[] {
  const { lo, hi, proto } = parsePortSpec(spec, ins.span);
  const out: string[] = [];
  for (let p = lo; p <= hi; p++) out.push(`${p}/${proto}`);
  return out;
}
