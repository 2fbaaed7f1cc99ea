/**
 * Ends the run with one plain line, `N passed, N failed` (and skipped when
 * any), which CI reads to count the tests whatever the runner prints. Before
 * it, what test/setup/on-timeout.ts recorded of any test that timed out.
 */
import { readFileSync, rmSync } from 'node:fs';
import type { Reporter } from 'vitest/reporters';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<{
      children: { allTests(): Iterable<{ result(): { state: string } }> };
    }>,
  ): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    const line = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
    const timeouts = takeTimeoutLog();
    // Vitest prints its own summary after this hook; the line must come last.
    process.once('exit', () => process.stdout.write(`\n${timeouts}${line}\n`));
  }
}

/** What timed-out tests left in TSBUILD_TIMEOUT_LOG (removed once read), or ''. */
function takeTimeoutLog(): string {
  const log = process.env.TSBUILD_TIMEOUT_LOG;
  if (!log) return '';
  try {
    const text = readFileSync(log, 'utf8');
    rmSync(log, { force: true });
    return `${text}\n`;
  } catch {
    return '';
  }
}
