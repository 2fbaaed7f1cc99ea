/**
 * What a handler gets and gives (STYLE.md #2): `plan()` is pure — the new
 * container config, the history text, the text that goes into the cache key,
 * and at most one effect on the filesystem that stage.ts carries out.
 * "Metadata only" is `effect === undefined`.
 */
import type { AddInstruction, CopyInstruction, Instruction } from '../../dockerfile/ast.js';
import type { Step } from '../../dockerfile/stage.js';
import type { ContainerConfig } from '../../image/types.js';
import type { StepMount } from '../mounts/spec.js';

export interface PlanState {
  config: ContainerConfig;
  author: string | undefined;
  /** CMD was set by this stage (so a later ENTRYPOINT keeps it). */
  cmdSet: boolean;
  /**
   * The names this stage's ARGs declared so far, in order, duplicates kept: what
   * BuildKit lists in a RUN's history (`|2 X=a X=a`), each with the step's value.
   */
  declaredArgs?: readonly string[];
}

export type Effect =
  | {
      kind: 'run';
      args: string[];
      /** The environment the command sees: image ENV, then build args, then proxy args. */
      env: string[];
      cwd: string;
      user: string;
      network: 'default' | 'none' | 'host';
      /** RUN --mount, defaults filled in (mounts/spec.ts); empty when none. */
      mounts: StepMount[];
    }
  | { kind: 'copy'; ins: CopyInstruction | AddInstruction; workdir: string; user: string }
  | { kind: 'mkdir'; path: string; user: string };

export interface Plan {
  config: ContainerConfig;
  author?: string;
  cmdSet?: boolean;
  /** `created_by` of the history entry; undefined: the step writes none (ONBUILD, as BuildKit). */
  history: string | undefined;
  /** The instruction's canonical text for the cache key (without secrets: arg values go in separately). */
  key: string;
  effect?: Effect;
}

export interface Handler<I extends Instruction> {
  plan(ins: I, state: PlanState, step: Step): Plan;
}
