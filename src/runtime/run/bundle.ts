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
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  unlinkSync,
  utimesSync,
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

/** The mount points a run will create, and the directories they go into as they were before. */
export interface MountPoints {
  /** Host paths inside the rootfs, deepest first. */
  created: string[];
  /** Existing directories that get a new entry: their times and names, to put back. */
  parents: { path: string; atimeNs: bigint; mtimeNs: bigint; names: string[] }[];
}

/** The mount points among `paths` that do not exist yet (the runtime creates them). */
export function missingMountPoints(rootfs: string, paths: readonly string[]): MountPoints {
  const created = new Set<string>();
  const parents = new Map<string, MountPoints['parents'][number]>();
  for (const p of paths) {
    const at = resolveInRoot(rootfs, p);
    if (at.missing.length === 0) continue;
    // Deepest first, so removing in order empties parents before they are tried.
    for (let i = at.missing.length; i > 0; i--)
      created.add(join(at.hostPath, ...at.missing.slice(0, i)));
    if (!parents.has(at.hostPath)) {
      const st = statSync(at.hostPath, { bigint: true });
      parents.set(at.hostPath, {
        path: at.hostPath,
        atimeNs: st.atimeNs,
        mtimeNs: st.mtimeNs,
        names: readdirSync(at.hostPath).sort(),
      });
    }
  }
  return {
    created: [...created].sort((a, b) => b.length - a.length),
    parents: [...parents.values()],
  };
}

/**
 * Remove the mount points the runtime created, when they are still empty, and
 * give their directories back their times when the run left them holding the
 * same names: creating and removing /etc/hosts is not a change of /etc, and
 * must not show in the layer (the snapshot's diff drops a copied-up directory
 * whose metadata equals the lower's).
 */
export function removeMountPoints(points: MountPoints): void {
  for (const p of points.created) {
    if (!existsSync(p)) continue;
    try {
      const st = statSync(p);
      if (st.isDirectory()) rmdirSync(p);
      else if (st.isFile() && st.size === 0) unlinkSync(p);
    } catch {
      // Not empty, or already gone: it is no longer only our mount point.
    }
  }
  for (const parent of points.parents) {
    try {
      const now = readdirSync(parent.path).sort();
      if (now.length === parent.names.length && now.every((n, i) => n === parent.names[i]))
        utimesSync(parent.path, seconds(parent.atimeNs), seconds(parent.mtimeNs));
    } catch {
      // Gone or replaced by the run: nothing of ours to put back.
    }
  }
}

/**
 * Nanoseconds as the float seconds utimes takes: exact to well under a
 * microsecond, which is as close as Node can set a time (see sameTime).
 */
function seconds(ns: bigint): number {
  return Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
}
