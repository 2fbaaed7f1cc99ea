/**
 * `tsbuild __supervise --root ROOT ID`: a detached container's supervisor
 * (api/supervisor.ts), started by `run -d` and `start`, never typed. Its
 * answer goes to its stdout (a pipe to whoever started it); nothing else is
 * written there.
 */
import { superviseContainer } from '../api/supervisor.js';
import { UsageError } from '../errors.js';
import type { Io } from './io.js';
import { parseOptions } from './options.js';

export async function superviseCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, { root: { type: 'string' } });
  const [id] = positionals;
  if (values.root === undefined || id === undefined || positionals.length > 1)
    throw new UsageError('Usage:  tsbuild __supervise --root ROOT ID');
  // Whoever started us reads one line, then closes its end: a late write must not kill us.
  io.stdout.on('error', () => undefined);
  return superviseContainer({ root: values.root, id, status: 1 });
}
