import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Where a timed-out test writes what was running (test/setup/on-timeout.ts); the
// workers inherit it, and the summary reporter prints it at the end.
process.env.TSBUILD_TIMEOUT_LOG ??= join(tmpdir(), `tsbuild-timeouts-${process.pid}.log`);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One private dockerd for the whole run (integration tests); see the file.
    globalSetup: ['test/setup/docker.ts'],
    // A timed-out test prints the process tree and held locks (see the file).
    setupFiles: ['test/setup/on-timeout.ts'],
    testTimeout: 30_000,
    reporters: ['default', './test/reporters/summary.ts'],
  },
});
