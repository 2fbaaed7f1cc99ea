/**
 * Compression through a system command (`zstd`, `bzip2`, `xz`), for the codecs
 * Node 20's zlib lacks — Docker's own archive package shells out the same way.
 * The command's stdin and stdout become one Duplex; a non-zero exit, or a
 * command that is not installed, destroys it with a LayerError that says so.
 */
import { spawn } from 'node:child_process';
import { Duplex, PassThrough } from 'node:stream';
import { LayerError } from './errors.js';

export function commandCodec(cmd: string, args: string[], what: string): Duplex {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  // The output ends only once the exit status says it is whole: a command
  // that fails half-way must not look like a short, successful stream.
  const output = new PassThrough();
  child.stdout.pipe(output, { end: false });
  const duplex = Duplex.from({ writable: child.stdin, readable: output });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  child.stdin.on('error', () => undefined); // reported through 'close' below
  child.on('error', (e: NodeJS.ErrnoException) =>
    duplex.destroy(
      new LayerError(
        'LAYER_COMPRESSION',
        e.code === 'ENOENT'
          ? `${what} needs the \`${cmd}\` command, which is not installed`
          : `${what}: ${cmd}: ${e.message}`,
        { command: cmd },
      ),
    ),
  );
  child.on('close', (code, signal) => {
    if (code === 0) return void output.end();
    if (duplex.destroyed) return;
    const why = Buffer.concat(stderr).toString().trim() || `exit ${code ?? signal}`;
    duplex.destroy(
      new LayerError('LAYER_COMPRESSION', `${what}: ${cmd} failed: ${why}`, { command: cmd }),
    );
  });
  return duplex;
}
