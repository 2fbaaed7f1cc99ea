import { DockerfileError, type Span } from '../../errors.js';
import type { HealthcheckInstruction, Node } from '../ast.js';
import { parseFlags } from '../flags.js';
import { argWords, atLeastOne, base } from './args.js';
import { DurationError, parseDuration } from './duration.js';
import { goUpper } from './gocase.js';
import { goQuote } from '../../util/go-quote.js';

type Durations = 'interval' | 'timeout' | 'start-period' | 'start-interval';

/** Docker's container.MinimumDuration: shorter intervals (other than 0) are refused. */
const MIN_DURATION = 1_000_000n;

/**
 * HEALTHCHECK [--interval=…] [--timeout=…] [--start-period=…] [--start-interval=…] [--retries=…] CMD <command>
 * HEALTHCHECK NONE
 *
 * `NONE` reads no flags at all, so `HEALTHCHECK --bogus NONE` is accepted,
 * as in Docker. For `CMD` the flags are read first, then the type and the
 * command are checked, then the values. A duration of 0 means "inherit".
 */
export function healthcheck(node: Node): HealthcheckInstruction {
  const words = argWords(node.args);
  const type = words[0];
  if (!type) throw atLeastOne(node, 'HEALTHCHECK');
  const typ = goUpper(type.value);
  const rest = words.slice(1);
  const zero = { interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
  if (typ === 'NONE') {
    if (rest[0])
      throw new DockerfileError(
        'BAD_HEALTHCHECK',
        'HEALTHCHECK NONE takes no arguments',
        rest[0].span,
      );
    return { kind: 'HEALTHCHECK', ...base(node), test: ['NONE'], ...zero };
  }
  const flags = parseFlags(node, 'HEALTHCHECK');
  if (typ !== 'CMD') {
    throw new DockerfileError(
      'BAD_HEALTHCHECK',
      `Unknown type ${goQuote(typ)} in HEALTHCHECK (try CMD)`,
      type.span,
    );
  }
  const json = node.args.kind === 'health' && node.args.command.kind === 'json';
  const command = json
    ? rest.map((w) => w.value)
    : rest.length > 0
      ? [rest.map((w) => w.value).join(' ')]
      : [];
  if (command.length === 0)
    throw new DockerfileError(
      'BAD_HEALTHCHECK',
      'Missing command after HEALTHCHECK CMD',
      type.span,
    );
  const interval = (name: Durations) => optInterval(name, flags.values[name], flags.spans[name]);
  return {
    kind: 'HEALTHCHECK',
    ...base(node),
    test: [json ? 'CMD' : 'CMD-SHELL', ...command],
    interval: interval('interval'),
    timeout: interval('timeout'),
    startPeriod: interval('start-period'),
    startInterval: interval('start-interval'),
    retries: retries(flags.values.retries, flags.spans.retries),
  };
}

/** BuildKit's parseOptInterval: nanoseconds; "" and 0 are 0; otherwise at least 1ms. */
function optInterval(name: Durations, value: string | undefined, span: Span | undefined): number {
  if (value === undefined || value === '') return 0;
  let d: bigint;
  try {
    d = parseDuration(value);
  } catch (e) {
    if (!(e instanceof DurationError)) throw e;
    throw new DockerfileError('BAD_DURATION', `HEALTHCHECK --${name}: ${e.message}`, span!, {
      data: { flag: name, docker: e.message },
    });
  }
  if (d === 0n) return 0;
  if (d < MIN_DURATION) {
    throw new DockerfileError(
      'BAD_DURATION',
      `HEALTHCHECK --${name} cannot be less than 1ms, got "${value}"`,
      span!,
      {
        data: { flag: name, docker: `Interval ${goQuote(name)} cannot be less than 1ms` },
      },
    );
  }
  return Number(d);
}

/** strconv.ParseInt(value, 10, 32), then "not negative" (BuildKit allows 0). */
function retries(value: string | undefined, span: Span | undefined): number {
  if (value === undefined || value === '') return 0;
  const fail = (reason: string, docker: string) =>
    new DockerfileError('BAD_RETRIES', reason, span!, { data: { flag: 'retries', docker } });
  const n = parseInt32(value);
  if (n === 'syntax') {
    throw fail(
      `HEALTHCHECK --retries must be a whole number, not ${goQuote(value)}`,
      `strconv.ParseInt: parsing ${goQuote(value)}: invalid syntax`,
    );
  }
  if (n === 'range') {
    throw fail(
      `HEALTHCHECK --retries is out of range: ${goQuote(value)}`,
      `strconv.ParseInt: parsing ${goQuote(value)}: value out of range`,
    );
  }
  if (n < 0)
    throw fail(
      `HEALTHCHECK --retries cannot be negative (${n})`,
      `--retries cannot be negative (${n})`,
    );
  return n;
}

/** Go's ParseInt(s, 10, 32): an optional sign and ASCII digits, scanned left to right. */
function parseInt32(s: string): number | 'syntax' | 'range' {
  let digits = s;
  const neg = s[0] === '-';
  if (s[0] === '+' || s[0] === '-') digits = s.slice(1);
  if (digits === '') return 'syntax';
  let n = 0;
  for (const c of digits) {
    if (c < '0' || c > '9') return 'syntax';
    n = n * 10 + (c.charCodeAt(0) - 48);
    // ParseUint stops at the first digit that overflows 32 bits, before any later bad character.
    if (n > 0xffffffff) return 'range';
  }
  if (neg ? n > 2 ** 31 : n >= 2 ** 31) return 'range';
  return neg ? -n || 0 : n;
}
