/**
 * How stages refer to one another: `FROM name`, `COPY --from=name|index|image`
 * and `RUN --mount=from=…` edges, the target a build asks for, and the order
 * the target's stages build in.
 */
import { DockerfileError, TsbuildError, type Span } from '../errors.js';
import type { Instruction } from './ast.js';
import type { Stage } from './stage.js';

type Use = 'copy' | 'mount';

/**
 * BuildKit resolves `--from` before any variable is known, and says so
 * rather than guessing: `COPY --from=$IMG` is an error, not an expansion.
 */
const NO_EXPANSION: Record<Use, string> = {
  copy: 'variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround',
  mount: "'from' doesn't support variable expansion, define alias stage instead",
};

/**
 * Record what a step reads from other stages or images.
 * @param names every stage name in the file, with its index, so a name used
 *   before its stage is defined is an error and not an image.
 */
export function linkDependencies(
  stage: Stage,
  ins: Instruction,
  names: ReadonlyMap<string, number>,
): void {
  const refs: { ref: string; span: Span; use: Use }[] = [];
  if (ins.kind === 'COPY' && ins.from !== undefined)
    refs.push({ ref: ins.from, span: ins.span, use: 'copy' });
  if (ins.kind === 'RUN') {
    for (const m of ins.mounts) {
      const from = /(?:^|,)from=([^,]*)/.exec(m)?.[1];
      if (from) refs.push({ ref: from.replace(/^"(.*)"$/, '$1'), span: ins.span, use: 'mount' });
    }
  }
  for (const { ref, span, use } of refs) {
    if (ref.includes('$')) throw new DockerfileError('FROM_EXPANSION', NO_EXPANSION[use], span);
    const dep = resolveStageRef(ref, stage, names, span, use);
    if (dep === undefined) {
      if (!stage.images.includes(ref)) stage.images.push(ref);
    } else {
      insertSorted(stage.dependsOn, dep);
    }
  }
}

/** Add `n` to an ascending list unless it is there: a binary search, not a sort per COPY --from. */
function insertSorted(list: number[], n: number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < n) lo = mid + 1;
    else hi = mid;
  }
  if (list[lo] !== n) list.splice(lo, 0, n);
}

/** A stage name or index defined before `stage`, or undefined for an image. */
function resolveStageRef(
  ref: string,
  stage: Stage,
  names: ReadonlyMap<string, number>,
  span: Span,
  use: Use,
): number | undefined {
  const current = stage.index;
  if (/^[0-9]+$/.test(ref)) {
    const index = Number(ref);
    if (index >= current) {
      throw new DockerfileError(
        'STAGE_INDEX',
        `--from=${ref} refers to stage ${index}, but only stages 0 to ${current - 1} come before this one`,
        span,
      );
    }
    return index;
  }
  const index = names.get(ref.toLowerCase());
  if (index !== undefined && index >= current) {
    const verb = use === 'copy' ? 'copy' : 'mount';
    throw new DockerfileError(
      'STAGE_ORDER',
      `cannot ${verb} from stage "${ref}", it needs to be defined before current stage "${stage.name ?? current}"`,
      span,
    );
  }
  return index;
}

export function findTarget(stages: Stage[], target: string | undefined): number {
  if (stages.length === 0)
    throw new TsbuildError('NO_STAGES', 'the Dockerfile has no FROM: nothing to build');
  if (target === undefined) return stages.length - 1;
  // The last stage of that name, as BuildKit picks it.
  const found = stages.findLast((s) => s.name === target.toLowerCase());
  if (found) return found.index;
  const names = stages.flatMap((s) => (s.name ? [s.name] : []));
  throw new TsbuildError(
    'UNKNOWN_TARGET',
    `target stage "${target}" could not be found` +
      (names.length ? ` (stages: ${names.join(', ')})` : ' (no stage has a name)'),
    { target, stages: names, docker: `target stage ${target} could not be found` },
  );
}

/**
 * Depth-first from the target: every stage after the stages it depends on.
 * With a stack of its own, not recursion: 6,000 chained `FROM sN AS sN+1`
 * stages were deeper than Node's call stack.
 */
export function buildOrder(stages: Stage[], target: number): number[] {
  const order: number[] = [];
  const seen = new Set<number>([target]);
  // Each frame: a stage and how many of its dependencies have been visited.
  const stack: [number, number][] = [[target, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const deps = stages[top[0]]!.dependsOn;
    if (top[1] === deps.length) {
      order.push(top[0]);
      stack.pop();
      continue;
    }
    const d = deps[top[1]++]!;
    if (!seen.has(d)) {
      seen.add(d);
      stack.push([d, 0]);
    }
  }
  return order;
}
