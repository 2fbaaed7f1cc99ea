/**
 * The sandbox probe (probe/probe.c), compiled statically with the machine's C
 * compiler (gcc and libc6-dev, see .ci/run) once per source: cached under
 * os.tmpdir() by the source's hash, so every test file and run shares it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOURCE = join(import.meta.dirname, 'probe', 'probe.c');

/** Path of the static probe binary. */
export function probeBinary(): string {
  const source = readFileSync(SOURCE);
  const key = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'tsbuild-test-probe');
  const out = join(dir, `probe-${key}`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  execFileSync('cc', ['-static', '-O2', '-Wall', '-o', tmp, SOURCE], { stdio: 'pipe' });
  renameSync(tmp, out); // atomic: concurrent workers never run half a file
  return out;
}
