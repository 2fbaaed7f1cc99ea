/**
 * HEALTHCHECK --interval=5s CMD curl -f http://localhost/ — the config's Healthcheck.
 * History is Go's `%q` of the struct, as BuildKit writes it:
 * `HEALTHCHECK &{["CMD-SHELL" "curl …"] "5s" "0s" "0s" '\x00'}`.
 */
import type { HealthcheckInstruction } from '../../dockerfile/ast.js';
import { formatInstruction } from '../../dockerfile/format.js';
import type { HealthConfig } from '../../image/types.js';
import { goQuote, goQuoteRune } from '../../util/go-quote.js';
import { goList } from './command.js';
import type { Handler } from './types.js';

export const healthcheck: Handler<HealthcheckInstruction> = {
  plan(ins, st) {
    const h: HealthConfig = { Test: ins.test };
    if (ins.interval) h.Interval = ins.interval;
    if (ins.timeout) h.Timeout = ins.timeout;
    if (ins.startPeriod) h.StartPeriod = ins.startPeriod;
    if (ins.startInterval) h.StartInterval = ins.startInterval;
    if (ins.retries) h.Retries = ins.retries;
    const durations = [ins.interval, ins.timeout, ins.startPeriod];
    if (ins.startInterval) durations.push(ins.startInterval);
    const fields = [
      goList(ins.test),
      ...durations.map((d) => goQuote(goDuration(d))),
      goQuoteRune(ins.retries),
    ];
    return {
      config: { ...st.config, Healthcheck: h },
      history: `HEALTHCHECK &{${fields.join(' ')}}`,
      key: formatInstruction(ins),
    };
  },
};

/** Go's time.Duration.String() of nanoseconds: 5s, 1m30s, 1.5s, 500ms, 0s. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let n = Math.abs(ns);
  let out: string;
  if (n < 1e9) {
    const [unit, div] = n < 1e3 ? ['ns', 1] : n < 1e6 ? ['µs', 1e3] : ['ms', 1e6];
    out = `${trimFraction(n / (div as number))}${unit as string}`;
  } else {
    const h = Math.floor(n / 3.6e12);
    n -= h * 3.6e12;
    const m = Math.floor(n / 6e10);
    n -= m * 6e10;
    const s = `${trimFraction(n / 1e9)}s`;
    out = h > 0 ? `${h}h${m}m${s}` : m > 0 ? `${m}m${s}` : s;
  }
  return neg ? `-${out}` : out;
}

function trimFraction(x: number): string {
  return String(Number(x.toFixed(9)));
}
