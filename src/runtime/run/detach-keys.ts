/**
 * Docker's detach keys on a terminal run's input: Ctrl-P then Ctrl-Q
 * (`docker run -it` detaches on them and leaves the container running under
 * its daemon). A foreground `tsbuild run` has no daemon to hand its terminal
 * to: when tsbuild ends, the terminal's master closes and the container gets
 * SIGHUP, and nothing would be left to remove a `--rm` container or unmount
 * its filesystem. So the keys are not swallowed: every byte passes through
 * unchanged and at once (Docker holds a lone Ctrl-P back until the next key,
 * which only makes sense when the pair is taken out), and the caller is told
 * each time the pair went by, to say why nothing detached.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** Ctrl-P Ctrl-Q, Docker's default `--detach-keys`. */
export const DETACH_KEYS = Buffer.from([0x10, 0x11]);

/** What the run says when the keys went by (on its stderr; the terminal is in raw mode, hence \r\n). */
export const DETACH_NOTICE =
  '\r\ntsbuild: Ctrl-P Ctrl-Q cannot detach a foreground run (no daemon would keep its ' +
  'terminal); the keys went to the container\r\n';

/**
 * A pass-through stream that calls `onKeys` each time `keys` went by, across
 * chunk boundaries.
 *
 * @example
 * process.stdin.pipe(new DetachKeys(() => process.stderr.write(DETACH_NOTICE))).pipe(terminal);
 */
export class DetachKeys extends Transform {
  private matched = 0;

  constructor(
    private readonly onKeys: () => void,
    private readonly keys: Buffer = DETACH_KEYS,
  ) {
    super();
  }

  override _transform(
    chunk: Buffer | string,
    _encoding: BufferEncoding,
    done: TransformCallback,
  ): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (const byte of bytes) {
      if (byte === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) {
          this.matched = 0;
          this.onKeys();
        }
      } else {
        this.matched = byte === this.keys[0] ? 1 : 0;
      }
    }
    done(null, bytes);
  }
}
