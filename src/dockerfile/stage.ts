/** The stages a Dockerfile lowers to, and the graph between them (built by stages.ts). */
import type { FromInstruction, Instruction, Warning } from './ast.js';

export type StageBase =
  { kind: 'scratch' } | { kind: 'stage'; index: number } | { kind: 'image'; ref: string };

export interface Step {
  /** The instruction with its words expanded in the stage's scope. */
  instruction: Instruction;
  /**
   * For RUN: the build args in its environment (declared, set, not shadowed by
   * ENV). For ARG: the value each name it declares has from here on.
   */
  args?: Record<string, string>;
  /**
   * For RUN: the predefined proxy args (HTTP_PROXY, …) given as build args,
   * declared or not. Docker puts them in the RUN's environment (both
   * spellings); an undeclared one stays out of the history and the cache key.
   */
  proxy?: Record<string, string>;
  /** True for a trigger of the base stage's ONBUILD, run right after FROM. */
  onbuild?: boolean;
}

export interface Stage {
  index: number;
  name: string | undefined;
  from: FromInstruction;
  base: StageBase;
  /** `FROM --platform=…`, expanded; undefined when not given. */
  platform: string | undefined;
  steps: Step[];
  /** Stages this one reads from (its base, COPY --from, RUN --mount from=), ascending. */
  dependsOn: number[];
  /** Images (not stages) named by COPY --from or RUN --mount from=. */
  images: string[];
}

export interface StageGraph {
  /** ARGs declared before the first FROM, with their values (null: declared, unset). */
  metaArgs: Record<string, string | null>;
  stages: Stage[];
  target: number;
  /** The stages the target needs, each after the ones it depends on. */
  order: number[];
  skipped: { index: number; name: string | undefined; reason: string }[];
  /** `--build-arg`s no ARG consumed (Docker warns about them). */
  unusedBuildArgs: string[];
  warnings: Warning[];
}
