/**
 * Step numbers as docker's classic builder prints them. A build numbers every
 * step it runs, ONBUILD triggers included; docker classic runs a base's
 * triggers under their FROM's number instead, and prints, for `FROM app` whose
 * base has two:
 *
 *   Step 1/2 : FROM app
 *   # Executing 2 build triggers
 *   <the triggers' output>
 *    ---> 04b756a204c2
 *   Step 2/2 : RUN echo after
 *
 * The plan says how many triggers each stage has, so the numbers are known
 * before the stages run (in parallel, in any order).
 */
import type { BuildEvent } from '../../api/build-types.js';

type PlanEvent = Extract<BuildEvent, { type: 'plan' }>;

interface StageNumbers {
  /** The build's number of the stage's FROM. */
  from: number;
  triggers: number;
  /** Triggers of the stages before this one. */
  before: number;
}

export class ClassicSteps {
  private readonly stages = new Map<number, StageNumbers>();
  private triggers = 0;

  plan(e: PlanEvent): void {
    let from = 1;
    for (const s of e.stages) {
      const triggers = s.triggers ?? 0;
      this.stages.set(s.index, { from, triggers, before: this.triggers });
      from += s.steps;
      this.triggers += triggers;
    }
  }

  /** `Step 3/7`: the build's step `step` of `total`, as docker numbers it. */
  label(stage: number, step: number, total: number): string {
    const s = this.stages.get(stage);
    const n = s ? step - s.before - (step > s.from ? s.triggers : 0) : step;
    return `Step ${n}/${total - this.triggers}`;
  }

  /** How many triggers run after this step: > 0 only for a FROM whose base has some. */
  triggersAfter(stage: number, step: number): number {
    const s = this.stages.get(stage);
    return s && s.from === step ? s.triggers : 0;
  }

  /**
   * Whether docker prints ` ---> <id>` when the step is done: not for a FROM whose
   * triggers follow, nor for a trigger but the last.
   */
  printsId(stage: number, step: number): boolean {
    const s = this.stages.get(stage);
    return !s || step < s.from || step >= s.from + s.triggers;
  }
}

/** `# Executing 2 build triggers`, docker's line before a FROM's triggers run. */
export function executingTriggers(n: number): string {
  return `# Executing ${n} build trigger${n === 1 ? '' : 's'}`;
}
