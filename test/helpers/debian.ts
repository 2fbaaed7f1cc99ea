/**
 * A real Debian base image for the tests that install packages: bookworm's
 * minbase variant, made from Debian's archive with mmdebstrap (see .ci/run),
 * once per machine: the tarball is cached under os.tmpdir(), so every test
 * file, worker and run shares it (about 20 s and 60 MB of downloads the first
 * time).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let cached: string | undefined;

/** Path of an uncompressed rootfs tar of Debian bookworm (minbase). */
export function debianRootfsTar(): string {
  if (cached) return cached;
  const dir = join(tmpdir(), 'tsbuild-test-debian');
  const out = join(dir, 'bookworm-minbase.tar');
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    // mmdebstrap picks the format from the name: it must end in .tar.
    const tmp = join(dir, `bookworm-minbase.${process.pid}.tmp.tar`);
    try {
      execFileSync('mmdebstrap', ['--variant=minbase', '--quiet', 'bookworm', tmp], {
        stdio: 'pipe',
      });
      renameSync(tmp, out); // atomic: concurrent workers never read half a file
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  cached = out;
  return out;
}
