/**
 * What is printed under a failed step, in every display: its last output lines
 * in BuildKit's box, its exit code and where its full log is. The error itself
 * (`The command … returned a non-zero code: 3`) is printed once, by the command.
 *
 *   ------
 *    > [2/2] RUN make:
 *   cc: error: x.c: No such file
 *   ------
 *   exit code: 2
 *   full log: /root/.local/share/tsbuild/logs/….log
 *   kept as container: 3f2a1b4c5d6e (its partial writes; tsbuild ps -a)
 */
import { TsbuildError } from '../../errors.js';
import type { FailedEvent } from './progress.js';

export type Failure = Pick<FailedEvent, 'exitCode' | 'log' | 'tail' | 'hint' | 'container'>;

export function failureText(label: string, failed: Failure): string {
  const out: string[] = [];
  const tail = failed.tail ?? [];
  if (tail.length > 0) out.push('------', ` > ${label}:`, ...tail, '------');
  out.push(...failureNotes(failed));
  return out.map((l) => `${l}\n`).join('');
}

/** The lines after the box: exit code, full log, hint, kept container. */
export function failureNotes(failed: Failure): string[] {
  const out: string[] = [];
  if (failed.exitCode !== undefined) out.push(`exit code: ${failed.exitCode}`);
  if (failed.log !== undefined) out.push(`full log: ${failed.log}`);
  if (failed.hint !== undefined) out.push(`hint: ${failed.hint}`);
  if (failed.container !== undefined)
    out.push(`kept as container: ${failed.container} (its partial writes; tsbuild ps -a)`);
  return out;
}

/**
 * The failure an error from build() describes, for when no `failed` event
 * came before it: a RUN_FAILED error carries `exitCode`, `log` and `tail`.
 */
export function failureOf(error: unknown): Failure | undefined {
  if (!(error instanceof TsbuildError) || error.code !== 'RUN_FAILED') return undefined;
  const { exitCode, log, tail, hint, container } = error.data;
  return {
    exitCode: typeof exitCode === 'number' ? exitCode : undefined,
    log: typeof log === 'string' ? log : undefined,
    tail: Array.isArray(tail) ? tail.map(String) : undefined,
    hint: typeof hint === 'string' ? hint : undefined,
    container: typeof container === 'string' ? container : undefined,
  };
}
