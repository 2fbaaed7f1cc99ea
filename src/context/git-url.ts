/**
 * Which build contexts are remote, and what a git context names, as Docker
 * 20.10 decides (cli/command/image/build.go, builder/remotecontext/urlutil and
 * git/gitutils.go):
 *
 * - a local directory of that name always wins (so `github.com/x/y` is a
 *   folder when there is one);
 * - a git URL is one that starts with `git://`, `git@` or `github.com/`, or an
 *   http(s) URL whose path ends in `.git`, optionally followed by `#fragment`
 *   (Docker's pattern is `.git(?:#.+)?$` with an unescaped dot, so `…/digit`
 *   counts as well: kept, to resolve the same strings the same way);
 * - any other http(s) URL is a remote tarball or Dockerfile;
 * - the fragment is `ref:folder`, both optional; a ref starting with `-` is
 *   refused (it would reach git as an option);
 * - `github.com/org/repo` means `https://github.com/org/repo`.
 */
import { TsbuildError } from '../errors.js';
import { isLoopback } from '../util/net.js';
import { redactUrl } from './remote-url.js';

export type ContextKind = 'git' | 'url' | 'local';

// ssh:// is beyond Docker 20.10's list (BuildKit takes it since).
const GIT_PREFIXES = ['git://', 'github.com/', 'git@', 'ssh://'];
const URL_PREFIXES = ['http://', 'https://'];
const GIT_PATH_WITH_FRAGMENT = /.git(?:#.+)?$/;

export function isUrl(s: string): boolean {
  return URL_PREFIXES.some((p) => s.startsWith(p));
}

export function isGitUrl(s: string): boolean {
  return (isUrl(s) && GIT_PATH_WITH_FRAGMENT.test(s)) || GIT_PREFIXES.some((p) => s.startsWith(p));
}

/** What `s` names, when it is not a local directory (the caller checks that first). */
export function remoteKind(s: string): ContextKind {
  if (isGitUrl(s)) return 'git';
  if (isUrl(s)) return 'url';
  return 'local';
}

export type Transport = 'http' | 'git' | 'ssh';

export interface GitSpec {
  /** The repository URL without fragment (and with any credentials still in it). */
  remote: string;
  /** The fragment's ref; '' for the remote's default branch. */
  ref: string;
  /** The fragment's folder, '' for the repository's root; never starts with '/'. */
  folder: string;
  /** http(s) goes through isomorphic-git; git:// and ssh through the system git. */
  transport: Transport;
}

/**
 * Split a git context string into remote, ref and folder.
 *
 * @example
 * parseGitUrl('https://h/repo.git#v1.2:docker')
 * // { remote: 'https://h/repo.git', ref: 'v1.2', folder: 'docker', transport: 'http' }
 */
export function parseGitUrl(s: string): GitSpec {
  let url = s;
  if (!isUrl(url) && !['git://', 'git@', 'ssh://'].some((p) => url.startsWith(p)))
    url = `https://${url}`;
  const hash = url.indexOf('#');
  const remote = hash < 0 ? url : url.slice(0, hash);
  const fragment = hash < 0 ? '' : url.slice(hash + 1);
  const colon = fragment.indexOf(':');
  const ref = colon < 0 ? fragment : fragment.slice(0, colon);
  const folder = (colon < 0 ? '' : fragment.slice(colon + 1))
    .replace(/^\/+/, '')
    .replace(/\/+$/, '');
  if (ref.startsWith('-'))
    throw new TsbuildError('GIT_BAD_REF', `invalid refspec: ${ref}`, { ref });
  if (folder.split('/').includes('..'))
    throw new TsbuildError(
      'GIT_BAD_FOLDER',
      `${redactUrl(s)}: the folder ${JSON.stringify(folder)} leaves the repository ('..')`,
      { folder },
    );
  const transport: Transport = isUrl(remote) ? 'http' : remote.startsWith('git://') ? 'git' : 'ssh';
  return { remote, ref, folder, transport };
}

/** `url` without its credentials, and the credentials it carried. */
export function splitCredentials(url: string): {
  url: string;
  username?: string;
  password?: string;
} {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^@/]+)@(.*)$/i.exec(url);
  if (!m) return { url };
  const [user, ...pw] = m[2]!.split(':');
  return {
    url: `${m[1]}${m[3]}`,
    username: decodeURIComponent(user ?? ''),
    password: decodeURIComponent(pw.join(':')),
  };
}

/**
 * Plain http carries the sources (and any credentials) in the clear: only to
 * this machine, unless the caller said so (`--allow-insecure-http`).
 */
export function checkInsecure(url: string, allowed: boolean): void {
  if (allowed || !url.startsWith('http://')) return;
  let host: string;
  try {
    host = new URL(url.split('#')[0]!).hostname;
  } catch {
    return; // the request names what is wrong with it
  }
  if (isLoopback(host)) return;
  throw new TsbuildError(
    'INSECURE_CONTEXT',
    `${redactUrl(url)}: plain http to ${host} is refused; use https, or --allow-insecure-http`,
    { host },
  );
}
