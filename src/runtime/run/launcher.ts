/**
 * Starting the OCI runtime of each RUN step from one long-lived helper,
 * native/launcher.c, instead of spawning it from Node: a spawn forks the
 * whole Node process (milliseconds of page tables on the build's thread),
 * and on a hybrid-cgroup host the helper has joined the device cgroup once
 * (a cgroup join waits for an RCU grace period: ~15 ms a step here).
 *
 * The step's stdio are pipes made here (native/syscalls.c) and handed to the
 * launcher with the request; their read ends are streams in Node, as a
 * ChildProcess's are. The launcher answers with the exit status. It ends
 * when Node does (end of file on its socket), and keeps no event loop alive
 * while nothing runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { nativeFile, syscalls, type Syscalls } from '../native.js';
import { createDeviceCgroup, type DeviceCgroup } from './device-cgroup.js';
import { DEVICE_RULES } from './spec.js';

export const LAUNCHER = 'tsbuild-launcher';

/** What `supervise` watches: a ChildProcess, or a program the launcher started. */
export interface Child {
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
}

const SIGNAL_NAMES = new Map(
  Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);

/** A program the launcher started: 'close' once it has exited and its stdout and stderr are drained. */
class Launched extends EventEmitter implements Child {
  private open = 2;
  private status: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(
    readonly stdin: Writable | null,
    readonly stdout: Readable,
    readonly stderr: Readable,
  ) {
    super();
    for (const s of [stdout, stderr]) s.once('close', () => this.closed());
  }

  ended(code: number | null, signal: NodeJS.Signals | null): void {
    this.status = { code, signal };
    this.closed(0);
  }

  failed(err: Error): void {
    this.stdin?.destroy();
    this.stdout.destroy();
    this.stderr.destroy();
    this.emit('error', err);
  }

  private closed(n = 1): void {
    this.open -= n;
    if (this.open <= 0 && this.status !== undefined) {
      this.emit('close', this.status.code, this.status.signal);
    }
  }
}

export class Launcher {
  private readonly child: ChildProcess;
  private readonly socket: number;
  private readonly devNull: number;
  private readonly running = new Map<string, Launched>();
  private seq = 0;
  private exited: Error | undefined;

  /**
   * Start `helper` (LAUNCHER's path) with `args` (`--hide-cgroup2 PROCS`, or none).
   *
   * @example
   * const l = new Launcher('/…/build/Release/tsbuild-launcher', [], syscalls()!);
   * const p = l.start(['/usr/bin/crun', 'run', '--bundle', bundle, id], false);
   */
  constructor(
    readonly helper: string,
    args: string[],
    private readonly calls: Syscalls,
  ) {
    const [mine, theirs] = calls.socketpair();
    this.socket = mine;
    this.devNull = openSync('/dev/null', 'r');
    this.child = spawn(helper, args, { stdio: ['ignore', 'pipe', 'pipe', theirs] });
    closeSync(theirs);
    let setupLog = '';
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (setupLog.length < 4096) setupLog += d;
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.answer(line));
    this.child.on('error', (e) => this.end(`cannot start ${helper}: ${e.message}`));
    this.child.on('close', (code, signal) =>
      this.end(
        `${helper} ended (${signal ?? `exit ${code}`})${setupLog ? `: ${setupLog.trim()}` : ''}`,
      ),
    );
    this.idle();
  }

  /** False once the helper has ended: make a new one. */
  get alive(): boolean {
    return this.exited === undefined;
  }

  /**
   * Run `argv` (argv[0] an absolute path) with piped stdout and stderr, and a
   * piped stdin when `stdin`, else /dev/null.
   */
  start(argv: string[], stdin: boolean): Child {
    const out = this.calls.pipe();
    const err = this.calls.pipe();
    const input = stdin ? this.calls.pipe() : undefined;
    const reader = (fd: number) => new Socket({ fd, readable: true, writable: false });
    const proc = new Launched(
      input ? new Socket({ fd: input[1], readable: false, writable: true }) : null,
      reader(out[0]),
      reader(err[0]),
    );
    const id = String(++this.seq);
    const given = [input ? input[0] : this.devNull, out[1], err[1]];
    try {
      if (this.exited) throw this.exited;
      try {
        this.calls.send(this.socket, Buffer.from(`${[id, ...argv].join('\0')}\0`), given);
      } catch (e) {
        // The launcher has just ended: fail this with why it ended, once Node hears.
        if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
      }
      this.running.set(id, proc);
      this.busy();
    } catch (e) {
      process.nextTick(() => proc.failed(e as Error));
    } finally {
      for (const fd of given) if (fd !== this.devNull) closeSync(fd);
    }
    return proc;
  }

  /** "ID exit N", "ID signal N" or "ID error MESSAGE". */
  private answer(line: string): void {
    const [id = '', kind, ...rest] = line.split(' ');
    const proc = this.running.get(id);
    if (proc === undefined) return;
    this.running.delete(id);
    if (this.running.size === 0) this.idle();
    const n = Number(rest[0]);
    if (kind === 'exit') proc.ended(n, null);
    else if (kind === 'signal') proc.ended(null, SIGNAL_NAMES.get(n) ?? 'SIGKILL');
    else proc.failed(new Error(`${this.helper}: ${rest.join(' ')}`));
  }

  /**
   * End the helper as Node's exit would (end of file on its socket): it
   * removes its device cgroup unless a program still runs there. Resolves
   * once it has exited; what still runs is failed.
   */
  close(): Promise<void> {
    if (this.exited) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    this.end(`${this.helper} was closed`);
    return closed;
  }

  private end(why: string): void {
    if (this.exited) return;
    this.exited = new Error(why);
    closeSync(this.socket);
    closeSync(this.devNull);
    for (const proc of this.running.values()) proc.failed(this.exited);
    this.running.clear();
  }

  /** Only a running program keeps Node's event loop alive, as a spawned one would. */
  private busy(): void {
    this.child.ref();
    (this.child.stdout as Socket).ref();
  }

  private idle(): void {
    this.child.unref();
    (this.child.stdout as Socket).unref();
    (this.child.stderr as Socket).unref();
  }
}

/** A launcher and the device cgroup it has joined (undefined: none could be made). */
export interface Shared {
  launcher: Launcher;
  devices: DeviceCgroup | undefined;
}

/** One launcher a process per setup, shared by every build in it; remade when one ends. */
const shared = new Map<'plain' | 'hide-cgroup2', Shared>();

/**
 * The process's launcher, `hide` for one that has hidden the cgroup v2 tree
 * and joined a device cgroup of Docker's rules (cgroups.ts); undefined when
 * npm did not build the launcher or the addon.
 *
 * @example
 * sharedLauncher(hidesCgroup2(binary))?.launcher.start([binary, 'run', …], false)
 */
export function sharedLauncher(hide: boolean): Shared | undefined {
  const key = hide ? 'hide-cgroup2' : 'plain';
  const have = shared.get(key);
  if (have?.launcher.alive) return have;
  void have?.devices?.remove();
  const helper = nativeFile(LAUNCHER, fsConstants.X_OK);
  const calls = syscalls();
  if (helper === undefined || calls === undefined) return undefined;
  const devices = hide
    ? createDeviceCgroup(`tsbuild-${randomBytes(8).toString('hex')}`, DEVICE_RULES)
    : undefined;
  const args = hide ? ['--hide-cgroup2', devices?.procs ?? ''] : [];
  const made = { launcher: new Launcher(helper, args, calls), devices };
  shared.set(key, made);
  return made;
}
