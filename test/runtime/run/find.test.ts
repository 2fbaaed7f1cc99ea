import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TsbuildError } from '../../../src/errors.js';
import { findRuntime, OciRunner, searchPath } from '../../../src/runtime/run/index.js';
import { caught, rejected } from '../../helpers/caught.js';
import { tempRoot } from '../../helpers/tmp.js';

let dir: string;
beforeAll(() => {
  dir = tempRoot('tsbuild-find-');
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin/runc'), '#!/bin/sh\n');
  chmodSync(join(dir, 'bin/runc'), 0o755);
  writeFileSync(join(dir, 'bin/crun'), 'not executable');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('findRuntime', () => {
  it('takes the first executable in the search path', () => {
    expect(findRuntime('runc', [join(dir, 'bin'), '/usr/sbin'])).toBe(join(dir, 'bin/runc'));
  });

  it('skips a file that is not executable', () => {
    expect(findRuntime('crun', [join(dir, 'bin'), '/usr/bin'])).toBe('/usr/bin/crun');
  });

  it('adds the sbin dirs to PATH, so root finds /usr/sbin/runc with any PATH', () => {
    expect(searchPath('/usr/bin:/bin')).toEqual([
      '/usr/bin',
      '/bin',
      '/usr/local/sbin',
      '/usr/sbin',
      '/sbin',
    ]);
    expect(findRuntime('runc', searchPath('/nonexistent'))).toBe('/usr/sbin/runc');
    expect(findRuntime('auto', searchPath('/usr/bin'))).toBe('/usr/bin/crun');
  });

  it('names what is missing', () => {
    const e = caught(() => findRuntime('auto', ['/nonexistent']), TsbuildError);
    expect(e.code).toBe('RUNTIME_NOT_FOUND');
    expect(e.message).toBe(
      'no OCI runtime found: crun or runc is not installed (looked in /nonexistent)',
    );
  });
});

describe('OciRunner with a runtime that is not installed', () => {
  it('rejects with RUNTIME_NOT_FOUND naming it', async () => {
    const runner = new OciRunner('/nonexistent/runc-x');
    const e = await rejected(
      runner.run(
        dir,
        { args: ['true'], env: [], cwd: '/', user: '', network: 'none' },
        { stdout: process.stdout, stderr: process.stderr },
        { workRoot: join(dir, 'work') },
      ),
    );
    expect(e.code).toBe('RUNTIME_NOT_FOUND');
    expect(e.message).toBe('OCI runtime /nonexistent/runc-x is not installed');
  });
});
