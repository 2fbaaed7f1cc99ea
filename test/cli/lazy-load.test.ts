/**
 * A build from a local directory, with its base image in the store, loads none
 * of the code for registries (undici) or git contexts (isomorphic-git): compiling
 * it was a fifth of a warm no-op rebuild. Observed from outside: a `tsbuild`
 * process whose module resolution is recorded (fixtures/record-packages.mjs).
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { contextOf, storeWithBusybox } from '../build/harness.js';
import { tempRoot } from '../helpers/tmp.js';

let root: string;
beforeAll(async () => {
  root = await storeWithBusybox();
});

/** The packages (node_modules/<name>) a `tsbuild ARGS` process resolved, and its exit code. */
async function packagesLoadedBy(
  args: string[],
): Promise<{ code: number | null; packages: Set<string> }> {
  const log = join(tempRoot(), 'packages.log');
  writeFileSync(log, '');
  const vite = join(process.cwd(), 'node_modules', '.bin', 'vite-node');
  const entry = join(import.meta.dirname, '..', 'security', 'cli-child.ts');
  const hook = join(import.meta.dirname, 'fixtures', 'record-packages.mjs');
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(vite, [entry, '--', ...args], {
      env: {
        ...process.env,
        NODE_OPTIONS: `--import=${hook}`,
        TSBUILD_TEST_PACKAGES_LOG: log,
      },
      stdio: 'ignore',
    });
    child.on('close', resolve);
  });
  const packages = new Set(
    readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? url),
  );
  return { code, packages };
}

describe('what a local build loads', () => {
  it('neither the registry client nor git, cold or warm', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nCOPY . /app\n', 'a.txt': 'a\n' });
    for (const round of ['cold', 'warm']) {
      const { code, packages } = await packagesLoadedBy(['build', '-q', '--root', root, ctx]);
      expect({ round, code }).toEqual({ round, code: 0 });
      // The recorder sees the packages a build does need: the Dockerfile lexer and parser.
      expect(packages).toContain('moo');
      expect(packages).toContain('nearley');
      expect(packages).not.toContain('undici');
      expect(packages).not.toContain('isomorphic-git');
    }
  });
});
