/**
 * Ctrl-C during `tsbuild build`: the library rejects with the signal's reason
 * (src/util/abort.ts), which the CLI made its own CANCELLED error; what the
 * user sees stays one line naming the signal, exit 128 + n, and the step that
 * was running marked CANCELED in the plain display, as buildx shows it.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { contextOf, storeWithBusybox } from '../build/harness.js';

let root: string;
beforeAll(async () => {
  root = await storeWithBusybox();
});

describe('tsbuild build interrupted', () => {
  it('SIGINT mid-RUN: "error: build cancelled (SIGINT)", exit 130, the step CANCELED', async () => {
    const vite = join(process.cwd(), 'node_modules', '.bin', 'vite-node');
    const entry = join(process.cwd(), 'test', 'api', 'run-child.ts');
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN echo go; sleep 30\n' });
    const argv = ['build', '--root', root, '--network', 'none', '--progress=plain', ctx];
    const child = spawn(vite, [entry, '--', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let interrupted = false;
    const take = (c: Buffer) => {
      out += c.toString();
      // The RUN is under way: interrupt it, as a terminal's Ctrl-C would.
      if (!interrupted && out.includes(' go\n')) {
        interrupted = true;
        child.kill('SIGINT');
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(interrupted, out).toBe(true);
    expect(code).toBe(130);
    const lines = out.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('error: build cancelled (SIGINT)');
    expect(lines).toContain('#3 CANCELED');
    expect(out).not.toMatch(/AbortError|run aborted|\n\s+at /);
  }, 60_000);
});
