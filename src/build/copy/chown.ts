/**
 * COPY --chown=app:staff — resolved in the *destination* image's /etc/passwd
 * and /etc/group (read inside its rootfs, see runtime/run/scope.ts).
 *
 * BuildKit's rules, which are not USER's (Docker 20.10 confirmed):
 * - `4242` alone is 4242:4242 — a numeric user's group is the same number,
 *   whatever passwd says;
 * - `app` alone is app's uid and primary gid from passwd;
 * - `app:4242`, `4242:app`: each part by itself, names looked up.
 * An unknown name is an error, as in the classic builder (BuildKit 20.10
 * silently used 0:0, which nobody wants).
 *
 * A number is a uid or gid in 0-2147483647, the range USER takes (moby refuses
 * more than MaxInt32). BuildKit 20.10 has no one rule here: it parses a 32-bit
 * signed number and casts it, so `-3` owns a file 4294967293, `-1` leaves it
 * unchanged, and 2147483648 on is looked up as a name; 4294967295 is chown(2)'s
 * "no change", and 2^32 is no id at all. Each of those is refused at the flag.
 */
import { DockerfileError, TsbuildError, type Span } from '../../errors.js';
import { resolveUser } from '../../runtime/run/users.js';

export interface Owner {
  uid: number;
  gid: number;
}

const MAX_ID = 2 ** 31 - 1;

/**
 * `span`: where `--chown` was written, for errors in the value itself.
 *
 * @example
 * resolveChown('/tmp/rootfs', 'app')      // { uid: 1000, gid: 1000 }
 * resolveChown('/tmp/rootfs', '4242')     // { uid: 4242, gid: 4242 }
 * resolveChown('/tmp/rootfs', '4242:app') // { uid: 4242, gid: 1000 }
 */
export function resolveChown(rootfs: string, spec: string, span?: Span): Owner {
  const colon = spec.indexOf(':');
  const user = colon < 0 ? spec : spec.slice(0, colon);
  const group = colon < 0 ? undefined : spec.slice(colon + 1);
  const bad = (why: string) =>
    span === undefined
      ? new TsbuildError('INVALID_CHOWN', why, { chown: spec })
      : new DockerfileError('INVALID_CHOWN', why, span, { data: { chown: spec } });
  if (user === '' || group === '') throw bad(`invalid --chown value ${JSON.stringify(spec)}`);
  const id = (part: string): number | undefined => {
    if (!/^[+-]?\d+$/.test(part)) return undefined;
    const n = Number(part);
    if (part.startsWith('-') || n > MAX_ID)
      throw bad(`--chown=${spec}: uids and gids must be in range 0-${MAX_ID}`);
    return n;
  };
  const userId = id(user);
  const groupId = group === undefined ? undefined : id(group);
  let uid: number;
  let gid: number;
  // Numbers are taken as they are (no passwd or group file is read: the caller may
  // pass no rootfs for them); a bare number is uid and gid both.
  if (userId !== undefined) {
    uid = userId;
    gid = uid;
  } else {
    ({ uid, gid } = resolveUser(rootfs, user));
  }
  if (group !== undefined) gid = groupId ?? resolveUser(rootfs, `0:${group}`).gid;
  return { uid, gid };
}
