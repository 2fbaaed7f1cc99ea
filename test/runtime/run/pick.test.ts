/** pickRunner: auto's order, and a forced runner that is not installed. */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TsbuildError } from '../../../src/errors.js';
import { findTool, pickRunner } from '../../../src/runtime/run/index.js';
import { caught } from '../../helpers/caught.js';

const dirs: string[] = [];
/** A PATH dir holding links to the host's `tools` only. */
function binDir(tools: string[]): string {
  const d = mkdtempSync(join(tmpdir(), 'tsbuild-bin-'));
  dirs.push(d);
  for (const t of tools) symlinkSync(findTool(t), join(d, t));
  return d;
}
const UTIL = ['unshare', 'mount', 'cp', 'sh'];

describe('pickRunner', () => {
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('prefers crun, then runc, then the built-in sandbox', () => {
    expect(pickRunner('auto', [binDir(['crun', 'runc', ...UTIL])]).name).toBe('crun');
    expect(pickRunner('auto', [binDir(['runc', ...UTIL])]).name).toBe('runc');
    expect(pickRunner('auto', [binDir(UTIL)]).name).toBe('builtin');
  });

  it('names what is missing when a runner is forced', () => {
    const e = caught(() => pickRunner('builtin', [binDir(['unshare', 'mount'])]), TsbuildError);
    expect(e.code).toBe('RUNTIME_NOT_FOUND');
    expect(e.message).toMatch(/^the built-in sandbox needs cp, which is not installed/);
    expect(caught(() => pickRunner('crun', [binDir(UTIL)]), TsbuildError).code).toBe(
      'RUNTIME_NOT_FOUND',
    );
  });

  it('finds no runner at all on a bare machine', () => {
    const e = caught(() => pickRunner('auto', [binDir(['unshare'])]), TsbuildError);
    expect(e.code).toBe('RUNTIME_NOT_FOUND');
    expect(e.message).toMatch(/neither crun, runc nor util-linux/);
  });
});
