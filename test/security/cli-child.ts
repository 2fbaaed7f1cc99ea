/**
 * `tsbuild …` as a process of its own (run with vite-node), for the tests that
 * need what a separate process has and the test worker lacks: file
 * descriptors inherited from its parent, signals, its own exit status.
 */
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
