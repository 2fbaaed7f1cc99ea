/** `tsbuild …` run in-process through the CLI entry, with its output captured. */
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';

/**
 * What `run -d` and `start` start as a container's supervisor: this CLI from
 * the sources under vite-node (dist/ need not be built), as a process of its own.
 */
export const SUPERVISOR = [
  join(process.cwd(), 'node_modules', '.bin', 'vite-node'),
  join(import.meta.dirname, '..', 'api', 'run-child.ts'),
  '--',
];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes (for `save` to standard output). */
  raw: Buffer;
}

export async function cli(
  argv: string[],
  opts: { stdin?: string | Buffer | Readable; env?: NodeJS.ProcessEnv; tty?: boolean } = {},
): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  // A terminal on both ends, as `tsbuild save` with nothing redirected sees it.
  if (opts.tty) Object.assign(stdout, { isTTY: true });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const stdin =
    opts.stdin instanceof Readable ? opts.stdin : Readable.from([opts.stdin ?? Buffer.alloc(0)]);
  if (opts.tty) Object.assign(stdin, { isTTY: true });
  const code = await main(argv, {
    stdout,
    stderr,
    stdin,
    env: opts.env ?? {},
    supervisor: SUPERVISOR,
  });
  const raw = Buffer.concat(out);
  return { code, stdout: raw.toString(), stderr: Buffer.concat(err).toString(), raw };
}
