/**
 * The run's stderr under the built-in sandbox without util-linux unshare's
 * "sigprocmask unblock failed" line (what it writes, then exits 1, when the
 * sandbox's pid 1 died of SIGKILL), whatever the chunks; every other byte
 * passes, in order.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { UnshareStderr } from '../../../src/runtime/run/unshare-stderr.js';

const LINE = 'unshare: sigprocmask unblock failed: Invalid argument\n';

async function through(chunks: string[]): Promise<{ out: string; killed: boolean }> {
  const dest = new PassThrough();
  let out = '';
  dest.on('data', (c: Buffer) => (out += c.toString()));
  const s = new UnshareStderr(dest);
  for (const c of chunks) await new Promise<void>((r) => s.write(Buffer.from(c), () => r()));
  s.settle();
  await new Promise((r) => setImmediate(r));
  return { out, killed: s.killedBySigkill };
}

describe('UnshareStderr', () => {
  it.each([
    [['err\n', LINE], 'err\n', true],
    [[`err\n${LINE}`], 'err\n', true],
    [['err\nunsh', 'are: sigprocmask unbl', 'ock failed: Invalid argument\n'], 'err\n', true],
    [[LINE], '', true],
    [[LINE, 'more\n'], `${LINE}more\n`, false],
    [['unshare: something else\n'], 'unshare: something else\n', false],
    [['unshare: sigprocmask unblock failed: '], 'unshare: sigprocmask unblock failed: ', false],
    [['partial', ' line'], 'partial line', false],
    [['a\nb\n', 'c'], 'a\nb\nc', false],
    [['unsh'], 'unsh', false],
  ])('%j', async (chunks, out, killed) => {
    expect(await through(chunks)).toEqual({ out, killed });
  });
});
