/**
 * A step's cache key: sha256 over a canonical encoding of a typed, versioned
 * input (STYLE.md #5). The input is kept beside the record so that a miss can
 * be explained as a diff of two inputs (explain.ts).
 *
 *   parent   the state the step starts from: the base image's ID for a stage's
 *            first step, else the last step's result id (its key, layer and time:
 *            step-result.ts), which fixes the config so far — ENV, WORKDIR, USER,
 *            SHELL… need no field of their own
 *   text     the instruction after expansion, in its canonical form
 *   args     the build args a RUN sees (values hashed: they may be secrets)
 *   sources  COPY/ADD: the digest over every source (path, type, mode, owner, content)
 *
 * Never part of it: timestamps, the context's absolute path, proxy args.
 */
import { digestHex, sha256 } from '../util/digest.js';

/**
 * Bump when what goes into a key changes: old records then simply miss.
 * 2: `parent` is a step's result id, no longer a stored config's digest.
 */
export const KEY_VERSION = 2;

export interface KeyInput {
  parent: string;
  text: string;
  /** Build args in the step's environment: name → sha256 of the value. */
  args?: Record<string, string>;
  /** COPY/ADD: digest over the sources, and per-file digests when few enough to keep. */
  sources?: { digest: string; files?: Record<string, string>; count: number };
  /** Anything else that changes the step's effect (e.g. RUN --network). */
  extra?: Record<string, string>;
}

export interface CacheKey {
  key: string;
  input: KeyInput;
}

/**
 * @example
 *   cacheKey({ parent: 'sha256:ab…', text: 'RUN make' }).key // 'sha256:…', the same every time
 */
export function cacheKey(input: KeyInput): CacheKey {
  // `files` only explains; `digest` already covers every file.
  const hashed = {
    v: KEY_VERSION,
    ...input,
    sources: input.sources && { digest: input.sources.digest },
  };
  return { key: sha256(canonicalJson(hashed)), input };
}

/** A build arg's value as it goes into a key: hashed, so records never hold a secret. */
export function argDigest(value: string): string {
  return digestHex(sha256(value)).slice(0, 32);
}

/** JSON with object keys sorted at every level and undefined members dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
