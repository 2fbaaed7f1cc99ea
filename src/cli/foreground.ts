/**
 * A container in the foreground, as `docker run` keeps one (run.ts, debug.ts):
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to tsbuild go to
 * its process (docker's sig-proxy); the exit status is the process's, or the
 * error's (125 ours, 126/127 when the command could not run).
 */
import type { Readable } from 'node:stream';
import type { RunningContainer } from '../api/run.js';
import { TsbuildError } from '../errors.js';
import type { Io } from './io.js';

const FORWARDED: NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
];

/** Wait for `container`; `stdin`, read for the container only, is destroyed after. */
export async function foreground(
  container: RunningContainer,
  io: Io,
  stdin: Readable | undefined,
): Promise<number> {
  const forward = (signal: NodeJS.Signals) => container.kill(signal);
  for (const s of FORWARDED) process.on(s, forward);
  try {
    return (await container.result).exitCode;
  } catch (e) {
    if (!(e instanceof TsbuildError)) throw e;
    io.stderr.write(`error: ${e.message}\n`);
    const code = e.data.exitCode;
    return typeof code === 'number' ? code : 125;
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
    // Left open, a terminal or pipe would keep tsbuild waiting.
    stdin?.destroy();
  }
}
