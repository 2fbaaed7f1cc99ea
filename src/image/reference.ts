/**
 * Image references (`alpine`, `ghcr.io/org/app:1@sha256:…`) parsed and normalised
 * as Docker does it: distribution/reference's ParseNormalizedNamed followed by
 * TagNameOnly, with go-digest's digest validation and the same error reasons, so
 * a FROM line that Docker rejects is rejected here with the words Docker uses.
 * Pinned row by row by test/fixtures/reference/references.txt.
 *
 * Docker matches one large regexp; JavaScript's backtracking engine would make
 * that a hazard, so the reference is cut at its separators first (`@` digest,
 * last `:` after the last `/` tag, first `/` domain) and each piece is checked
 * by a small anchored regexp with no ambiguous repetition. The cuts are the only
 * ones Docker's grammar allows: a name never holds `@`, and holds `:` only in a
 * domain, which a `/` always follows.
 */
import { TsbuildError } from '../errors.js';

export interface Reference {
  /**
   * Registry host as written or defaulted: 'docker.io', 'localhost:5000', 'ghcr.io'.
   * Empty in the one case Docker leaves it empty: a first component with a `.`
   * that is not a valid host but is a valid path, e.g. 'my_reg.io/app'.
   */
  domain: string;
  /** Path without the domain: 'library/alpine', 'org/app'. */
  path: string;
  /** Undefined when only a digest was given. */
  tag: string | undefined;
  /** 'sha256:<64 hex>', 'sha512:<128 hex>'. */
  digest: string | undefined;
}

/** A reference Docker would not accept; `reason` is Docker's own message. */
export class ReferenceError extends TsbuildError {
  readonly reason: string;

  constructor(reference: string, reason: string) {
    super('INVALID_REFERENCE', `image reference ${JSON.stringify(reference)}: ${reason}`, {
      reference,
      reason,
    });
    this.name = 'ReferenceError';
    this.reason = reason;
  }
}

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
const DEFAULT_TAG = 'latest';
/** reference.go RepositoryNameTotalLengthMax; it counts the path, not the domain. */
const PATH_MAX = 255;

/**
 * regexp.go's domainNameComponent `[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`,
 * rewritten so each character has exactly one way to match.
 */
const HOST_LABEL = '[a-zA-Z0-9]+(?:-+[a-zA-Z0-9]+)*';
/** Host name, IPv4 or bracketed IPv6 (no zone), then an optional port. */
const DOMAIN = new RegExp(
  `^(?:${HOST_LABEL}(?:\\.${HOST_LABEL})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);
/** pathComponent: lowercase runs joined by `.`, `_`, `__` or any number of `-`. */
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const PATH = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG = /^\w[\w.-]{0,127}$/;
/** regexp.go digestPat: what the reference grammar lets through to go-digest. */
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
/** go-digest DigestRegexp: tells an unknown algorithm from a malformed one. */
const GO_DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
/** An image ID, which Docker refuses to read as a repository name. */
const IDENTIFIER = /^[a-f0-9]{64}$/;
const LOWER_HEX = /^[a-f0-9]+$/;
/** The algorithms Docker links in (crypto/sha256, crypto/sha512) and their hex lengths. */
const HEX_LENGTH = new Map([
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
]);

/**
 * Parse an image reference the way `docker pull` and `FROM` do: Docker Hub and
 * `library/` filled in, `latest` added when neither tag nor digest is given, and
 * both kept for `name:tag@digest`.
 *
 * @example
 * parseReference('alpine');
 * // { domain: 'docker.io', path: 'library/alpine', tag: 'latest', digest: undefined }
 * parseReference('localhost:5000/x@sha256:' + 'a'.repeat(64)).tag; // undefined
 * parseReference('Alpine'); // throws ReferenceError:
 * // invalid reference format: repository name (library/Alpine) must be lowercase
 */
export function parseReference(s: string): Reference {
  const fail = (reason: string): never => {
    throw new ReferenceError(s, reason);
  };
  if (IDENTIFIER.test(s)) {
    fail(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDockerDomain(s);
  // Docker checks case only up to the first ':', so a digest's upper case
  // algorithm before any tag lands in this message, e.g. "(library/a@SHA256)".
  const colon = remainder.indexOf(':');
  const remote = colon >= 0 ? remainder.slice(0, colon) : remainder;
  if (remote.toLowerCase() !== remote) {
    fail(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  const full = `${domain}/${remainder}`;
  const ref = matchReference(full);
  if (ref === undefined) {
    const lower = full.toLowerCase();
    if (lower !== full && matchReference(lower) !== undefined) {
      fail('repository name must be lowercase');
    }
    return fail('invalid reference format');
  }
  if (ref.path.length > PATH_MAX) {
    fail(`repository name must not be more than ${PATH_MAX} characters`);
  }
  if (ref.digest !== undefined) {
    const problem = digestProblem(ref.digest);
    if (problem !== undefined) fail(problem);
  }
  if (ref.tag === undefined && ref.digest === undefined) ref.tag = DEFAULT_TAG;
  return ref;
}

/**
 * True when `s` names neither a tag nor a digest, so parseReference filled in
 * `latest` (`docker pull app` then prints `Using default tag: latest`).
 *
 * @example
 * usesDefaultTag('localhost:5000/x'); // true
 * usesDefaultTag('x:1'); // false
 */
export function usesDefaultTag(s: string): boolean {
  const last = s.slice(s.lastIndexOf('/') + 1);
  return !last.includes(':') && !last.includes('@');
}

/**
 * The canonical string, with domain and tag always present.
 *
 * @example
 * formatReference(parseReference('alpine')); // 'docker.io/library/alpine:latest'
 */
export function formatReference(r: Reference): string {
  return withSuffixes(r.domain === '' ? r.path : `${r.domain}/${r.path}`, r);
}

/**
 * Docker's FamiliarString: `docker.io/` dropped, and `library/` too when nothing
 * is nested under it ('docker.io/library/a/b' stays 'library/a/b').
 *
 * @example
 * familiarReference(parseReference('docker.io/library/alpine')); // 'alpine:latest'
 * familiarReference(parseReference('localhost:5000/x')); // 'localhost:5000/x:latest'
 */
export function familiarReference(r: Reference): string {
  if (r.domain !== DEFAULT_DOMAIN) return formatReference(r);
  const short = r.path.startsWith(OFFICIAL_PREFIX) ? r.path.slice(OFFICIAL_PREFIX.length) : '';
  return withSuffixes(short !== '' && !short.includes('/') ? short : r.path, r);
}

/**
 * The familiar form of a reference given as text, as Docker prints names:
 * `docker.io/library/app:1` → `app:1`.
 */
export function familiarName(reference: string): string {
  return familiarReference(parseReference(reference));
}

/**
 * The host that serves the registry API for a domain. Docker Hub's references say
 * docker.io, but its registry answers at registry-1.docker.io.
 *
 * @example
 * registryHost('docker.io'); // 'registry-1.docker.io'
 * registryHost('ghcr.io'); // 'ghcr.io'
 */
export function registryHost(domain: string): string {
  return domain === DEFAULT_DOMAIN || domain === LEGACY_DEFAULT_DOMAIN
    ? 'registry-1.docker.io'
    : domain;
}

function withSuffixes(name: string, r: Reference): string {
  const tag = r.tag === undefined ? '' : `:${r.tag}`;
  const digest = r.digest === undefined ? '' : `@${r.digest}`;
  return name + tag + digest;
}

/**
 * normalize.go splitDockerDomain, on the whole input (tag and digest included).
 * The first component is a domain when it is 'localhost', contains '.' or ':',
 * or has upper case (namespaces cannot, so 'Foo/bar' is host Foo). A name with no
 * '/' is always on Docker Hub, even 'localhost' or 'example.com'.
 */
function splitDockerDomain(name: string): [string, string] {
  const slash = name.indexOf('/');
  if (slash < 0) return [DEFAULT_DOMAIN, OFFICIAL_PREFIX + name];
  const first = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  let domain = DEFAULT_DOMAIN;
  let remote = name;
  if (first === LEGACY_DEFAULT_DOMAIN) {
    remote = rest;
  } else if (
    first === 'localhost' ||
    first.includes('.') ||
    first.includes(':') ||
    first.toLowerCase() !== first
  ) {
    domain = first;
    remote = rest;
  }
  if (domain === DEFAULT_DOMAIN && !remote.includes('/')) remote = OFFICIAL_PREFIX + remote;
  return [domain, remote];
}

/**
 * reference.go Parse's grammar match. When the first component is not a valid
 * host the whole name may still be a valid path, and Docker then gives it an
 * empty domain.
 */
function matchReference(s: string): Reference | undefined {
  let rest = s;
  let tag: string | undefined;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    if (!DIGEST.test(digest)) return undefined;
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    if (!TAG.test(tag)) return undefined;
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const host = rest.slice(0, slash);
  if (slash >= 0 && DOMAIN.test(host) && PATH.test(rest.slice(slash + 1))) {
    return { domain: host, path: rest.slice(slash + 1), tag, digest };
  }
  return PATH.test(rest) ? { domain: '', path: rest, tag, digest } : undefined;
}

/** go-digest Digest.Validate's reason, for a digest that passed DIGEST. */
function digestProblem(digest: string): string | undefined {
  const colon = digest.indexOf(':');
  const length = HEX_LENGTH.get(digest.slice(0, colon));
  if (length === undefined) {
    return GO_DIGEST.test(digest)
      ? 'unsupported digest algorithm'
      : 'invalid checksum digest format';
  }
  const hex = digest.slice(colon + 1);
  return hex.length === length && LOWER_HEX.test(hex)
    ? undefined
    : 'invalid checksum digest format';
}
