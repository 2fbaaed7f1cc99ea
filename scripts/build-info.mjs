// Writes dist/build-info.json: the git commit `npm run build` compiled, for
// `tsbuild version` (as docker prints its "Git commit"). "-dirty" when the tracked
// files differed from that commit; no commit at all outside a git checkout (an
// unpacked tarball), rather than a guess. `node scripts/build-info.mjs FILE` writes FILE.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const git = (...args) =>
  execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

let commit;
try {
  commit = git('rev-parse', '--short=7', 'HEAD').trim();
  // Exit status 1 when tracked files differ from HEAD (generated files are ignored).
  try {
    git('diff', '--quiet', 'HEAD', '--');
  } catch {
    commit += '-dirty';
  }
} catch {
  commit = undefined;
}
const out = process.argv[2] ?? join(root, 'dist', 'build-info.json');
writeFileSync(out, `${JSON.stringify({ commit })}\n`);
