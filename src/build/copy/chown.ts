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
 */
import { TsbuildError } from '../../errors.js';
import { resolveUser } from '../../runtime/run/users.js';

export interface Owner {
  uid: number;
  gid: number;
}

/**
 * @example
 * resolveChown('/tmp/rootfs', 'app')      // { uid: 1000, gid: 1000 }
 * resolveChown('/tmp/rootfs', '4242')     // { uid: 4242, gid: 4242 }
 * resolveChown('/tmp/rootfs', '4242:app') // { uid: 4242, gid: 1000 }
 */
export function resolveChown(rootfs: string, spec: string): Owner {
  const colon = spec.indexOf(':');
  const user = colon < 0 ? spec : spec.slice(0, colon);
  const group = colon < 0 ? undefined : spec.slice(colon + 1);
  if (user === '' || group === '') {
    throw new TsbuildError('INVALID_CHOWN', `invalid --chown value ${JSON.stringify(spec)}`, {
      chown: spec,
    });
  }
  let uid: number;
  let gid: number;
  // Numbers are taken as they are (no passwd or group file is read: the caller may
  // pass no rootfs for them); a bare number is uid and gid both.
  if (/^\d+$/.test(user)) {
    uid = Number(user);
    gid = uid;
  } else {
    ({ uid, gid } = resolveUser(rootfs, user));
  }
  if (group !== undefined)
    gid = /^\d+$/.test(group) ? Number(group) : resolveUser(rootfs, `0:${group}`).gid;
  return { uid, gid };
}
