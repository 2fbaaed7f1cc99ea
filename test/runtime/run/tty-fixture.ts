/**
 * What `tsbuild run -it` does with its runner, on this process's own stdio,
 * which tty.test.ts makes a real pseudo-terminal (pty-driver.py):
 *
 *   TTY_FIXTURE='{"kind":"crun","rootfs":…,"workRoot":…,"user":"","args":[…]}' vite-node tty-fixture.ts
 *
 * (in the environment: vite-node would read a `-c` among the arguments as
 * its own). Runs `args` with a terminal of stdout's size, then writes
 * "[exit N] [tty restored|changed]" (whether the terminal's mode, `stty -g`,
 * is what it was before the run) and exits with the run's status. SIGTERM
 * aborts the run.
 */
import { execFileSync } from 'node:child_process';
import { pickRunner, terminalSizeOf, type RunnerKind } from '../../../src/runtime/run/index.js';

const { kind, rootfs, workRoot, user, args } = JSON.parse(process.env.TTY_FIXTURE ?? '') as {
  kind: RunnerKind;
  rootfs: string;
  workRoot: string;
  user: string;
  args: string[];
};
const mode = () =>
  execFileSync('stty', ['-g'], { stdio: ['inherit', 'pipe', 'inherit'] })
    .toString()
    .trim();
const before = mode();
const abort = new AbortController();
// vite-node's own listener would exit at once, leaving the container to the terminal's hang-up.
process.removeAllListeners('SIGTERM');
process.once('SIGTERM', () => abort.abort());
try {
  const code = await pickRunner(kind).run(
    rootfs,
    {
      ...{ args, env: [], cwd: '/', user, network: 'none' },
      terminal: terminalSizeOf(process.stdout),
    },
    { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
    { workRoot, signal: abort.signal },
  );
  const tty = mode() === before ? 'restored' : 'changed';
  process.stdout.write(`\r\n[exit ${code}] [tty ${tty}]\r\n`);
  process.exitCode = code;
} catch (e) {
  process.stdout.write(`\r\n[error ${(e as Error).message}]\r\n`);
  process.exitCode = 125;
}
