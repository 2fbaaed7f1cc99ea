/**
 * Records what a real Docker engine excludes for every case of
 * test/fixtures/dockerignore/cases.txt and rewrites the third column.
 *
 *   DOCKER_HOST=unix:///tmp/d/sock npx vite-node test/conformance/record-dockerignore.ts
 *
 * Per case: a fresh context with the .dockerignore, a Dockerfile `FROM scratch`
 * / `COPY . /` and the path (a file, or an empty directory for `dir/`), built
 * with BuildKit (`DOCKER_BUILDKIT=1`, `-o type=local`); the path is excluded
 * when it is missing from the output. A failed build records `error`.
 * DOCKER (default /usr/bin/docker, the 20.10 client) picks the client. Prints
 * every changed verdict, and every "ours" cell Docker now agrees with.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CASES_FILE, readCases, type IgnoreCase, type Verdict } from '../context/ignore-cases.js';

const DOCKER = process.env.DOCKER ?? '/usr/bin/docker';
if (!process.env.DOCKER_HOST) throw new Error('set DOCKER_HOST to a Docker 20.10 daemon');

function ask(c: IgnoreCase, work: string): Verdict {
  const ctx = join(work, 'ctx');
  const out = join(work, 'out');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(ctx, { recursive: true });
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY . /\n');
  writeFileSync(join(ctx, '.dockerignore'), c.patterns);
  const isDir = c.path.endsWith('/');
  const target = join(ctx, c.path);
  if (isDir) mkdirSync(target, { recursive: true });
  else if (!existsSync(target)) {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, 'x\n');
  }
  const r = spawnSync(
    DOCKER,
    ['build', '--network=none', '-q', '-o', `type=local,dest=${out}`, ctx],
    { env: { ...process.env, DOCKER_BUILDKIT: '1' }, encoding: 'utf8' },
  );
  if (r.status !== 0) {
    const why = r.stderr.trim().split('\n').pop();
    console.error(`  line ${c.lineNo}: build failed: ${why}`);
    return 'error';
  }
  const got = join(out, c.path);
  const present = existsSync(got) && (!isDir || lstatSync(got).isDirectory());
  return present ? 'no' : 'yes';
}

const text = readFileSync(CASES_FILE, 'utf8');
const lines = text.split('\n');
const work = mkdtempSync(join(tmpdir(), 'record-dockerignore-'));
let changed = 0;
try {
  for (const c of readCases(text)) {
    const verdict = ask(c, join(work, 'case'));
    if (c.ours?.verdict === verdict)
      console.error(`line ${c.lineNo}: Docker now agrees with the "ours" cell; drop it`);
    if (verdict === c.docker) continue;
    changed++;
    console.error(`line ${c.lineNo}: ${c.cells[0]} | ${c.cells[1]}: ${c.docker} → ${verdict}`);
    const cells = [...c.cells];
    cells[2] = verdict;
    lines[c.lineNo - 1] = cells.join(' | ');
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
writeFileSync(CASES_FILE, lines.join('\n'));
console.error(`${changed} verdict(s) changed`);
