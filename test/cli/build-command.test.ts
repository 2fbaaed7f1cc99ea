/**
 * `tsbuild build` through the CLI entry, stopping at the flags: usage errors
 * exit 2 (a digest in a tag exits 1, as docker's daemon refuses it), help exits
 * 0, and the bare form `tsbuild -t app .` routes to build. No step runs: the one
 * build started has a missing context.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';

describe('tsbuild build on the command line (no build is started)', () => {
  it("exits 2 with docker's tag message, in both the build and the bare form", async () => {
    for (const argv of [
      ['build', '-t', 'Bad', '.'],
      ['-t', 'Bad', '.'],
    ]) {
      const r = await cli(argv);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        'tsbuild: invalid argument "Bad" for "-t, --tag" flag: invalid reference format: repository name (library/Bad) must be lowercase\n' +
          "See 'tsbuild build --help'.\n",
      );
    }
  });

  it('exits 2 without a context, and ends the message with the help', async () => {
    const r = await cli(['build']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^tsbuild: "tsbuild build \[OPTIONS\] PATH \| -" requires exactly 1 argument\.\n\nUsage: {2}tsbuild build/,
    );
  });

  it('routes flags without a context to build too: exit 2', async () => {
    const r = await cli(['-t', 'app']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('requires exactly 1 argument.');
  });

  it('removes a stale iidfile before building, as docker does, so a failed build leaves none', async () => {
    const dir = tempRoot();
    const iid = join(dir, 'iid');
    const meta = join(dir, 'meta.json');
    writeFileSync(iid, 'sha256:stale');
    writeFileSync(meta, '{}');
    // A context that does not exist: build() fails before any step.
    const r = await cli([
      'build',
      ...['--root', join(dir, 'store'), '--iidfile', iid, '--metadata-file', meta],
      ...['--progress=json', join(dir, 'missing')],
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: .+\n$/);
    expect(existsSync(iid)).toBe(false);
    expect(existsSync(meta)).toBe(false);
  });

  it('exits 1 for a digest in a tag', async () => {
    const r = await cli(['build', '-t', `a@sha256:${'a'.repeat(64)}`, '.']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: build tag cannot contain a digest\n');
  });

  it('prints its help with exit 0', async () => {
    const r = await cli(['build', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: {2}tsbuild build \[OPTIONS\] PATH \| -\n/);
    for (const flag of [
      '--tag',
      '--file',
      '--build-arg',
      '--target',
      '--no-cache',
      '--pull',
      '--label',
      '--quiet',
      '--iidfile',
      '--metadata-file',
      '--progress',
      '--network',
      '--runtime',
      '--platform',
      '--squash',
      '--root',
      '--jobs',
      '--output',
      '--explain-cache',
    ])
      expect(r.stdout).toContain(flag);
  });

  it('lists build among the commands and names the bare form', async () => {
    const r = await cli(['--help']);
    expect(r.stdout).toContain('tsbuild [OPTIONS] PATH | -');
    expect(r.stdout).toMatch(/\n {2}build {5}Build an image from a Dockerfile\n/);
  });

  it('reads a bare word that names nothing as a mistyped command, not a context', async () => {
    const r = await cli(['biuld']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "biuld"');
  });
});
