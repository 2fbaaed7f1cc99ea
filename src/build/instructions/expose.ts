/**
 * EXPOSE 80 8000-8001/udp — each port (ranges expanded, protocol defaulting to tcp)
 * becomes a key of ExposedPorts. History is Go's %v of this instruction's port set:
 * `EXPOSE map[80/tcp:{} 8000/udp:{} 8001/udp:{}]`, keys sorted.
 */
import type { ExposeInstruction } from '../../dockerfile/ast.js';
import { DockerfileError } from '../../errors.js';
import { formatInstruction } from '../../dockerfile/format.js';
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

function parsePorts(spec: string, ins: ExposeInstruction): string[] {
  const m = /^(?:(?:[^:]*:)?[^:]*:)?(\d+)(?:-(\d+))?(?:\/([A-Za-z]+))?$/.exec(spec);
  const bad = () => new DockerfileError('BAD_PORT', `invalid containerPort: ${spec}`, ins.span);
  if (!m) throw bad();
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  if (start > 65535 || end > 65535 || end < start) throw bad();
  if (!['tcp', 'udp', 'sctp'].includes(proto))
    throw new DockerfileError('BAD_PORT', `invalid proto: ${proto}`, ins.span);
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  return out;
}
