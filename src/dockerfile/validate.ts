/**
 * Values BuildKit rejects once they are expanded, when it dispatches a stage
 * the target needs (a stage that is skipped is never checked, as in BuildKit):
 *
 *   FROM --platform=linux/   failed to parse platform
 *   EXPOSE 80/xyz            invalid proto: xyz
 *   EXPOSE abc               invalid containerPort: abc
 *   STOPSIGNAL FOO           Invalid signal: FOO
 */
import { DockerfileError } from '../errors.js';
import type { Stage } from './stage.js';

const PROTOS = new Set(['tcp', 'udp', 'sctp']);

/** Linux's signal names, as moby's signal.ParseSignal knows them (without SIG). */
const SIGNALS = new Set([
  ...'ABRT ALRM BUS CHLD CLD CONT FPE HUP ILL INT IO IOT KILL PIPE POLL PROF PWR QUIT SEGV STKFLT STOP SYS TERM TRAP TSTP TTIN TTOU URG USR1 USR2 VTALRM WINCH XCPU XFSZ RTMIN RTMAX'.split(
    ' ',
  ),
  ...Array.from({ length: 15 }, (_, i) => `RTMIN+${i + 1}`),
  ...Array.from({ length: 14 }, (_, i) => `RTMAX-${i + 1}`),
]);

export function validateStage(stage: Stage): void {
  if (stage.platform !== undefined) checkPlatform(stage.platform, stage.from.span);
  for (const { instruction: ins } of stage.steps) {
    if (ins.kind === 'EXPOSE') for (const p of ins.ports) parsePortSpec(p.value, p.span);
    if (ins.kind === 'STOPSIGNAL') checkSignal(ins.signal, ins.span);
  }
}

/** containerd's platforms.Parse: `os[/arch[/variant]]`, each part `[A-Za-z0-9_-]+`. */
function checkPlatform(value: string, span: Stage['from']['span']): void {
  const parts = value.split('/');
  const bad = parts.find((p) => !/^[A-Za-z0-9_-]+$/.test(p));
  if (parts.length > 3 || bad !== undefined) {
    const why =
      parts.length > 3
        ? 'a platform is os[/arch[/variant]]'
        : `"${bad}" is an invalid component of "${value}": platform specifier component must match "^[A-Za-z0-9_-]+$"`;
    throw new DockerfileError('BAD_PLATFORM', `failed to parse platform ${value}: ${why}`, span);
  }
}

/**
 * Docker's nat.ParsePortSpec for EXPOSE: `[[ip:]host:]port[-port][/proto]` → the
 * container port range and the protocol (lower-cased).
 */
export function parsePortSpec(
  spec: string,
  span: Stage['from']['span'],
): { lo: number; hi: number; proto: string } {
  const slash = spec.lastIndexOf('/');
  const proto = slash < 0 ? 'tcp' : spec.slice(slash + 1);
  const address = slash < 0 ? spec : spec.slice(0, slash);
  if (!PROTOS.has(proto.toLowerCase())) {
    throw new DockerfileError('BAD_PORT', `invalid proto: ${proto}`, span);
  }
  const port = address.slice(address.lastIndexOf(':') + 1);
  const m = /^(\d+)(?:-(\d+))?$/.exec(port);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
  if (!m || lo > 65535 || hi > 65535) {
    throw new DockerfileError('BAD_PORT', `invalid containerPort: ${port}`, span);
  }
  if (hi < lo)
    throw new DockerfileError(
      'BAD_PORT',
      `invalid range specified for container port: ${port}`,
      span,
    );
  return { lo, hi, proto: proto.toLowerCase() };
}

/** moby's signal.ParseSignal: a non-zero number, or a name with or without SIG. */
function checkSignal(value: string, span: Stage['from']['span']): void {
  if (/^[+-]?\d+$/.test(value)) {
    if (Number(value) !== 0) return;
  } else if (SIGNALS.has(value.toUpperCase().replace(/^SIG/, ''))) return;
  throw new DockerfileError('BAD_SIGNAL', `Invalid signal: ${value}`, span);
}
