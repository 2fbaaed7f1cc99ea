/**
 * The files one run needs beside its rootfs: a bundle dir with config.json and
 * the /etc/hosts, /etc/resolv.conf and /etc/hostname that get bind-mounted
 * over the rootfs. Kept out of the rootfs so they never reach its diff (as
 * BuildKit does); only an empty mount point may be created there, and
 * `removeMountPoints` takes it away again after the run.
 */
import {
  existsSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { resolveInRoot } from './scope.js';

export const ETC_FILES = ['/etc/hosts', '/etc/resolv.conf', '/etc/hostname'] as const;

/** BuildKit's /etc/hosts for a sandbox: localhost and the hostname on loopback. */
export function hostsFile(hostname: string): string {
  return `127.0.0.1\tlocalhost ${hostname}\n` + '::1\tlocalhost ip6-localhost ip6-loopback\n';
}

/**
 * The host's resolv.conf, as Docker copies it. With network 'none' nothing can
 * be reached anyway; loopback name servers are dropped as Docker drops them
 * (they would be the container's own loopback).
 */
export function resolvConf(): string {
  let text = '';
  try {
    text = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
  return text
    .split('\n')
    .filter((l) => !/^\s*nameserver\s+(127\.|::1\b)/.test(l))
    .join('\n');
}

/**
 * Write the bind-mount sources into `dir`; returns the binds for runtimeSpec.
 * Synchronous on purpose: three tiny files, and a round trip through libuv's
 * pool per call was a sixth of a `true` RUN's whole time.
 */
export function writeEtcFiles(
  dir: string,
  hostname: string,
): { source: string; destination: string }[] {
  mkdirSync(dir, { recursive: true });
  const content: Record<(typeof ETC_FILES)[number], string> = {
    '/etc/hosts': hostsFile(hostname),
    '/etc/resolv.conf': resolvConf(),
    '/etc/hostname': `${hostname}\n`,
  };
  return ETC_FILES.map((destination) => {
    const source = join(dir, destination.slice('/etc/'.length));
    writeFileSync(source, content[destination], { mode: 0o644 });
    return { source, destination };
  });
}

/** Host paths, inside the rootfs, of the mount points that do not exist yet (the runtime creates them). */
export function missingMountPoints(rootfs: string, paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    const at = resolveInRoot(rootfs, p);
    // Deepest first, so removing in order empties parents before they are tried.
    for (let i = at.missing.length; i > 0; i--) {
      out.add(join(at.hostPath, ...at.missing.slice(0, i)));
    }
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** Remove the mount points the runtime created, when they are still empty. */
export function removeMountPoints(points: string[]): void {
  for (const p of points) {
    if (!existsSync(p)) continue;
    try {
      const st = statSync(p);
      if (st.isDirectory()) rmdirSync(p);
      else if (st.isFile() && st.size === 0) unlinkSync(p);
    } catch {
      // Not empty, or already gone: it is no longer only our mount point.
    }
  }
}
