/**
 * The shell script the built-in sandbox runs as pid 1 of its new namespaces
 * (`unshare --mount --uts --ipc --pid --fork [--net] --propagation private`),
 * with the host's tools. It builds a staging root, a per-run dir holding the
 * rootfs (bound nodev at /rootfs, with what runc mounts for Docker's default
 * spec under it) and the host's /usr read-only (for the tools below);
 * pivot_roots into it and drops the host's tree; then execs the command:
 *
 *   env -i <spec env> setpriv --nnp --inh-caps=-all --bounding-set=-all,+<docker caps>
 *       --regid <gid> --groups <gids>|--clear-groups
 *     unshare --root=/rootfs --wd=<cwd> [--setuid <uid>] <argv>
 *
 * The last unshare only chroots, chdirs and drops the uid (unshare(0) is a
 * no-op): setpriv cannot chroot, and chroot(1) would need to run inside the
 * rootfs. Its `--setgid` would clear the supplementary groups, so setpriv sets
 * gid and groups first. Root execs with its permitted set cut to the bounding
 * set (CapEff 00000000a80425fb); setuid to a non-root uid clears them all, as
 * moby gives non-root users the bounding set only.
 *
 * Why the staging root: it is a chroot, not a pivot_root into the rootfs, and
 * root keeps Docker's CAP_SYS_CHROOT, so the classic escape (chroot into a
 * subdir, `cd ..` past it) is possible. It ends in the staging root: the
 * rootfs, a read-only /usr, its own /proc and nothing else of the host (checked by hand with
 * a static escape program; runc's pivot_root leaves nowhere to go).
 *
 * Mounts come from two fstab files (sandboxFstabs), written into the per-run dir.
 * Setup writes its errors to a log (fd 2 until the final exec) and exits
 * SETUP_FAILED, so a failed mount is a runtime error and not the command's.
 * All mounts live in the private mount namespace and go with its last process.
 */
import { lstatSync, mkdirSync, readlinkSync, statSync, symlinkSync } from 'node:fs';
import { DEFAULT_CAPABILITIES, MASKED_PATHS, READONLY_PATHS } from './spec.js';

export const SETUP_FAILED = 125;

/** Device nodes bind-mounted from the host into the tmpfs /dev (Docker's default set). */
export const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

export interface SandboxPlan {
  /** Real path of the rootfs. */
  rootfs: string;
  /** The staging root (stagingRoot), bound onto itself to become the namespace's root. */
  staging: string;
  /** Host paths (inside the rootfs, symlinks resolved in scope) of /proc, /dev, /sys. */
  proc: string;
  dev: string;
  sys: string;
  /** A dir whose entries (empty files, pts/ shm/ mqueue/, fd -> …) are copied into /dev. */
  devTemplate: string;
  /** Host file → host path inside the rootfs, for /etc/hosts, resolv.conf, hostname. */
  binds: { source: string; target: string }[];
  hostname: string;
  network: 'host' | 'none';
  /** Where setup errors go. */
  log: string;
  /** The environment of the command, PATH and HOME filled in. */
  env: string[];
  user: { uid: number; gid: number; additionalGids: number[] };
  cwd: string;
  args: string[];
  /** Absolute host paths of the exec chain's tools. */
  tools: { env: string; setpriv: string; unshare: string };
}

/**
 * The mount tables of one run, in `mount --all --fstab` form: one mount(8)
 * process each instead of one per mount (a fork and libmount's start-up,
 * ~1 ms, thirty times over). `early` comes before the /dev template is copied
 * into the fresh tmpfs, `late` binds onto what the copy made.
 */
export function sandboxFstabs(p: SandboxPlan): { early: string; late: string } {
  const dev = staged(p, p.dev);
  const early: FstabLine[] = [
    [p.staging, p.staging, 'none', 'bind'],
    ...hostTree().binds.map((d): FstabLine => [d, `${p.staging}${d}`, 'none', 'bind,ro']),
    // For umount(8) after pivot_root: libmount reads /proc/self/mountinfo.
    ['proc', `${p.staging}/proc`, 'proc', 'nosuid,noexec,nodev'],
    // nodev: no device cgroup stands behind CAP_MKNOD here, so a node made in the rootfs must not open.
    [p.rootfs, `${p.staging}/rootfs`, 'none', 'bind,nodev'],
    ['proc', staged(p, p.proc), 'proc', 'nosuid,noexec,nodev'],
    ['tmpfs', dev, 'tmpfs', 'nosuid,nodev,strictatime,mode=755,size=65536k'],
    ['sysfs', staged(p, p.sys), 'sysfs', 'nosuid,noexec,nodev,ro'],
  ];
  const late: FstabLine[] = [
    ...DEVICES.map((d): FstabLine => [`/dev/${d}`, `${dev}/${d}`, 'none', 'bind']),
    ['devpts', `${dev}/pts`, 'devpts', 'nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5'],
    ['shm', `${dev}/shm`, 'tmpfs', 'nosuid,noexec,nodev,mode=1777,size=65536k'],
    ['mqueue', `${dev}/mqueue`, 'mqueue', 'nosuid,noexec,nodev'],
    ...p.binds.map((b): FstabLine => [b.source, staged(p, b.target), 'none', 'bind,ro']),
    ...procProtections((m) => hostPath(p, m)),
    // The staging root's own /proc too (it has no /sys): a root process can
    // chroot out of the image into the staging root (CAP_SYS_CHROOT is
    // Docker's), and must find the same masked and read-only /proc there (no
    // writable core_pattern).
    ...procProtections((m) => `${p.staging}${m}`, '/proc/'),
  ];
  const text = (lines: FstabLine[]) =>
    lines.map((l) => `${l.map(fstabEscape).join(' ')} 0 0\n`).join('');
  return { early: text(early), late: text(late) };
}

/** Docker's masked paths (tmpfs or /dev/null over them) and read-only paths under `under`, at `at(path)`. */
function procProtections(at: (path: string) => string, under = '/'): FstabLine[] {
  return [
    ...MASKED_PATHS.filter((m) => m.startsWith(under)).flatMap((m): FstabLine[] => {
      const kind = hostKind(m);
      if (kind === 'dir') return [['tmpfs', at(m), 'tmpfs', 'ro']];
      return kind === 'file' ? [['/dev/null', at(m), 'none', 'bind']] : [];
    }),
    ...READONLY_PATHS.filter((r) => r.startsWith(under) && hostKind(r) !== undefined).map(
      (r): FstabLine => [at(r), at(r), 'none', 'bind,ro'],
    ),
  ];
}

/** `sh -c` text for one run; every value is quoted. */
export function sandboxScript(p: SandboxPlan, fstabs: { early: string; late: string }): string {
  const fail = `|| exit ${SETUP_FAILED}`;
  const lines = [
    `exec 3>&2 2>${q(p.log)}`,
    `mount --all --fstab ${q(fstabs.early)} ${fail}`,
    // After the mounts: pivot_root wants "." to be the bind mount, not the dir under it.
    `cd ${q(p.staging)} ${fail}`,
    `cp -a ${q(`${p.devTemplate}/.`)} ${q(`${staged(p, p.dev)}/`)} ${fail}`,
    `mount --all --fstab ${q(fstabs.late)} ${fail}`,
    // /proc/sys/kernel/hostname is the new UTS namespace's: no hostname(1) needed.
    `echo ${q(p.hostname)} > /proc/sys/kernel/hostname ${fail}`,
    ...(p.network === 'none' ? [`ip link set lo up ${fail}`] : []),
    // The staging root becomes the namespace's root and the host's tree goes: a
    // chroot escape (CAP_SYS_CHROOT is Docker's) ends there, not on the host.
    `pivot_root . .old ${fail}`,
    // Left behind, for a fork each less: an empty /.old, and /proc (the sandbox's own).
    `umount -l /.old ${fail}`,
    `exec 2>&3 3>&-`,
    `exec ${execChain(p).map(q).join(' ')}`,
  ];
  return lines.join('\n');
}

type FstabLine = [source: string, target: string, type: string, options: string];

/** fstab(5) escapes: space, tab, newline and backslash as octal. */
function fstabEscape(s: string): string {
  return s.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** What a masked or read-only /proc or /sys path is on this kernel (the sandbox's are alike). */
function hostKind(path: string): 'dir' | 'file' | undefined {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

function execChain(p: SandboxPlan): string[] {
  const caps = DEFAULT_CAPABILITIES.map((c) => `+${c.slice('CAP_'.length).toLowerCase()}`);
  const groups =
    p.user.additionalGids.length > 0
      ? ['--groups', p.user.additionalGids.join(',')]
      : ['--clear-groups'];
  return [
    ...[p.tools.env, '-i', '--', ...p.env],
    ...[p.tools.setpriv, '--nnp', '--inh-caps=-all', `--bounding-set=-all,${caps.join(',')}`],
    ...['--regid', String(p.user.gid), ...groups, '--'],
    ...[p.tools.unshare, '--root=/rootfs', `--wd=${p.cwd}`],
    ...(p.user.uid === 0 ? [] : ['--setuid', String(p.user.uid)]),
    '--',
    ...p.args,
  ];
}

/** A /proc or /sys path under the mount we made (those are fresh mounts: no image symlinks). */
function hostPath(p: SandboxPlan, path: string): string {
  return path.startsWith('/proc/')
    ? `${staged(p, p.proc)}${path.slice('/proc'.length)}`
    : `${staged(p, p.sys)}${path.slice('/sys'.length)}`;
}

/** Where a host path inside the rootfs is seen from the staging root. */
function staged(p: SandboxPlan, hostPathInRootfs: string): string {
  return `${p.staging}/rootfs${hostPathInRootfs.slice(p.rootfs.length)}`;
}

/**
 * Write the staging root's skeleton into `dir` (made here, in the per-run dir,
 * so whatever an escaped process writes there goes with it); returns `dir`.
 */
export function stagingRoot(dir: string): string {
  const tree = hostTree();
  mkdirSync(dir);
  for (const d of ['/rootfs', '/.old', '/proc', ...tree.binds]) mkdirSync(`${dir}${d}`);
  for (const [name, target] of tree.links) symlinkSync(target, `${dir}${name}`);
  return dir;
}

/**
 * The host dirs the exec chain (env, setpriv, unshare and their libraries)
 * needs once the staging root is the root: bound read-only, or recreated as
 * the symlinks they are on a merged-/usr system (/bin -> usr/bin).
 */
function hostTree(): { binds: string[]; links: [string, string][] } {
  const binds: string[] = [];
  const links: [string, string][] = [];
  for (const d of ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    try {
      const st = lstatSync(d);
      if (st.isSymbolicLink()) links.push([d, readlinkSync(d)]);
      else if (st.isDirectory()) binds.push(d);
    } catch {
      // Not on this host.
    }
  }
  return { binds, links };
}

function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
