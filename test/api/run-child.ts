/**
 * `tsbuild …` as a process of its own under vite-node, for the signal tests:
 * as test/security/cli-child.ts, but without the SIGTERM listener vite's dev
 * server installs (it closes the server and exits), so that a SIGTERM reaches
 * tsbuild's own handling as it does under bin/tsbuild.js.
 */
process.removeAllListeners('SIGTERM');
const { main } = await import('../../src/cli/main.js');

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
