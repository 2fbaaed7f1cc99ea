/**
 * The files one run needs beside its rootfs: a bundle dir with config.json and
 * the /etc/hosts and /etc/resolv.conf that get bind-mounted (read-only)
 * over the rootfs. Kept out of the rootfs so they never reach its diff (as
 * BuildKit does); only an empty mount point may be created there, and
 * `removeMountPoints` takes it away again after the run.
 */
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmdirSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { join, relative } from 'node:path';
import { TsbuildError } from '../../errors.js';
import type { ExtraHost, RunMount } from './runner.js';
import { resolveInRoot } from './scope.js';

/**
 * The files a RUN gets from the sandbox, bind-mounted read-only as BuildKit mounts
 * them (`echo x >> /etc/hosts` fails: Read-only file system). Not /etc/hostname:
 * BuildKit leaves the image's own, and a step may write it into its layer.
 */
export const ETC_FILES = ['/etc/hosts', '/etc/resolv.conf'] as const;

/**
 * BuildKit's /etc/hosts for a sandbox: localhost and the hostname on loopback,
 * then each `--add-host` as `IP<tab>NAME` (BuildKit's makeHostsFile).
 */
export function hostsFile(hostname: string, extra: readonly ExtraHost[] = []): string {
  return (
    `127.0.0.1\tlocalhost ${hostname}\n` +
    '::1\tlocalhost ip6-localhost ip6-loopback\n' +
    extra.map((h) => `${h.ip}\t${h.host}\n`).join('')
  );
}

/**
 * The host's resolv.conf, as Docker copies it: loopback name servers are
 * dropped (they would be the container's own loopback), and when none is left
 * Docker's fallback, Google's public ones, takes their place. `nameservers`
 * replaces the host's (slirp4netns's forwarder at 10.0.2.3); search and
 * options lines stay.
 */
export function resolvConf(nameservers?: readonly string[]): string {
  let text = '';
  try {
    text = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    // No file: name servers as below, nothing else.
  }
  const lines = text.split('\n').filter((l) => l !== '');
  const isServer = (l: string) => /^\s*nameserver\s/.test(l);
  const kept = lines.filter((l) => isServer(l) && !/^\s*nameserver\s+(127\.|::1\b)/.test(l));
  const servers =
    nameservers?.map((n) => `nameserver ${n}`) ??
    (kept.length > 0 ? kept : ['nameserver 8.8.8.8', 'nameserver 8.8.4.4']);
  return [...servers, ...lines.filter((l) => !isServer(l))].map((l) => `${l}\n`).join('');
}

/**
 * Write the bind-mount sources into `dir`; returns the binds for runtimeSpec.
 * Synchronous on purpose: three tiny files, and a round trip through libuv's
 * pool per call was a sixth of a `true` RUN's whole time.
 */
export function writeEtcFiles(
  dir: string,
  hostname: string,
  nameservers?: readonly string[],
  extraHosts?: readonly ExtraHost[],
): { source: string; destination: string }[] {
  mkdirSync(dir, { recursive: true });
  const content: Record<(typeof ETC_FILES)[number], string> = {
    '/etc/hosts': hostsFile(hostname, extraHosts),
    '/etc/resolv.conf': resolvConf(nameservers),
  };
  return ETC_FILES.map((destination) => {
    const source = join(dir, destination.slice('/etc/'.length));
    writeFileSync(source, content[destination], { mode: 0o644 });
    return { source, destination };
  });
}

/** Where every run mounts something: the kernel filesystems and the /etc files. */
export const MOUNT_TARGETS = ['/proc', '/dev', '/sys', ...ETC_FILES] as const;
const KERNEL_DIRS = ['proc', 'dev', 'sys'];

/** The mount points a run will create, and the directories they go into as they were before. */
export interface MountPoints {
  /** The rootfs's real path. */
  root: string;
  /** Paths relative to the root, deepest first. */
  created: string[];
  /** Existing directories that get a new entry: their times and names, to put back. */
  parents: { rel: string; atimeNs: bigint; mtimeNs: bigint; names: string[] }[];
}

/** A mount point a run needs besides MOUNT_TARGETS (RUN --mount), and what it must be. */
export interface MountTarget {
  path: string;
  kind: 'dir' | 'file';
}

/** The mount points of `mounts`: a file for a bind of a file, else a directory. */
export function mountTargets(mounts: readonly RunMount[] = []): MountTarget[] {
  return mounts.map((m) => ({
    path: m.target,
    kind: m.type === 'bind' && !statSync(m.source).isDirectory() ? 'file' : 'dir',
  }));
}

/**
 * The mount points among MOUNT_TARGETS and `extra` that do not exist yet (the
 * runner or the runtime creates them). An image whose /proc, /dev or /sys is a
 * symlink, or whose /etc file resolves into them, is refused, as runc and crun
 * refuse it: a mount there would land on the kernel's files, not the image's.
 * So is an extra target in /proc or /sys: it would cover Docker's masks. One in
 * /dev is the runner's to make, in the sandbox's own tmpfs /dev (BuildKit's
 * /dev/pipes/ for a RUN heredoc with #!): nothing of it is in the rootfs.
 */
export function missingMountPoints(
  rootfs: string,
  extra: readonly MountTarget[] = [],
): MountPoints {
  const root = realpathSync(rootfs);
  const created = new Set<string>();
  const parents = new Map<string, MountPoints['parents'][number]>();
  for (const p of [...MOUNT_TARGETS, ...extra.map((t) => t.path)]) {
    const at = resolveInRoot(root, p);
    const rel = relative(root, join(at.hostPath, ...at.missing));
    const name = p.slice(1);
    const kernel = KERNEL_DIRS.find((k) => rel === k || rel.startsWith(`${k}/`));
    const isExtra = !(MOUNT_TARGETS as readonly string[]).includes(p);
    if (isExtra && (kernel === 'proc' || kernel === 'sys'))
      throw new TsbuildError('UNSAFE_MOUNT_TARGET', `cannot mount on ${p}: it is in /${kernel}`, {
        path: p,
      });
    if (isExtra && kernel === 'dev') continue;
    if (!isExtra && (KERNEL_DIRS.includes(name) ? rel !== name : kernel !== undefined))
      throw new TsbuildError(
        'UNSAFE_ROOTFS',
        `the image's ${p} is a symlink (it resolves to /${rel})`,
        {
          path: p,
        },
      );
    if (at.missing.length === 0) continue;
    const base = relative(root, at.hostPath);
    // Deepest first, so removing in order empties parents before they are tried.
    for (let i = at.missing.length; i > 0; i--) created.add(join(base, ...at.missing.slice(0, i)));
    if (!parents.has(base)) {
      const st = statSync(at.hostPath, { bigint: true });
      parents.set(base, {
        rel: base,
        atimeNs: st.atimeNs,
        mtimeNs: st.mtimeNs,
        names: readdirSync(at.hostPath).sort(),
      });
    }
  }
  return {
    root,
    created: [...created].sort((a, b) => b.length - a.length),
    parents: [...parents.values()],
  };
}

/**
 * Remove the mount points the run created, when they are still empty, and
 * give their directories back their times when the run left them holding the
 * same names: creating and removing /etc/hosts is not a change of /etc, and
 * must not show in the layer (the snapshot's diff drops a copied-up directory
 * whose metadata equals the lower's).
 *
 * The run may have replaced any of these paths by a symlink (`mv /etc /e &&
 * ln -s /somewhere /etc`), so each is walked again component by component
 * and left alone unless every component is still a real directory (or, last,
 * the empty file or directory we made): nothing here ever follows a link.
 */
export function removeMountPoints(points: MountPoints): void {
  for (const rel of points.created) {
    const st = unlinked(points.root, rel);
    try {
      if (st?.isDirectory()) rmdirSync(join(points.root, rel));
      else if (st?.isFile() && st.size === 0) unlinkSync(join(points.root, rel));
    } catch {
      // Not empty, or already gone: it is no longer only our mount point.
    }
  }
  for (const parent of points.parents) {
    const path = join(points.root, parent.rel);
    try {
      if (!(parent.rel === '' || unlinked(points.root, parent.rel)?.isDirectory())) continue;
      const now = readdirSync(path).sort();
      if (now.length === parent.names.length && now.every((n, i) => n === parent.names[i]))
        utimesSync(path, seconds(parent.atimeNs), seconds(parent.mtimeNs));
    } catch {
      // Gone or replaced by the run: nothing of ours to put back.
    }
  }
}

/** lstat of `rel` under `root` when no component on the way (nor it) is a symlink; else undefined. */
function unlinked(root: string, rel: string): Stats | undefined {
  let path = root;
  let st: Stats | undefined;
  for (const name of rel.split('/')) {
    path = join(path, name);
    st = lstatSync(path, { throwIfNoEntry: false });
    if (st === undefined || st.isSymbolicLink()) return undefined;
  }
  return st;
}

/**
 * Nanoseconds as the float seconds utimes takes: exact to well under a
 * microsecond, which is as close as Node can set a time (see sameTime).
 */
function seconds(ns: bigint): number {
  return Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
}
