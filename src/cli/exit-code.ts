/** The exit status of a failed build, where it is not main's 1 or 2. */
import { TsbuildError } from '../errors.js';

/**
 * A failed RUN's exit status, to exit with as `docker build` (classic) does;
 * undefined for any other error. A status outside 1–255 (none, or a signal
 * reported as a negative number) is 1.
 */
export function runFailureCode(error: unknown): number | undefined {
  if (!(error instanceof TsbuildError) || error.code !== 'RUN_FAILED') return undefined;
  const code = error.data.exitCode;
  return typeof code === 'number' && Number.isInteger(code) && code > 0 && code < 256 ? code : 1;
}
