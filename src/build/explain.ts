/**
 * `--explain-cache`: for a miss, the closest earlier record and what differs.
 * Closest = same parent and same instruction (then only args or sources can
 * differ), else same parent (the instruction changed), else nothing shares the
 * parent: the parent itself is new.
 *
 *   RUN echo $V   --build-arg V=2 after V=1  →  build-args: V
 *   COPY . /app   after editing app.js       →  sources: changed app.js
 *   RUN --mount=source=src,target=/src make  after editing src/  →  sources: the files RUN --mount binds changed
 */
import type { CacheExplanation } from './events.js';
import { shortDigest } from '../util/digest.js';
import type { KeyInput } from './cachekey.js';

/** The keys run-settings.ts adds, and the flags they come from. */
const RUN_SETTINGS = [
  ['hosts', '--add-host'],
  ['shm', '--shm-size'],
  ['ulimits', '--ulimit'],
] as const;

/** Explain why `want` missed, given the inputs of the records that share its parent. */
export function explainMiss(want: KeyInput, siblings: KeyInput[]): CacheExplanation {
  const sameText = siblings.filter((s) => s.text === want.text);
  if (sameText.length > 0) {
    const best = sameText[sameText.length - 1]!;
    const args = diffKeys(want.args ?? {}, best.args ?? {});
    if (args.length > 0)
      return {
        reason: 'build-args',
        message: `build arg${args.length > 1 ? 's' : ''} changed: ${args.join(', ')}`,
        args,
      };
    if (want.sources && best.sources) return explainSources(want.sources, best.sources);
    if (want.extra?.binds !== best.extra?.binds)
      return { reason: 'sources', message: 'the files RUN --mount binds changed' };
    const settings = RUN_SETTINGS.filter(([k]) => want.extra?.[k] !== best.extra?.[k]);
    if (settings.length > 0)
      return {
        reason: 'no-record',
        message: `the build's ${settings.map(([, flag]) => flag).join(', ')} changed`,
      };
    return { reason: 'no-record', message: 'an earlier record differs in an option of the step' };
  }
  if (siblings.length > 0) {
    const best = siblings[siblings.length - 1]!;
    return {
      reason: 'instruction',
      message: `instruction changed: ${best.text} → ${want.text}`,
    };
  }
  return {
    reason: 'new-parent',
    message: `no earlier build reached this step from the same parent (${shortDigest(want.parent)})`,
  };
}

function explainSources(
  want: NonNullable<KeyInput['sources']>,
  had: NonNullable<KeyInput['sources']>,
): CacheExplanation {
  if (!want.files || !had.files)
    return {
      reason: 'sources',
      message: `source files changed (${want.count} files; too many to list which)`,
    };
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const [path, digest] of Object.entries(want.files)) {
    const before = had.files[path];
    if (before === undefined) added.push(path);
    else if (before !== digest) changed.push(path);
  }
  for (const path of Object.keys(had.files)) if (!(path in want.files)) removed.push(path);
  const parts = [
    ...(changed.length ? [`changed ${list(changed)}`] : []),
    ...(added.length ? [`added ${list(added)}`] : []),
    ...(removed.length ? [`removed ${list(removed)}`] : []),
  ];
  return {
    reason: 'sources',
    message: `source files ${parts.join('; ') || 'differ in metadata'}`,
    files: { added, removed, changed },
  };
}

function list(paths: string[]): string {
  const shown = paths.slice(0, 5).join(', ');
  return paths.length > 5 ? `${shown} and ${paths.length - 5} more` : shown;
}

function diffKeys(a: Record<string, string>, b: Record<string, string>): string[] {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names].filter((n) => a[n] !== b[n]).sort();
}
