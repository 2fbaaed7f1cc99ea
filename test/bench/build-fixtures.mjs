// What the build bench builds: a busybox rootfs tar every engine imports as
// `busybox`, the 10,000-file / 80 MiB context, the six scenarios'
// Dockerfiles, and the 1 GiB layer of the memory figure. Everything is derived from fixed seeds, so two runs build the
// same bytes.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { tarDirectory } from '../../dist/layer/writer.js';

export const CONTEXT_FILES = 10_000;
const DIRS = 100;
/** 1 KiB + up to ~14.4 KiB, mean 8 KiB: 10,000 files make 80 MiB. */
const sizeOf = (i) => 1024 + ((i * 7919) % 14_730);

/**
 * The layout of test/helpers/busybox.ts, in plain JS (the bench runs without
 * a TypeScript loader): bin/busybox with its applets as symlinks, etc/passwd
 * and etc/group, empty dev, proc, sys, root, tmp. Returns the tar's path.
 */
export async function busyboxTar(work) {
  const dir = join(work, 'busybox-rootfs');
  for (const d of ['bin', 'dev', 'etc', 'home/app', 'proc', 'sys', 'root', 'tmp']) {
    mkdirSync(join(dir, d), { recursive: true, mode: 0o755 });
  }
  execFileSync('chmod', ['0700', join(dir, 'root')]);
  execFileSync('chmod', ['1777', join(dir, 'tmp')]);
  copyFileSync('/bin/busybox', join(dir, 'bin/busybox'));
  execFileSync('chmod', ['0755', join(dir, 'bin/busybox')]);
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n');
  for (const a of applets.filter((x) => x !== '' && x !== 'busybox')) {
    execFileSync('ln', ['-s', 'busybox', join(dir, 'bin', a)]);
  }
  writeFileSync(
    join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnobody:x:65534:\n');
  const tar = join(work, 'busybox.tar');
  await pipeline(tarDirectory(dir), createWriteStream(tar));
  return tar;
}

/** 1 MiB of sha256-counter bytes: incompressible, the same on every run. */
function noise() {
  const blocks = [];
  for (let i = 0; i < (1 << 20) / 32; i++) {
    blocks.push(createHash('sha256').update(`tsbuild-bench-${i}`).digest());
  }
  return Buffer.concat(blocks);
}

/** Relative path of context file i: d00/f0000 … d99/f9999. */
export const contextFile = (i) =>
  `d${String(i % DIRS).padStart(2, '0')}/f${String(i).padStart(4, '0')}`;

/**
 * The big context: CONTEXT_FILES files of distinct incompressible content
 * (80 MiB) in 100 directories, and its Dockerfile: COPY . /app and two RUNs
 * after it, one reading /app.
 */
export function bigContext(dir) {
  const bytes = noise();
  for (let d = 0; d < DIRS; d++)
    mkdirSync(join(dir, `d${String(d).padStart(2, '0')}`), { recursive: true });
  for (let i = 0; i < CONTEXT_FILES; i++) {
    const start = (i * 4099) % (bytes.length - 16_384);
    const body = bytes.subarray(start, start + sizeOf(i));
    writeFileSync(join(dir, contextFile(i)), Buffer.concat([Buffer.from(`${i}\n`), body]));
  }
  dockerfile(dir, [
    'FROM busybox',
    'COPY . /app',
    'RUN ls /app | wc -l > /app-entries',
    'RUN echo built > /built',
  ]);
  return dir;
}

/** Makes file i of the context differ from every earlier version of it. */
export function changeFile(dir, i, round) {
  writeFileSync(join(dir, contextFile(i)), `changed in round ${round}\n`, { flag: 'a' });
}

export const twentyRuns = (dir) =>
  dockerfile(dir, [
    'FROM busybox',
    ...Array.from({ length: 20 }, (_, i) => `RUN echo step ${i} >> /steps`),
  ]);

export const twoStages = (dir) =>
  dockerfile(dir, [
    'FROM busybox AS a',
    'RUN sleep 2 && echo a > /a',
    'FROM busybox AS b',
    'RUN sleep 2 && echo b > /b',
    'FROM busybox',
    'COPY --from=a /a /a',
    'COPY --from=b /b /b',
  ]);

/**
 * /dev/zero, not random bytes: no engine compresses its local layers (tsbuild
 * keeps uncompressed tars; dockerd's overlay2 and buildah's containers/storage
 * keep unpacked directories), and dd writes every zero block (no holes), so
 * zeros cost each of them what any bytes cost, and nobody pays for the kernel
 * RNG, which would add the same seconds to both sides of the ratio.
 */
export const bigWrite = (dir) =>
  dockerfile(dir, ['FROM busybox', 'RUN dd if=/dev/zero of=/big bs=1M count=512 2>/dev/null']);

/** One RUN writing a 1 GiB file: tsbuild's peak memory must not grow with a layer's size. */
export const oneGiB = (dir) =>
  dockerfile(dir, ['FROM busybox', 'RUN head -c 1073741824 /dev/zero > /big']);

function dockerfile(dir, lines) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), `${lines.join('\n')}\n`);
  return dir;
}
