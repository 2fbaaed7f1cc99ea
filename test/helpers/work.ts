/**
 * Work, counted rather than timed. V8's precise block coverage counts how
 * many times each function and each block of code (a loop body, a branch)
 * runs; weighed by the length of the code and summed over this package's
 * src/ and the parser libraries it runs (nearley, moo), that is a measure of
 * work that is the same on every run and every machine, however loaded. A
 * path that goes quadratic shows up as a block run n² times, wherever in our
 * code it is. What it does not see is work inside the engine's built-ins (a
 * regular expression backtracking, a string copied), which a clock would.
 *
 * Two conditions make the counts exact and repeatable, and this module sets
 * both up as it loads, so it comes first among a test file's imports:
 * counting starts before the measured code is compiled (V8 gives block
 * counters only to code compiled after: a function that already ran while
 * its module loaded is counted as a whole), and V8 does not optimise
 * (TurboFan's inlining loses the counts of an inlined function now and
 * then), so the test file's code runs unoptimised, a few times slower.
 * The counts are taken without stopping the profiler, so this does not mix
 * with `vitest --coverage`, which this project does not use.
 */
import { Session } from 'node:inspector';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';

interface Range {
  startOffset: number;
  endOffset: number;
  count: number;
}

interface Coverage {
  result: { url: string; functions: { ranges: Range[] }[] }[];
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const COUNTED = [`${root}src/`, `${root}node_modules/nearley/`, `${root}node_modules/moo/`];

function counted(url: string): boolean {
  const path = url.startsWith('file:') ? fileURLToPath(url) : url;
  return COUNTED.some((dir) => path.startsWith(dir));
}

const session = new Session();
session.connect();

/** An inspector call; on the same thread the reply comes before post returns. */
function post<T = unknown>(method: string, params?: object): T {
  let reply: { error: Error | null; result?: T } | undefined;
  session.post(method, params, (error, result) => (reply = { error, result: result as T }));
  if (!reply) throw new Error(`inspector: no reply to ${method}`);
  if (reply.error) throw reply.error;
  return reply.result as T;
}

setFlagsFromString('--no-opt');
post('Profiler.enable');
post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });

/**
 * Characters of source run, counted with repetition: each character times
 * the count of the innermost range around it. V8 leaves out a nested range
 * whose count equals its parent's; this sum is the same either way.
 */
function weigh(ranges: readonly Range[]): number {
  // A function's ranges come outermost first, each nested one after its parent.
  const open: Range[] = [];
  let n = 0;
  for (const r of ranges) {
    while (open.length > 0 && open[open.length - 1]!.endOffset <= r.startOffset) open.pop();
    const parent = open[open.length - 1]?.count ?? 0;
    n += (r.count - parent) * (r.endOffset - r.startOffset);
    open.push(r);
  }
  return n;
}

/** The work since the last take (taking resets the counts) in the counted code. */
function take(): number {
  let n = 0;
  for (const script of post<Coverage>('Profiler.takePreciseCoverage').result) {
    if (!counted(script.url)) continue;
    for (const fn of script.functions) n += weigh(fn.ranges);
  }
  return n;
}

/**
 * The work `fn` does: characters of source run in src/, nearley and moo.
 * Run `fn`'s kind of work once before measuring, so that what happens only
 * the first time (a grammar compiled, a cache filled) is not counted.
 */
export function work(fn: () => void): number {
  take();
  fn();
  return take();
}
