/**
 * Compression through a system command (`zstd`, `bzip2`, `xz`), for the codecs
 * Node 20's zlib lacks — Docker's own archive package shells out the same way.
 *
 * The command's stdin and stdout become one Duplex. Its output ends only once
 * the exit status says it is whole, so a command failing half-way is an error,
 * not a short stream; the error is the command's own words (its stderr), not
 * the EPIPE its early exit causes on our side. Destroying the Duplex (a
 * consumer that gave up) kills the command, so nothing is left running.
 */
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import { LayerError } from './errors.js';

export function commandCodec(cmd: string, args: string[], what: string): Duplex {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  const fail = (message: string) =>
    duplex.destroy(new LayerError('LAYER_COMPRESSION', message, { command: cmd }));
  const duplex = new Duplex({
    write(chunk: Buffer, _enc, done) {
      // A write error (EPIPE: the command exited) is reported by 'close' below.
      if (child.stdin.destroyed) done();
      else child.stdin.write(chunk, () => done());
    },
    final(done) {
      child.stdin.end();
      done();
    },
    read() {
      child.stdout.resume();
    },
    destroy(err, done) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      child.stdin.destroy();
      child.stdout.destroy();
      done(err);
    },
  });
  child.stdout.on('data', (c: Buffer) => {
    if (!duplex.push(c)) child.stdout.pause();
  });
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  child.stdin.on('error', () => undefined);
  child.on('error', (e: NodeJS.ErrnoException) =>
    fail(
      e.code === 'ENOENT'
        ? `${what} needs the \`${cmd}\` command, which is not installed`
        : `${what}: ${cmd}: ${e.message}`,
    ),
  );
  child.on('close', (code, signal) => {
    if (duplex.destroyed) return;
    if (code === 0) duplex.push(null);
    else
      fail(
        `${what}: ${cmd} failed: ${Buffer.concat(stderr).toString().trim() || `exit ${code ?? signal}`}`,
      );
  });
  return duplex;
}
