/** Busybox rootfs dirs for the runner tests: extracted once, copied per test that writes. */
import { execFileSync } from 'node:child_process';
import { chmodSync, createReadStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyLayer } from '../../../src/layer/apply.js';
import { busyboxRootfsTar } from '../../helpers/busybox.js';

/** A fresh busybox rootfs; its root dir is 0755 like an image's (mkdtemp makes 0700). */
export async function busyboxRootfs(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tsbuild-rootfs-'));
  chmodSync(dir, 0o755);
  await applyLayer(dir, createReadStream(await busyboxRootfsTar()));
  return dir;
}

/** A copy of `rootfs` (cp -a keeps owners, modes and the applet symlinks). */
export function copyRootfs(rootfs: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsbuild-rootfs-'));
  chmodSync(dir, 0o755);
  execFileSync('cp', ['-a', `${rootfs}/.`, dir]);
  return dir;
}
