/**
 * A tiny deterministic rootfs tarball around Debian's static busybox, the
 * base image of the integration tests (docker import, skopeo, umoci).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar, { type Header } from 'tar-stream';

const BUSYBOX = '/bin/busybox';
/** Bump when the layout below changes: it keys the cached file. */
const LAYOUT = 1;

/** Debian's busybox-static binary; throws when the package is missing. */
export function busyboxPath(): string {
  if (!existsSync(BUSYBOX)) {
    throw new Error(`${BUSYBOX} not found: install busybox-static (see .ci/run)`);
  }
  return BUSYBOX;
}

let cached: Promise<string> | undefined;

/**
 * Path of an uncompressed rootfs tar: bin/busybox, every applet of
 * `busybox --list` as a relative symlink bin/NAME -> busybox (symlinks, not
 * hardlinks: no link-target ordering rules for consumers to get wrong),
 * etc/passwd and etc/group (root, nobody, app uid/gid 1000 whose home
 * home/app is owned by 1000), and empty dev, proc, sys, root (0700), tmp (1777).
 * Every entry has mtime 0 and sorted names, so the file's sha256 depends only
 * on the busybox binary. It is cached content-addressed under os.tmpdir(), so
 * all test files, workers and runs share one file that cannot go stale.
 */
export function busyboxRootfsTar(): Promise<string> {
  cached ??= build();
  return cached;
}

async function build(): Promise<string> {
  const binary = await readFile(busyboxPath());
  const key = createHash('sha256').update(`layout${LAYOUT}\0`).update(binary).digest('hex');
  const dir = join(tmpdir(), 'tsbuild-test-busybox');
  const out = join(dir, `rootfs-${key.slice(0, 16)}.tar`);
  if (existsSync(out)) return out;
  await mkdir(dir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  await writeFile(tmp, await tarball(binary));
  await rename(tmp, out); // atomic: concurrent workers never see half a file
  return out;
}

async function tarball(binary: Buffer): Promise<Buffer> {
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .filter((a) => a !== '' && a !== 'busybox');
  const dir = (mode: number, uid = 0) => ({ type: 'directory' as const, mode, uid, gid: uid });
  const file = (data: string | Buffer, mode = 0o644) => ({ type: 'file' as const, mode, data });
  const entries: Record<string, Partial<Header> & { data?: string | Buffer }> = {
    'bin/': dir(0o755),
    'bin/busybox': file(binary, 0o755),
    'dev/': dir(0o755),
    'etc/': dir(0o755),
    'etc/group': file('root:x:0:\nnobody:x:65534:\napp:x:1000:\n'),
    'etc/passwd': file(
      'root:x:0:0:root:/root:/bin/sh\n' +
        'nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' +
        'app:x:1000:1000:app:/home/app:/bin/sh\n',
    ),
    'home/': dir(0o755),
    'home/app/': dir(0o755, 1000),
    'proc/': dir(0o755),
    'root/': dir(0o700),
    'sys/': dir(0o755),
    'tmp/': dir(0o1777),
  };
  for (const a of applets)
    entries[`bin/${a}`] = { type: 'symlink', mode: 0o777, linkname: 'busybox' };

  const p = tar.pack();
  for (const name of Object.keys(entries).sort()) {
    const { data, ...h } = entries[name]!;
    const header = { uid: 0, gid: 0, uname: '', gname: '', mtime: new Date(0), ...h, name };
    if (data === undefined) p.entry(header);
    else p.entry(header, data);
  }
  p.finalize();
  const chunks: Uint8Array[] = [];
  for await (const c of p) chunks.push(c as Uint8Array);
  return Buffer.concat(chunks);
}
