/**
 * `--explain-cache`: for a miss, the closest earlier record of the same step —
 * the same position (stage, step) of the same Dockerfile in the same context,
 * its *place* — and what differs. A record another Dockerfile made from the same
 * base says nothing about this one ("ENTRYPOINT … → LABEL …"), so only records
 * of this place are compared. Closest = the newest with the same parent and the
 * same instruction (then only args or sources can differ), else the newest
 * with the same parent (the instruction changed), else the newest of the place
 * (what it was built on changed); none: the first build of this step.
 *
 *   RUN echo $V   --build-arg V=2 after V=1  →  build-args: V
 *   COPY . /app   after editing app.js       →  sources: changed app.js
 *   RUN --mount=source=src,target=/src make  after editing src/  →  sources: the files RUN --mount binds changed
 */
import type { CacheExplanation } from './events.js';
import { sha256, shortDigest } from '../util/digest.js';
import { canonicalJson, type KeyInput } from './cachekey.js';

/** The keys run-settings.ts adds, and the flags they come from. */
const RUN_SETTINGS = [
  ['hosts', '--add-host'],
  ['shm', '--shm-size'],
  ['ulimits', '--ulimit'],
] as const;

/** How many places a record remembers (a step many Dockerfiles share keeps the newest). */
export const MAX_PLACES = 16;

/**
 * A Dockerfile's lineage: its context (a local directory's absolute path, else
 * the URL or `-` it came from) and its name in it. Builds of the same file
 * compare with each other; builds of another file in the same store do not.
 */
export function lineageOf(context: string, dockerfile: string): string {
  return sha256(canonicalJson({ context, dockerfile }));
}

/**
 * A step's place: its lineage, its stage (by name, else by index, so adding a
 * stage before a named one keeps its place) and its position in the stage.
 */
export function stepPlace(lineage: string, stage: string, step: number): string {
  return sha256(canonicalJson({ lineage, stage, step }));
}

/**
 * Explain why `want` missed, given the inputs of the earlier records of its
 * place, oldest first.
 */
export function explainMiss(want: KeyInput, earlier: KeyInput[]): CacheExplanation {
  const siblings = earlier.filter((s) => s.parent === want.parent);
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
  const last = earlier.at(-1);
  if (last === undefined) return { reason: 'first-build', message: 'first build of this step' };
  const parent = `${shortDigest(last.parent)} → ${shortDigest(want.parent)}`;
  return last.text === want.text
    ? { reason: 'new-parent', message: `what this step is built on changed (${parent})` }
    : {
        reason: 'instruction',
        message: `instruction changed: ${last.text} → ${want.text}, built on another parent (${parent})`,
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
