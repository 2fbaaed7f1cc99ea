/**
 * util-linux 2.38's `unshare --fork` cannot pass on a SIGKILL its child died
 * of: it re-raises the child's signal on itself, `signal(SIGKILL, SIG_DFL)`
 * fails with EINVAL, and it exits 1 after writing "unshare: sigprocmask
 * unblock failed: Invalid argument" to its stderr, which is the run's. Only
 * SIGKILL makes that line (SIGSTOP, the other signal it cannot reset, ends
 * nothing), so the line means: the sandbox's pid 1 was killed with SIGKILL
 * (`tsbuild kill`, `stop` after its timeout). This stream takes the line out
 * of the run's stderr and says it saw it; the runner then gives 137, as runc
 * and crun do.
 *
 * unshare writes the line last, just before it exits; so only a last line
 * (or the start of one) that could be it is held back, and handed on as soon
 * as more output follows or the run ends without it being that line.
 */
import { Writable } from 'node:stream';

const PREFIX = Buffer.from('unshare: sigprocmask unblock failed: ');
const NL = 0x0a;

export class UnshareStderr extends Writable {
  /** Set by `settle()`: unshare's line ended the run's stderr. */
  killedBySigkill = false;
  private held = Buffer.alloc(0);

  constructor(private readonly dest: NodeJS.WritableStream) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    const data = Buffer.concat([this.held, chunk]);
    const start = lastLineStart(data);
    const tail = data.subarray(start);
    const couldBe = tail.subarray(0, PREFIX.length).equals(PREFIX.subarray(0, tail.length));
    this.held = couldBe ? Buffer.from(tail) : Buffer.alloc(0);
    const out = couldBe ? data.subarray(0, start) : data;
    if (out.length === 0 || this.dest.write(out)) done();
    else this.dest.once('drain', () => done());
  }

  /** Once the run has ended (its stderr drained): hand on what is held, unless it is unshare's line. */
  settle(): void {
    const held = this.held;
    this.held = Buffer.alloc(0);
    if (held.length === 0) return;
    if (held.length > PREFIX.length && held[held.length - 1] === NL) this.killedBySigkill = true;
    else this.dest.write(held);
  }
}

/** Where the last line of `data` starts: after the last newline, or after the one before when it ends with one. */
function lastLineStart(data: Buffer): number {
  const end = data.length > 0 && data[data.length - 1] === NL ? data.length - 1 : data.length;
  return data.lastIndexOf(NL, end - 1) + 1;
}
