/**
 * `--cache-to` / `--cache-from` values, as buildx reads them: `type=T,key=value,…`,
 * or a bare reference (type=registry for --cache-to; for --cache-from a cache
 * or an image). Kept apart from the exporters so a build that only parses its
 * flags loads none of them.
 *
 * Keys BuildKit takes that change nothing here are accepted (`oci-mediatypes=true`
 * and `image-manifest=true` describe what is written anyway); any other key, or a
 * value asking for something else, is an error naming it rather than a silent
 * difference.
 */
import { resolve } from 'node:path';
import { TsbuildError } from '../errors.js';
import { parseReference } from '../image/reference.js';
import { DIGEST_RE } from '../util/digest.js';

export type CacheMode = 'min' | 'max';

export type CacheSpec =
  | { type: 'registry'; ref: string; mode?: CacheMode; ignoreError?: boolean }
  /** `dir`: dest= (--cache-to) or src= (--cache-from), absolute; `tag`: its name in index.json. */
  | {
      type: 'local';
      dir: string;
      tag: string;
      digest?: string;
      mode?: CacheMode;
      ignoreError?: boolean;
    }
  | { type: 'inline'; mode?: CacheMode };

type Flag = '--cache-to' | '--cache-from';

/** The keys each type reads, per flag; `type` is always allowed. */
const KEYS: Record<CacheSpec['type'], Record<Flag, string[]>> = {
  registry: {
    '--cache-to': ['ref', 'mode', 'ignore-error', 'oci-mediatypes', 'image-manifest'],
    '--cache-from': ['ref'],
  },
  local: {
    '--cache-to': ['dest', 'tag', 'mode', 'ignore-error', 'oci-mediatypes', 'image-manifest'],
    '--cache-from': ['src', 'tag', 'digest'],
  },
  inline: { '--cache-to': ['mode'], '--cache-from': [] },
};

/**
 * @example
 *   parseCacheSpec('type=local,dest=.cache,mode=max', '--cache-to', '/w')
 *   // { type: 'local', dir: '/w/.cache', tag: 'latest', mode: 'max' }
 */
export function parseCacheSpec(text: string, flag: Flag, cwd = process.cwd()): CacheSpec {
  const fail = (why: string): never => {
    throw new TsbuildError('USAGE', `${flag} ${text}: ${why}`);
  };
  const fields = new Map<string, string>();
  if (!text.includes('=')) fields.set('ref', text);
  else
    for (const part of text.split(',')) {
      const eq = part.indexOf('=');
      if (eq < 0) fail(`${JSON.stringify(part)} is not key=value`);
      fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
  const type = fields.get('type') ?? 'registry';
  if (type !== 'registry' && type !== 'local' && type !== 'inline')
    fail(`type=${type} is not supported (registry, local and inline are)`);
  const t = type as CacheSpec['type'];
  if (t === 'inline' && flag === '--cache-from')
    fail("type=inline is for --cache-to; to use an image's inline cache, give --cache-from IMAGE");
  for (const key of fields.keys())
    if (key !== 'type' && !KEYS[t][flag].includes(key))
      fail(`unknown option ${JSON.stringify(key)} for type=${t}`);
  for (const key of ['oci-mediatypes', 'image-manifest'])
    if (fields.has(key) && fields.get(key) !== 'true')
      fail(`${key}=${fields.get(key)} is not supported: the cache is written with OCI media types`);
  const mode = fields.get('mode');
  if (mode !== undefined && mode !== 'min' && mode !== 'max') fail('mode is min or max');
  const ignore = fields.get('ignore-error');
  if (ignore !== undefined && ignore !== 'true' && ignore !== 'false')
    fail('ignore-error is true or false');
  const common = {
    ...(mode ? { mode: mode as CacheMode } : {}),
    ...(ignore === 'true' ? { ignoreError: true } : {}),
  };
  if (t === 'inline') return { type: 'inline', ...(mode ? { mode: mode as CacheMode } : {}) };
  if (t === 'registry') {
    const ref = fields.get('ref');
    if (!ref) fail('ref= is required');
    parseReference(ref!);
    return { type: 'registry', ref: ref!, ...common };
  }
  const dirKey = flag === '--cache-to' ? 'dest' : 'src';
  const dir = fields.get(dirKey);
  if (!dir) fail(`${dirKey}= is required`);
  const digest = fields.get('digest');
  if (digest !== undefined && !DIGEST_RE.test(digest)) fail('digest= is sha256:<64 hex digits>');
  const tag = fields.get('tag') ?? 'latest';
  if (tag === '') fail('tag= is empty');
  return {
    type: 'local',
    dir: resolve(cwd, dir!),
    tag,
    ...(digest ? { digest } : {}),
    ...common,
  };
}
