/**
 * How stages refer to one another: `FROM name`, `COPY --from=name|index|image`
 * and `RUN --mount=from=…` edges, the target a build asks for, and the order
 * the target's stages build in.
 */
import { DockerfileError, TsbuildError, type Span } from '../errors.js';
import type { Instruction } from './ast.js';
import type { Stage } from './stage.js';

/** Record what a step reads from other stages or images. */
export function linkDependencies(stage: Stage, ins: Instruction, stages: Stage[]): void {
  const refs: { ref: string; span: Span }[] = [];
  if (ins.kind === 'COPY' && ins.from !== undefined) refs.push({ ref: ins.from, span: ins.span });
  if (ins.kind === 'RUN') {
    for (const m of ins.mounts) {
      const from = /(?:^|,)from=([^,]*)/.exec(m)?.[1];
      if (from) refs.push({ ref: from.replace(/^"(.*)"$/, '$1'), span: ins.span });
    }
  }
  for (const { ref, span } of refs) {
    const dep = resolveStageRef(ref, stage.index, stages, span);
    if (dep === undefined) {
      if (!stage.images.includes(ref)) stage.images.push(ref);
    } else if (!stage.dependsOn.includes(dep)) {
      stage.dependsOn.push(dep);
      stage.dependsOn.sort((a, b) => a - b);
    }
  }
}

/** A stage name or index defined before `current`, or undefined for an image. */
function resolveStageRef(
  ref: string,
  current: number,
  stages: Stage[],
  span: Span,
): number | undefined {
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
  return stages.find((s) => s.index < current && s.name === ref.toLowerCase())?.index;
}

export function findTarget(stages: Stage[], target: string | undefined): number {
  if (stages.length === 0)
    throw new TsbuildError('NO_STAGES', 'the Dockerfile has no FROM: nothing to build');
  if (target === undefined) return stages.length - 1;
  const found = stages.find((s) => s.name === target.toLowerCase());
  if (found) return found.index;
  const names = stages.flatMap((s) => (s.name ? [s.name] : []));
  throw new TsbuildError(
    'UNKNOWN_TARGET',
    `target stage "${target}" could not be found` +
      (names.length ? ` (stages: ${names.join(', ')})` : ' (no stage has a name)'),
    { target, stages: names, docker: `target stage ${target} could not be found` },
  );
}

/** Depth-first from the target: every stage after the stages it depends on. */
export function buildOrder(stages: Stage[], target: number): number[] {
  const order: number[] = [];
  const seen = new Set<number>();
  const visit = (i: number) => {
    if (seen.has(i)) return;
    seen.add(i);
    for (const d of stages[i]!.dependsOn) visit(d);
    order.push(i);
  };
  visit(target);
  return order;
}
