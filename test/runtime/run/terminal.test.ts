/**
 * A run with a terminal for a library caller (streams that are not TTYs, a
 * size source of its own), under every runner; and the pure parts: the
 * spec's terminal fields, TERM, the detach-key watch. tty.test.ts drives a
 * run through a real outer terminal.
 */
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickRunner, runtimeSpec, type Runner } from '../../../src/runtime/run/index.js';
import { DetachKeys } from '../../../src/runtime/run/detach-keys.js';
import { processEnv } from '../../../src/runtime/run/spec.js';
import { terminalSizeOf } from '../../../src/runtime/run/terminal.js';
import { rejected } from '../../helpers/caught.js';
import { busyboxRootfs } from './rootfs.js';

/** A Writable whose text can be awaited: `until(/re/)` resolves once it has matched. */
function watched() {
  let text = '';
  const waits: { re: RegExp; resolve: () => void }[] = [];
  const stream = new Writable({
    write(c: Buffer, _e, cb) {
      text += c.toString();
      for (const w of waits.filter((x) => x.re.test(text))) {
        waits.splice(waits.indexOf(w), 1);
        w.resolve();
      }
      cb();
    },
  });
  const until = (re: RegExp) =>
    re.test(text) ? Promise.resolve() : new Promise<void>((resolve) => waits.push({ re, resolve }));
  return { stream, until, text: () => text };
}

/** What a tty.WriteStream offers as a size source, settable. */
class Size extends EventEmitter {
  constructor(
    public rows: number,
    public columns: number,
  ) {
    super();
  }
}

const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

describe.each(['runc', 'crun', 'builtin'] as const)(
  'a terminal for a library caller, %s',
  (kind) => {
    let rootfs: string;
    let workRoot: string;
    let runner: Runner;

    beforeAll(async () => {
      rootfs = await busyboxRootfs();
      workRoot = mkdtempSync(join(tmpdir(), 'tsbuild-term-'));
      runner = pickRunner(kind);
    });
    afterAll(() => {
      for (const d of [rootfs, workRoot]) rmSync(d, { recursive: true, force: true });
    });

    const spec = (args: string[]) => ({
      args,
      env: [],
      cwd: '/',
      user: '',
      network: 'none' as const,
      terminal: { rows: 24, cols: 80 },
    });

    it('merges stderr into the terminal, follows the size source, takes input', async () => {
      const out = watched();
      const err = watched();
      const stdin = new PassThrough();
      const size = new Size(24, 80);
      // busybox's read ends (status 1) when a trapped signal comes: read again.
      const script =
        'tty; stty size; echo oops >&2; trap "stty size" WINCH; echo ready; until read x; do :; done; echo "got:$x"';
      const running = runner.run(
        rootfs,
        spec(['sh', '-c', script]),
        { stdout: out.stream, stderr: err.stream, stdin, size },
        { workRoot },
      );
      await out.until(/ready/);
      size.rows = 40;
      size.columns = 120;
      size.emit('resize');
      await out.until(/40 120/);
      stdin.write('hi\r');
      expect(await running).toBe(0);
      expect(out.text()).toBe('/dev/pts/0\r\n24 80\r\noops\r\nready\r\n40 120\r\nhi\r\ngot:hi\r\n');
      expect(err.text()).toBe('');
      // The source is let go: a later resize reaches nothing.
      expect(size.listenerCount('resize')).toBe(0);
    });

    it('with no stdin, the process reads end of nothing and still runs to its status', async () => {
      const out = watched();
      const code = await runner.run(
        rootfs,
        spec(['sh', '-c', 'test -t 0 && echo tty; exit 5']),
        { stdout: out.stream, stderr: out.stream },
        { workRoot },
      );
      expect({ code, out: out.text() }).toEqual({ code: 5, out: 'tty\r\n' });
    });

    it('is aborted like any run, and leaves nothing behind', async () => {
      const out = watched();
      const abort = new AbortController();
      const running = runner.run(
        rootfs,
        spec(['sh', '-c', 'echo up; sleep 100']),
        { stdout: out.stream, stderr: out.stream, stdin: Readable.from([]) },
        { workRoot, signal: abort.signal },
      );
      await out.until(/up/);
      abort.abort();
      expect((await rejected(running)).code).toBe('RUN_ABORTED');
      expect(entries(join(workRoot, 'bundles'))).toEqual([]);
    });

    it('reports a missing command as without a terminal', async () => {
      const out = watched();
      const e = await rejected(
        runner.run(
          rootfs,
          spec(['nope']),
          { stdout: out.stream, stderr: out.stream },
          { workRoot },
        ),
      );
      expect(e.code).toBe('COMMAND_NOT_FOUND');
      expect(entries(join(workRoot, 'bundles'))).toEqual([]);
    });
  },
);

describe('the terminal in the OCI spec', () => {
  const base = {
    rootfs: '/r',
    args: ['sh'],
    env: [],
    cwd: '/',
    hostname: 'h',
    user: { uid: 0, gid: 0, additionalGids: [], home: '/root' },
    network: 'none' as const,
    binds: [],
  };

  it('asks for a terminal of the size given, sized before the process starts', () => {
    const p = runtimeSpec({ ...base, terminal: { rows: 30, cols: 100 } }).process;
    expect(p.terminal).toBe(true);
    expect(p.consoleSize).toEqual({ height: 30, width: 100 });
    expect(p.env).toContain('TERM=xterm');
  });

  it('leaves an unknown size (0 by 0) unset, and none at all without a terminal', () => {
    expect(runtimeSpec({ ...base, terminal: { rows: 0, cols: 0 } }).process.consoleSize).toBe(
      undefined,
    );
    const plain = runtimeSpec(base).process;
    expect(plain.terminal).toBe(false);
    expect(plain.env.some((e) => e.startsWith('TERM='))).toBe(false);
  });

  it("keeps the image's or user's own TERM", () => {
    expect(processEnv(['TERM=vt100'], '/root', true)).toEqual([
      'TERM=vt100',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'HOME=/root',
    ]);
  });

  it('takes the size from a TTY stream, 0 by 0 from anything else', () => {
    expect(
      terminalSizeOf(Object.assign(new PassThrough(), { isTTY: true, rows: 50, columns: 132 })),
    ).toEqual({ rows: 50, cols: 132 });
    expect(terminalSizeOf(new PassThrough())).toEqual({ rows: 0, cols: 0 });
  });
});

describe('DetachKeys', () => {
  async function through(chunks: number[][]) {
    let seen = 0;
    const keys = new DetachKeys(() => seen++);
    const out: Buffer[] = [];
    keys.on('data', (c: Buffer) => out.push(c));
    for (const c of chunks) keys.write(Buffer.from(c));
    keys.end();
    await new Promise((r) => keys.once('end', r));
    return { seen, bytes: [...Buffer.concat(out)] };
  }

  it('sees Ctrl-P Ctrl-Q, within a chunk and across two, and passes every byte on', async () => {
    expect(await through([[0x61, 0x10, 0x11, 0x62]])).toEqual({
      seen: 1,
      bytes: [0x61, 0x10, 0x11, 0x62],
    });
    expect(await through([[0x10], [0x11], [0x10, 0x11]])).toEqual({
      seen: 2,
      bytes: [0x10, 0x11, 0x10, 0x11],
    });
  });

  it('does not see the keys apart, reversed, or after a second Ctrl-P has restarted them', async () => {
    expect(
      (
        await through([
          [0x10, 0x61, 0x11],
          [0x11, 0x10],
        ])
      ).seen,
    ).toBe(0);
    expect((await through([[0x10, 0x10, 0x11]])).seen).toBe(1);
  });
});
