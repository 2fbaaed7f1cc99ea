/**
 * The console socket of a run with a terminal: a unix socket that runc and
 * crun (`--console-socket`) or the built-in sandbox's helper connect to, to
 * send the master of the terminal they made in the container's devpts
 * (SCM_RIGHTS), as containerd receives it for `docker run -t`.
 *
 * It lives in the run's own dir (bundle.ts), mode 0600: only root can
 * connect, and only the first connection is read. A unix socket's path has
 * room for 107 bytes; a store deeper than that gets a private dir (0700) in
 * the system's temporary dir instead, removed with the socket.
 */
import { closeSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsbuildError } from '../../errors.js';
import { terminalAddon, type TerminalCalls } from '../native.js';

/** sun_path's 108 bytes, less its NUL. */
const MAX_SOCKET_PATH = 107;

const NAME = 'console.sock';

/**
 * The terminal addon, or TERMINAL_UNAVAILABLE.
 *
 * @example
 * terminalCalls().resize(master, 24, 80)
 */
export function terminalCalls(): TerminalCalls {
  const calls = terminalAddon();
  if (calls !== undefined) return calls;
  throw new TsbuildError(
    'TERMINAL_UNAVAILABLE',
    'a terminal (-t) needs build/Release/tsbuild_terminal.node, which npm builds at install with node-gyp (a C compiler and make): run `npm rebuild tsbuild` or `npm ci`',
    { tool: 'tsbuild_terminal.node' },
  );
}

export class ConsoleSocket {
  /** The socket's path, for `--console-socket`. */
  readonly path: string;
  /** The terminal's master once the runtime has sent it; undefined when cancelled first. */
  readonly master: Promise<number | undefined>;
  /** Why no master came, when none did. */
  failure: string | undefined;
  private readonly listener: number;
  private readonly ownDir: string | undefined;
  private cancelled = false;
  private closed: Promise<void> | undefined;

  /**
   * Listen in `dir` (the run's dir, which exists).
   *
   * @example
   * const console = ConsoleSocket.open(bundle, terminalCalls());
   * spawnRuntime(['run', '-d', '--console-socket', console.path, …]);
   * const master = await console.master;
   */
  static open(dir: string, calls: TerminalCalls): ConsoleSocket {
    let path = join(dir, NAME);
    let ownDir: string | undefined;
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
      ownDir = mkdtempSync(join(tmpdir(), 'tsbuild-console-'));
      path = join(ownDir, NAME);
    }
    try {
      return new ConsoleSocket(calls, path, calls.listen(path), ownDir);
    } catch (e) {
      if (ownDir !== undefined) rmSync(ownDir, { recursive: true, force: true });
      const why = (e as Error).message;
      throw new TsbuildError('RUNTIME_FAILED', `cannot make the console socket ${path}: ${why}`, {
        path,
      });
    }
  }

  private constructor(
    private readonly calls: TerminalCalls,
    path: string,
    listener: number,
    ownDir: string | undefined,
  ) {
    this.path = path;
    this.listener = listener;
    this.ownDir = ownDir;
    this.master = calls.receive(listener).then(
      (fd) => fd,
      (e: Error) => {
        this.failure = e.message;
        return undefined;
      },
    );
  }

  /** No master will come any more (the runtime has ended): stop waiting. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    try {
      this.calls.cancel(this.listener);
    } catch {
      // Already shut down.
    }
  }

  /**
   * Stop listening and remove what was made; once the wait has ended, since
   * the pool thread that waits reads the listener's descriptor.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.cancel();
      await this.master;
      closeSync(this.listener);
      rmSync(this.path, { force: true });
      if (this.ownDir !== undefined) rmSync(this.ownDir, { recursive: true, force: true });
    })();
    return this.closed;
  }
}
