/**
 * The tsbuild side of a run's terminal (runner.ts says what a caller gets):
 * the master arrives on the console socket (console.ts); a thread of the
 * terminal addon copies it to and from a socket (native/terminal.c says why
 * Node cannot read a master itself), whose bytes go to `io.stdout`, and
 * `io.stdin` goes the other way through the detach-key watch. The caller's
 * stdin is in raw mode for the session when it is a TTY, and the terminal's
 * size follows the caller's. The session ends when the runtime has ended
 * and the terminal has hung up, its last output written.
 */
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { TerminalCalls } from '../native.js';
import { ConsoleSocket, terminalCalls } from './console.js';
import { DETACH_NOTICE, DetachKeys } from './detach-keys.js';
import type { RunIo, SizeSource, TerminalSize } from './runner.js';

/**
 * How long output may go on once the runtime has ended. Every process that
 * had the terminal ended with it (the pid namespace goes with its first
 * process), so the hang-up comes at once; only a terminal passed on to a
 * host process (a container on the host's network can reach an abstract
 * unix socket) would hold it open, and the run must end all the same.
 */
const HANGUP_GRACE_MS = 2000;

export class TerminalSession {
  readonly console: ConsoleSocket;
  private master: number | undefined;
  private socket: Socket | undefined;
  private output: Promise<void> | undefined;
  private readonly ready: Promise<void>;
  private readonly input: DetachKeys | undefined;
  private readonly restoreMode: () => void;
  private unfollow: (() => void) | undefined;
  private finished: Promise<void> | undefined;

  /**
   * Listen for the terminal in `dir` (the run's dir) and take over `io`:
   * from here on, call `finish()` on every way out.
   *
   * @example
   * const session = TerminalSession.open(bundle, io);
   * try { start runtime with --console-socket session.console.path … } finally { await session.finish(); }
   */
  static open(dir: string, io: RunIo): TerminalSession {
    const calls = terminalCalls();
    return new TerminalSession(ConsoleSocket.open(dir, calls), calls, io);
  }

  private constructor(
    console: ConsoleSocket,
    private readonly calls: TerminalCalls,
    private readonly io: RunIo,
  ) {
    this.console = console;
    this.restoreMode = rawMode(io.stdin, calls);
    const stderr: Writable = io.stderr;
    this.input = io.stdin ? new DetachKeys(() => stderr.write(DETACH_NOTICE)) : undefined;
    this.ready = console.master.then((fd) => {
      if (fd !== undefined) this.output = this.attach(fd);
    });
  }

  /** Resolves when the terminal has hung up and all its output went to `io.stdout`. */
  private attach(master: number): Promise<void> {
    this.master = master;
    const socket = new Socket({ fd: this.calls.pump(master), readable: true, writable: true });
    this.socket = socket;
    // Input written after the pump thread has left; the output's end is 'close'.
    socket.on('error', () => {});
    socket.pipe(this.io.stdout, { end: false });
    // Not ended with stdin: Node's end of file would end the pump and hang up the terminal.
    if (this.io.stdin && this.input) this.io.stdin.pipe(this.input).pipe(socket, { end: false });
    const size = sizeSource(this.io);
    if (size !== undefined) {
      const follow = () => this.resize(size.rows, size.columns);
      size.on('resize', follow);
      this.unfollow = () => size.off('resize', follow);
      // It may have changed since the size in the spec was taken.
      follow();
    }
    return new Promise((resolve) => socket.once('close', () => resolve()));
  }

  private resize(rows: number, cols: number): void {
    if (this.master === undefined) return;
    try {
      this.calls.resize(this.master, rows || 0, cols || 0);
    } catch {
      // The terminal has gone; nothing to size.
    }
  }

  /**
   * The runtime has ended: wait for the terminal's last output, then give
   * back stdin (paused, its mode restored) and close everything. Idempotent;
   * never rejects.
   */
  finish(): Promise<void> {
    this.finished ??= this.end();
    return this.finished;
  }

  private async end(): Promise<void> {
    this.console.cancel();
    await this.ready;
    if (this.output !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, HANGUP_GRACE_MS)));
      await Promise.race([this.output, grace]);
      clearTimeout(timer);
    }
    if (this.io.stdin && this.input) this.io.stdin.unpipe(this.input);
    this.input?.destroy();
    this.unfollow?.();
    this.socket?.destroy();
    if (this.master !== undefined) closeSync(this.master);
    this.master = undefined;
    this.restoreMode();
    await this.console.close();
  }
}

/**
 * The size of the terminal `stream` writes to (columns and rows of a
 * tty.WriteStream); 0 by 0 when it is not a TTY, which is what Docker gives a
 * container whose output is not a terminal.
 *
 * @example
 * terminalSizeOf(process.stdout) // { rows: 50, cols: 132 }
 */
export function terminalSizeOf(stream: Writable): TerminalSize {
  const tty = stream as Partial<SizeSource> & { isTTY?: boolean };
  if (tty.isTTY !== true) return { rows: 0, cols: 0 };
  return { rows: tty.rows ?? 0, cols: tty.columns ?? 0 };
}

function sizeSource(io: RunIo): SizeSource | undefined {
  if (io.size !== undefined) return io.size;
  const out = io.stdout as Partial<SizeSource> & { isTTY?: boolean };
  return out.isTTY === true && typeof out.on === 'function' ? (out as SizeSource) : undefined;
}

/**
 * Raw mode on `stdin` when it is a TTY, as the docker CLI sets it (cfmakeraw:
 * output processing off too, see native/terminal.c), so every key goes to the
 * container's terminal as a byte (Ctrl-C included: its line discipline makes
 * the SIGINT). The function returned gives the terminal back the mode it
 * had; it also runs if the process exits first, and on SIGINT and SIGTERM
 * Node itself restores the mode its stdio had when it started.
 */
function rawMode(stdin: Readable | undefined, calls: TerminalCalls): () => void {
  const tty = stdin as { isTTY?: boolean; fd?: unknown } | undefined;
  if (tty?.isTTY !== true || typeof tty.fd !== 'number') return () => {};
  const fd = tty.fd;
  const saved = calls.makeRaw(fd);
  const restore = () => {
    process.off('exit', restore);
    try {
      calls.setMode(fd, saved);
    } catch {
      // stdin is closed: nothing to restore.
    }
  };
  process.on('exit', restore);
  return restore;
}
