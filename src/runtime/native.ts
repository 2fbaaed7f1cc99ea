/**
 * What npm builds from native/ at install with node-gyp (binding.gyp) for the
 * sandbox: its helper programs (found with nativeFile), the syscalls addon and
 * the terminal addon.
 */
import { loadAddon, nativeFile } from '../util/native-file.js';

export { nativeFile };

/** native/syscalls.c: the system calls Node lacks. */
export interface Syscalls {
  /** mount(2) with flags 0; relative paths in `data` resolve against `cwd`. Throws an Error with the errno's name as `code`. */
  mount(source: string, target: string, fstype: string, data: string, cwd?: string): void;
  /** umount2(2), MNT_DETACH when `detach`. */
  umount(target: string, detach: boolean): void;
  /** pipe2(2) with O_CLOEXEC: [read end, write end]. */
  pipe(): [number, number];
  /** socketpair(2), AF_UNIX SOCK_SEQPACKET, close-on-exec. */
  socketpair(): [number, number];
  /** One sendmsg(2) of `bytes` with `fds` attached (SCM_RIGHTS); the caller still owns them. */
  send(fd: number, bytes: Buffer, fds: number[]): void;
}

let calls: Syscalls | null | undefined;

/**
 * The addon; undefined when it was not built (npm's --ignore-scripts) or
 * does not load (built for another Node), and the callers spawn programs
 * instead.
 */
export function syscalls(): Syscalls | undefined {
  if (calls === undefined) calls = loadAddon<Syscalls>('tsbuild_syscalls.node') ?? null;
  return calls ?? undefined;
}

/** native/terminal.c: the console socket and the pseudo-terminal master of a run with a terminal. */
export interface TerminalCalls {
  /** A unix socket listening at `path` (mode 0600), close-on-exec. */
  listen(path: string): number;
  /** The first descriptor a peer of the listening socket sends (SCM_RIGHTS); rejects ECANCELED after cancel(). */
  receive(listener: number): Promise<number>;
  /** shutdown(2) the listening socket: a pending receive() rejects. */
  cancel(listener: number): void;
  /** A socket whose bytes a thread copies to and from `master` until its terminal hangs up; `master` stays the caller's. */
  pump(master: number): number;
  /** TIOCSWINSZ on a terminal. */
  resize(fd: number, rows: number, cols: number): void;
  /** Docker's raw mode (cfmakeraw) on the terminal `fd`; returns the mode it had, for setMode. */
  makeRaw(fd: number): Buffer;
  /** tcsetattr: give the terminal `fd` a mode makeRaw returned. */
  setMode(fd: number, mode: Buffer): void;
}

let terminalCalls: TerminalCalls | null | undefined;

/** The terminal addon; undefined when npm did not build it (a run with a terminal then fails loudly). */
export function terminalAddon(): TerminalCalls | undefined {
  if (terminalCalls === undefined) {
    terminalCalls = loadAddon<TerminalCalls>('tsbuild_terminal.node') ?? null;
  }
  return terminalCalls ?? undefined;
}
