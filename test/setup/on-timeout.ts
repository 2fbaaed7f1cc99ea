/**
 * A test that times out leaves its work where it stopped: say where, while it
 * is still there. Vitest reports only "Test timed out"; a hang seen once in CI
 * and never again here is then diagnosable from the log: the process tree (a
 * RUN whose runtime never exited, a helper waiting on a pipe), what this
 * worker's event loop still waits on, and which store locks are held.
 *
 * Runs for every test (vitest's setupFiles); it only reads, and only after a
 * timeout, so it changes no test's outcome. What it finds goes to the file
 * TSBUILD_TIMEOUT_LOG names (vitest.config.ts), which the summary reporter
 * prints last: a CI log is read from its end.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { beforeEach } from 'vitest';

beforeEach(({ onTestFailed }) => {
  onTestFailed(({ task }) => {
    const errors = task.result?.errors ?? [];
    if (!errors.some((e) => /timed out/i.test(String(e?.message)))) return;
    const lines = [`--- ${task.file?.name} > ${task.name}: timed out (worker ${process.pid}) ---`];
    lines.push(`pending in the worker: ${process.getActiveResourcesInfo().join(', ')}`);
    for (const [what, file, args] of [
      // Not the kernel's threads (kthreadd, pid 2, and its children).
      ['processes', 'ps', ['-N', '--ppid', '2', '--pid', '2', '-o', PS_FIELDS, '--forest']],
      ['store locks', 'sh', ['-c', 'ls -ld --full-time /tmp/tsbuild-*/lock 2>/dev/null || true']],
      // A build's last step is a syncfs (store/journal.ts), which waits for every dirty
      // page of the file system, whoever wrote it: a `sync -f` above in D state with
      // GBs here says the disk, not tsbuild, was what the test waited for.
      ['dirty pages', 'grep', ['-E', '^(Dirty|Writeback):', '/proc/meminfo']],
    ] as const) {
      try {
        const out = execFileSync(file, args, { encoding: 'utf8', timeout: 10_000 });
        lines.push(
          `${what}:`,
          ...out
            .trimEnd()
            .split('\n')
            .map((l) => l.slice(0, 240)),
        );
      } catch (e) {
        lines.push(`${what}: ${(e as Error).message}`);
      }
    }
    const text = `${lines.join('\n')}\n`;
    const log = process.env.TSBUILD_TIMEOUT_LOG;
    if (log) appendFileSync(log, text);
    else process.stderr.write(text);
  });
});

const PS_FIELDS = 'pid,ppid,etimes,stat,wchan:22,args';
