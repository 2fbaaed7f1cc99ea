import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh, empty directory for one test (a store root, a context, an output). */
export function tempRoot(prefix = 'tsbuild-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
