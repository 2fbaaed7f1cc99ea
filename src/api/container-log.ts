/**
 * A container's output, kept as Docker's json-file log driver keeps it (one
 * JSON object a line: {"log":"hi\n","stream":"stdout","time":"…"}), so that
 * `logs` can give it back, stream by stream, after the container ended. The
 * log is a courtesy, as a failed RUN's is: a write that fails (a full disk)
 * ends the log, never the container's output to the caller.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export class ContainerLog {
  private readonly file: WriteStream;
  private failed = false;

  constructor(path: string) {
    this.file = createWriteStream(path, { flags: 'a', mode: 0o640 });
    this.file.on('error', () => {
      this.failed = true;
    });
  }

  /** A stream that writes to `dest` and logs what passes as `stream`. */
  tee(stream: 'stdout' | 'stderr', dest: NodeJS.WritableStream): Writable {
    const decoder = new StringDecoder('utf8');
    let pending = '';
    const log = (text: string, all: boolean) => {
      pending += text;
      const lines = pending.split(/(?<=\n)/);
      pending = all || lines[lines.length - 1]!.endsWith('\n') ? '' : lines.pop()!;
      for (const l of lines) if (l !== '') this.line(stream, l);
    };
    return new Writable({
      write: (chunk: Buffer, _enc, done) => {
        log(decoder.write(chunk), false);
        if (dest.write(chunk)) done();
        else dest.once('drain', () => done());
      },
      final: (done) => {
        log(decoder.end(), true);
        done();
      },
    });
  }

  private line(stream: string, log: string): void {
    if (this.failed) return;
    this.file.write(`${JSON.stringify({ log, stream, time: new Date().toISOString() })}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.file.closed) return resolve();
      this.file.once('close', () => resolve());
      this.file.end();
    });
  }
}
