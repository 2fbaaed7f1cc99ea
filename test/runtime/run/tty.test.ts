/**
 * A run with a terminal through a real pseudo-terminal, under runc, crun and
 * the built-in sandbox, and the same cases under `docker run -it` (the
 * tests' private engine) as the oracle: pty-driver.py plays the person at
 * the terminal (typing, Ctrl-C, resizing it); tty-fixture.ts is what
 * `tsbuild run -it` does with its runner, on that terminal, and afterwards
 * says whether the terminal's mode is back. Output from a terminal ends its
 * lines with \r\n; `lines()` takes the \r out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { busyboxRootfsTar } from '../../helpers/busybox.js';
import { DOCKER_CLI, dockerOk } from '../../helpers/docker.js';
import { until } from '../../helpers/until.js';
import { busyboxRootfs } from './rootfs.js';

type Step = ['expect', string] | ['send', string] | ['resize', number, number] | ['kill', number];

interface Session {
  code: number;
  output: string;
  failed: Step | null;
}

interface Case {
  name: string;
  args: string[];
  user?: string;
  steps: Step[];
  check(r: Session, out: string): void;
}

const VITE_NODE = join(process.cwd(), 'node_modules', '.bin', 'vite-node');
const FIXTURE = join(import.meta.dirname, 'tty-fixture.ts');
const DRIVER = join(import.meta.dirname, 'pty-driver.py');
const DOCKER_IMAGE = 'tsbuild-tty/busybox:1';

/** The output with a terminal's \r taken out. */
const lines = (s: string) => s.replace(/\r/g, '');

/** Entries of a dir under workRoot (a runner may never make it). */
const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

/** What Docker does too: each case runs under every runner and under `docker run -it`. */
const CASES: Case[] = [
  {
    name: 'gives the process a terminal as stdin, stdout and stderr',
    args: [
      'sh',
      '-c',
      'tty; test -t 0 && test -t 1 && test -t 2 && echo all-three; ' +
        'echo "TERM=$TERM"; test -c /dev/console && echo console; echo to-stderr >&2',
    ],
    steps: [],
    check: (r, out) => {
      expect(out).toContain('/dev/pts/0\nall-three\nTERM=xterm\nconsole\nto-stderr\n');
      expect(r.code).toBe(0);
    },
  },
  {
    name: 'passes typed input to read and cat, Ctrl-D ending cat',
    args: ['sh', '-c', 'echo ready; read line; echo "got:$line"; cat; echo "cat done"'],
    steps: [
      ['expect', 'ready'],
      ['send', 'hello\r'],
      ['expect', 'got:hello'],
      ['send', 'abc\r'],
      // The terminal echoes the line, then cat writes it.
      ['expect', 'abc\r\nabc\r\n'],
      ['send', '\x04'],
      ['expect', 'cat done'],
    ],
    check: (r) => expect(r.code).toBe(0),
  },
  {
    // busybox sh, pid 1, ignores the SIGINT itself and exits 130 with the sleep it waited for.
    name: 'turns Ctrl-C into SIGINT for the foreground processes: sleep ends, status 130',
    args: ['sh', '-c', 'echo ready; sleep 100; echo not reached'],
    steps: [
      ['expect', 'ready'],
      ['send', '\x03'],
      ['expect', String.raw`\^C`],
    ],
    check: (r, out) => {
      expect(out).not.toContain('not reached');
      expect(r.code).toBe(130);
    },
  },
  {
    name: 'resizes the terminal with the caller, which sends the process SIGWINCH',
    // busybox's read ends (status 1) when a trapped signal comes: read again.
    args: ['sh', '-c', 'trap "stty size" WINCH; echo ready; until read x; do :; done; echo done'],
    steps: [
      ['expect', 'ready'],
      ['resize', 40, 120],
      ['expect', '40 120'],
      ['send', '\r'],
      ['expect', 'done'],
    ],
    check: (r, out) => {
      // Docker's late first sizing is one more SIGWINCH after `ready` (see the test below).
      expect(out).toMatch(/ready\n[^]*40 120\n/);
      expect(r.code).toBe(0);
    },
  },
  {
    name: "gives a non-root user its terminal, group tty, mode 620 (runc's fixStdioPermissions)",
    args: ['sh', '-c', 'id -u; ls -ln "$(tty)"'],
    user: '1000',
    steps: [],
    check: (r, out) => {
      expect(out).toMatch(/^1000\ncrw--w----\s+1\s+1000\s+5\s+136,\s+0\s/m);
      expect(r.code).toBe(0);
    },
  },
];

const running = new Set<ChildProcess>();
afterEach(() => {
  // A test that timed out: its run is aborted (SIGTERM reaches the program through the driver).
  for (const c of running) c.kill('SIGTERM');
});

/** `argv` on a 30 x 100 terminal, driven by `steps`. */
function drive(argv: string[], steps: Step[], env: NodeJS.ProcessEnv): Promise<Session> {
  const script = JSON.stringify({ rows: 30, cols: 100, steps });
  return new Promise<Session>((resolve, reject) => {
    const child = spawn('python3', [DRIVER, script, '--', ...argv], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    running.add(child);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', () => {
      running.delete(child);
      try {
        resolve(JSON.parse(out) as Session);
      } catch {
        reject(new Error(`pty-driver.py printed ${out}`));
      }
    });
  });
}

describe.each(['runc', 'crun', 'builtin'] as const)('a terminal under %s', (kind) => {
  let rootfs: string;
  let workRoots: string;
  let workRoot: string;

  beforeAll(async () => {
    rootfs = await busyboxRootfs();
    workRoots = mkdtempSync(join(tmpdir(), 'tsbuild-tty-'));
  });
  afterAll(() => {
    for (const d of [rootfs, workRoots]) rmSync(d, { recursive: true, force: true });
  });

  /** A run of its own: its own workRoot, so what one run leaves is seen apart. */
  const session = (args: string[], steps: Step[], user = '') => {
    workRoot = mkdtempSync(join(workRoots, 'run-'));
    return drive([VITE_NODE, FIXTURE], steps, {
      TTY_FIXTURE: JSON.stringify({ kind, rootfs, workRoot, user, args }),
    });
  };

  it.each(CASES)('$name, and gives the caller its terminal mode back', async (c) => {
    const r = await session(c.args, c.steps, c.user);
    expect(r.failed).toBeNull();
    c.check(r, lines(r.output));
    expect(lines(r.output)).toContain(`[exit ${r.code}] [tty restored]`);
  });

  it('sizes the terminal before the process starts: its first stty size is the caller size', async () => {
    // Docker 20.10 sizes it only after the start (its first `stty size` sees 0 0 and
    // fails); API 1.42's ConsoleSize, which this is, came with Docker 23.
    const r = await session(['stty', 'size'], []);
    expect(lines(r.output)).toMatch(/^30 100\n/);
    expect(r.code).toBe(0);
  });

  it('keeps exit status and clean-up as without a terminal', async () => {
    const r = await session(['sh', '-c', 'echo bye; exit 7'], []);
    expect(lines(r.output)).toContain('bye\n');
    expect(lines(r.output)).toContain('[exit 7] [tty restored]');
    expect(r.code).toBe(7);
    expect(entries(join(workRoot, 'bundles'))).toEqual([]);
    expect(entries(join(workRoot, 'state'))).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(rootfs);
  });

  it('passes Ctrl-P Ctrl-Q on to the process and says why it did not detach', async () => {
    // The container's own terminal in raw mode: the two bytes arrive as they are.
    const script =
      'stty raw -echo; echo ready; dd bs=1 count=2 2>/dev/null | od -An -tx1; stty sane';
    const r = await session(
      ['sh', '-c', script],
      [
        ['expect', 'ready'],
        ['send', '\x10\x11'],
        ['expect', '10 11'],
      ],
    );
    expect(r.failed).toBeNull();
    expect(lines(r.output)).toContain('tsbuild: Ctrl-P Ctrl-Q cannot detach a foreground run');
    expect(r.code).toBe(0);
  });
});

describe.each(['runc', 'crun'] as const)('a terminal under %s, tsbuild killed', (kind) => {
  let rootfs: string;
  let workRoot: string;

  beforeAll(async () => {
    rootfs = await busyboxRootfs();
    workRoot = mkdtempSync(join(tmpdir(), 'tsbuild-tty-'));
  });
  afterAll(() => {
    for (const d of [rootfs, workRoot]) rmSync(d, { recursive: true, force: true });
  });

  it('leaves no runtime state once the container has ended (kill -9 of tsbuild)', async () => {
    // When tsbuild, the outer terminal's session leader, dies, its process group gets
    // SIGHUP; the reaper, in it, survives and passes it on as `runc run` would, so the
    // shell's trap ends the container; then the reaper deletes it, as `runc run` does.
    const script = 'trap "exit 129" HUP; echo ready; sleep 100 & wait';
    const fixture = { kind, rootfs, workRoot, user: '', args: ['sh', '-c', script] };
    const r = await drive(
      [VITE_NODE, FIXTURE],
      [
        ['expect', 'ready'],
        ['kill', 9],
      ],
      {
        TTY_FIXTURE: JSON.stringify(fixture),
      },
    );
    expect(r.code).toBe(-9);
    const state = join(workRoot, 'state');
    // The reaper deletes it once the shell has ended: however long that takes here.
    await until(() => entries(state).length === 0);
    expect(entries(state)).toEqual([]);
  });
});

describe('the same terminal under docker run -it (the oracle)', () => {
  beforeAll(async () => {
    await dockerOk(['import', await busyboxRootfsTar(), DOCKER_IMAGE]);
  });

  it.each(CASES)('$name', async (c) => {
    const user = c.user === undefined ? [] : ['-u', c.user];
    const argv = [DOCKER_CLI, 'run', '--rm', '-it', '--network', 'none', ...user, DOCKER_IMAGE];
    const r = await drive([...argv, ...c.args], c.steps, {
      DOCKER_HOST: inject('dockerHost'),
      DOCKER_CONFIG: inject('dockerConfig'),
    });
    expect(r.failed).toBeNull();
    c.check(r, lines(r.output));
  });
});
