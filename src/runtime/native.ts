/**
 * What npm builds from native/ at install with node-gyp (binding.gyp) for the
 * sandbox: its helper programs (found with nativeFile) and the syscalls addon.
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
