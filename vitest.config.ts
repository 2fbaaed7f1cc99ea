import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One private dockerd for the whole run (integration tests); see the file.
    globalSetup: ['test/setup/docker.ts'],
    testTimeout: 30_000,
    reporters: ['default', './test/reporters/summary.ts'],
  },
});
