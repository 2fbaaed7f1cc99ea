/**
 * `tsbuild --version` and `tsbuild version`, in docker's shape: the package's
 * version, the commit the build compiled (when it knew it), Node.js and the
 * platform.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { versionInfo } from '../../src/cli/version.js';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
const arch = process.arch === 'x64' ? 'amd64' : process.arch;

describe('tsbuild version', () => {
  it('--version and -v: one line, as docker --version (no commit when run from the sources)', async () => {
    for (const flag of ['--version', '-v']) {
      const r = await cli([flag]);
      expect([r.code, r.stdout, r.stderr]).toEqual([0, `tsbuild version ${pkg.version}\n`, '']);
    }
  });

  it('version: what a bug report needs', async () => {
    const r = await cli(['version']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(
      [
        'tsbuild:',
        ` Version:      ${pkg.version}`,
        ' Git commit:   unknown (not built from a git checkout)',
        ` Node.js:      ${process.version}`,
        ` OS/Arch:      linux/${arch}`,
        '',
      ].join('\n'),
    );
  });

  it('version -f takes a Go template, as docker version --format', async () => {
    expect((await cli(['version', '-f', '{{.Version}} {{.Os}}/{{.Arch}}'])).stdout).toBe(
      `${pkg.version} linux/${arch}\n`,
    );
    const json = JSON.parse((await cli(['version', '--format', '{{json .}}'])).stdout);
    expect(json).toEqual({
      Version: pkg.version,
      GitCommit: '',
      NodeVersion: process.version,
      Os: 'linux',
      Arch: arch,
    });
  });

  it('version takes no arguments', async () => {
    const r = await cli(['version', 'extra']);
    expect(r.code).toBe(2);
  });

  it('the build records the commit it compiled, and version reads it', () => {
    const file = join(tempRoot(), 'build-info.json');
    execFileSync(process.execPath, ['scripts/build-info.mjs', file]);
    const { commit } = JSON.parse(readFileSync(file, 'utf8'));
    const head = gitHead();
    // Outside a git checkout (an unpacked tarball) the build records no commit.
    if (head === undefined) expect(commit).toBeUndefined();
    else expect(commit).toMatch(new RegExp(`^${head}(-dirty)?$`));
    expect(versionInfo(file).GitCommit).toBe(commit);
    writeFileSync(file, '{"commit":"abc1234-dirty"}\n');
    expect(versionInfo(file).GitCommit).toBe('abc1234-dirty');
  });
});

function gitHead(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short=7', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}
