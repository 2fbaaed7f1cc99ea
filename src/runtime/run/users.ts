/**
 * USER app / USER 1000:1000 — resolved against the image's own /etc/passwd
 * and /etc/group, as Docker does with moby/sys/user's GetExecUser:
 *
 * - `''` is root: uid 0, and whatever passwd says of uid 0 (home, gid).
 * - A name must be in passwd ("unable to find user app2: no matching entries in
 *   passwd file"); a number need not be: uid 4242 alone runs as 4242:0, HOME '/'.
 * - `user:group` takes the group's gid (a number need not be in group) and then
 *   gets no supplementary groups; without a group, the supplementary groups are
 *   those of /etc/group that list the user's name.
 * - A missing passwd or group file is no error (a scratch image runs as 0:0).
 * - `docker run` (not a build step) gives a user with no supplementary group
 *   its primary group as one (`primaryGroupSupplementary`).
 *
 * The files are read inside the rootfs (see scope.ts): an image's
 * /etc/passwd -> /etc/shadow reads its own shadow, never the host's.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { TsbuildError } from '../../errors.js';
import { resolveInRoot } from './scope.js';

export interface ExecUser {
  uid: number;
  gid: number;
  /** Supplementary groups, in /etc/group order. */
  additionalGids: number[];
  /** HOME: the passwd entry's, or '/' when there is none. */
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** Largest uid/gid moby accepts (it refuses more than MaxInt32). */
const MAX_ID = 2 ** 31 - 1;

/**
 * Resolve a Dockerfile USER value in `rootfs`.
 *
 * @example
 * resolveUser('/tmp/rootfs', 'app')      // { uid: 1000, gid: 1000, additionalGids: [], home: '/home/app' }
 * resolveUser('/tmp/rootfs', '4242:50')  // { uid: 4242, gid: 50, additionalGids: [], home: '/' }
 */
export function resolveUser(
  rootfs: string,
  spec: string,
  primaryGroupSupplementary = false,
): ExecUser {
  const user = resolve(rootfs, spec);
  // `docker run` (Docker 20.10): `id` says groups=<gid> for a user in no other group.
  if (primaryGroupSupplementary && user.additionalGids.length === 0)
    return { ...user, additionalGids: [user.gid] };
  return user;
}

function resolve(rootfs: string, spec: string): ExecUser {
  const colon = spec.indexOf(':');
  const userPart = colon < 0 ? spec : spec.slice(0, colon);
  const groupPart = colon < 0 ? '' : spec.slice(colon + 1);
  const userId = numeric(userPart, spec);
  const groupId = numeric(groupPart, spec);

  const passwd = readConfined(rootfs, '/etc/passwd');
  const group = readConfined(rootfs, '/etc/group');
  const users = passwd === undefined ? [] : parsePasswd(passwd);

  const found = users.find((u) =>
    userPart === '' ? u.uid === 0 : userId !== undefined ? u.uid === userId : u.name === userPart,
  );
  const user: ExecUser = { uid: 0, gid: 0, additionalGids: [], home: '/' };
  if (found !== undefined) {
    Object.assign(user, { uid: found.uid, gid: found.gid, home: found.home || '/' });
  } else if (userPart !== '') {
    if (userId === undefined) {
      throw new TsbuildError(
        'UNKNOWN_USER',
        `unable to find user ${userPart}: no matching entries in passwd file`,
        { user: userPart },
      );
    }
    user.uid = userId;
  }

  if (groupPart === '' && found === undefined) return user;
  const groups = group === undefined ? [] : parseGroup(group);
  if (groupPart !== '') {
    const g = groups.find((e) =>
      groupId !== undefined ? e.gid === groupId : e.name === groupPart,
    );
    if (g !== undefined) user.gid = g.gid;
    else if (groupId !== undefined) user.gid = groupId;
    else {
      throw new TsbuildError(
        'UNKNOWN_GROUP',
        `unable to find group ${groupPart}: no matching entries in group file`,
        { group: groupPart },
      );
    }
  } else {
    user.additionalGids = groups.filter((g) => g.members.includes(found!.name)).map((g) => g.gid);
  }
  return user;
}

/** A uid/gid when `s` is all digits (moby's strconv.Atoi); undefined for a name. */
function numeric(s: string, spec: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  if (n < 0 || n > MAX_ID) {
    throw new TsbuildError(
      'INVALID_USER',
      `user ${spec}: uids and gids must be in range 0-${MAX_ID}`,
      {
        user: spec,
      },
    );
  }
  return n;
}

/** A file's text read inside the rootfs; undefined when it cannot be opened or is not a regular file. */
function readConfined(rootfs: string, path: string): string | undefined {
  let at: ReturnType<typeof resolveInRoot>;
  try {
    at = resolveInRoot(rootfs, path);
  } catch (e) {
    // A symlink loop or a dangling "x/../y": the open fails, and Docker reads no file.
    if (e instanceof TsbuildError) return undefined;
    throw e;
  }
  if (at.missing.length > 0) return undefined;
  let fd: number;
  try {
    // O_NOFOLLOW: the checked path must not have become a symlink since.
    fd = openSync(at.hostPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** moby's parseLine: fields split on ':', missing ones empty, numbers that do not parse are 0. */
function fields(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => l.split(':'));
}

const int = (s: string | undefined): number => (/^\d+$/.test(s ?? '') ? Number(s) : 0);

function parsePasswd(text: string): PasswdEntry[] {
  return fields(text).map((f) => ({
    name: f[0] ?? '',
    uid: int(f[2]),
    gid: int(f[3]),
    home: f[5] || '/',
  }));
}

function parseGroup(text: string): GroupEntry[] {
  return fields(text).map((f) => ({
    name: f[0] ?? '',
    gid: int(f[2]),
    members: (f[3] ?? '').split(',').filter((m) => m !== ''),
  }));
}
