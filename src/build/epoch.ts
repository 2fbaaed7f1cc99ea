/**
 * SOURCE_DATE_EPOCH (https://reproducible-builds.org/docs/source-date-epoch/),
 * as BuildKit reads it: a build arg holding whole seconds since 1970-01-01 UTC
 * (exporter/util/epoch parseTime: strconv.ParseInt, then time.Unix(s, 0).UTC()).
 * An empty value leaves it unset. With it, a build's own history entries and the
 * image's `created` are that time (dockerfile2llb commitToHistory, the exporter's
 * patchImageConfig), and the mtimes in the layers it makes are clamped to it
 * (the exporter's rewrite-timestamp), so the same inputs give the same image:
 *
 *   SOURCE_DATE_EPOCH=1700000000  →  "created": "2023-11-14T22:13:20Z",
 *     a file written at 2024-05-01 is stored with mtime 1700000000,
 *     one from 1999 keeps its mtime.
 *
 * BuildKit (0.15+) also takes `context` or a stage name and resolves it to a
 * commit or download time; tsbuild takes numbers only and says so.
 */
import { TsbuildError } from '../errors.js';

/** 9999-12-31T23:59:59Z: the last second RFC 3339 (and so an image config) can write. */
const LAST_SECOND = 253402300799;

/**
 * The epoch a build arg value names, or undefined for none (unset or empty).
 * @example
 *   parseSourceDateEpoch('1700000000'); // 1700000000
 *   parseSourceDateEpoch('');           // undefined
 *   parseSourceDateEpoch('yesterday');  // throws TsbuildError SOURCE_DATE_EPOCH
 */
export function parseSourceDateEpoch(value: string | undefined | null): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = /^\+?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n > LAST_SECOND)
    throw new TsbuildError(
      'SOURCE_DATE_EPOCH',
      `invalid SOURCE_DATE_EPOCH ${JSON.stringify(value)}: it must be whole seconds since 1970-01-01 UTC, from 0 to ${LAST_SECOND} (e.g. $(git log -1 --pretty=%ct))`,
      { value },
    );
  return n;
}

/**
 * The epoch as an image config writes a time: RFC 3339 as Go's encoding/json
 * marshals a whole-second UTC time.Time, the bytes BuildKit writes.
 * @example
 *   epochTime(1700000000); // '2023-11-14T22:13:20Z'
 */
export function epochTime(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');
}

/** When a step that runs now ran, as its history entry and the config say: the epoch when there is one. */
export function stepTime(deps: { sourceDateEpoch?: number }): string {
  return deps.sourceDateEpoch === undefined
    ? new Date().toISOString()
    : epochTime(deps.sourceDateEpoch);
}
