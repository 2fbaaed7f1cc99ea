/**
 * Named build contexts (`--build-context NAME=VALUE`), as the engine sees them
 * once opened (api/build-contexts.ts opens them): a tree of files (a local
 * directory, a git repository, a remote tarball) or an image (`docker-image://`,
 * `oci-layout://`). BuildKit looks a name up after normalising it as an image
 * reference, so `alpine`, `alpine:latest` and `docker.io/library/alpine` name
 * the same context (dockerui's NamedContext).
 */
import type { SourceTree } from '../context/sources.js';
import { familiarReference, parseReference } from '../image/reference.js';
import type { StageState } from './state.js';

export type NamedContext =
  | {
      kind: 'tree';
      /** The name as given. */
      name: string;
      /** Where its files are, with the .dockerignore that applies (a local directory's own). */
      tree: SourceTree;
      /** Stable for the same source: the directory's path, the commit, the download's digest. */
      identity: string;
    }
  | {
      kind: 'image';
      name: string;
      /** The image's config and layers, in the store; FROM runs its ONBUILD triggers. */
      state: StageState;
      /** For messages: `docker-image://alpine:3`. */
      source: string;
    };

/** Contexts by their normalised name. */
export type NamedContexts = ReadonlyMap<string, NamedContext>;

/**
 * The key a name is looked up by, or undefined when it is no valid reference
 * (then it can name no context).
 *
 * @example
 * contextKey('docker.io/library/alpine:latest'); // 'alpine'
 * contextKey('Project'); // undefined
 */
export function contextKey(name: string): string | undefined {
  try {
    const familiar = familiarReference(parseReference(name));
    return familiar.endsWith(':latest') ? familiar.slice(0, -':latest'.length) : familiar;
  } catch {
    return undefined;
  }
}

/** The context `ref` names, if any. */
export function findContext(contexts: NamedContexts, ref: string): NamedContext | undefined {
  if (contexts.size === 0) return undefined;
  const key = contextKey(ref);
  return key === undefined ? undefined : contexts.get(key);
}
