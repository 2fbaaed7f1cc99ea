/**
 * What the conformance test needs to know beyond the recordings: the base
 * image's config, which Docker errors are build failures (a RUN exiting
 * non-zero, a missing COPY source) rather than parse errors, and each case
 * where we deliberately differ from BuildKit 20.10, with the reason.
 */
import type { Config } from './config-fold.js';

/** The config of the busybox image record-docker.sh imports (see test/fixtures/docker/README.md). */
export const BASE_CONFIG: Config & { Env: string[] } = {
  Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
  Cmd: ['sh'],
};

/** Errors that happen while building, not while parsing: the front end must accept the file. */
export function isBuildFailure(error: string): boolean {
  return /returned a non-zero code|did not complete successfully|exit code|not found: not found|no such file or directory|failed to compute cache key|COPY failed/.test(
    error,
  );
}

export interface Difference {
  why: string;
  /** Compare with this builder's recording instead of BuildKit's. */
  builder?: 'classic' | 'buildkit';
  /** We fail where Docker did not, with a message containing this. */
  error?: string;
  /** Fields where our config differs from the recording (all of it, where Docker failed). */
  config?: Config;
}

export const DIFFERENCES: Record<string, Difference> = {
  'env-default-no-colon': {
    why:
      'Docker 20.10 rejects ${v-w} ("missing \':\' in substitution"); current BuildKit and the ' +
      'Dockerfile reference accept the colon-less forms, and so do we: e is set (empty), so r is empty',
    config: { ...BASE_CONFIG, Env: [...BASE_CONFIG.Env, 'e=', 'r='] },
  },
  'err-arg-only': {
    why:
      'a file with only ARG: classic says "unexpected EOF" and BuildKit 20.10 crashed the ' +
      'daemon while recording; we say what is wrong',
    error: 'has no FROM',
  },
};
