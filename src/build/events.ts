/**
 * What a build reports as it goes: one event type for every consumer — the
 * plain, tty and json progress writers of the CLI, and callers of `build()`.
 *
 * A step is identified by `stage` (index in the Dockerfile) and `step` (index
 * in the whole build's numbering, 1-based, as `Step 3/7`). `total` counts every
 * step of every stage the target needs, FROM lines included, as docker classic
 * numbers them — and ONBUILD triggers too, which docker classic does not number
 * (it runs them under their FROM's number): the plan says how many each stage has.
 */
import type { VerifyReport } from './verify-report.js';

/** Why a step ran, for `--explain-cache` and the json `cache` section. */
export interface CacheExplanation {
  /** What differs from the closest earlier record of this step (build/explain.ts), or why there is none. */
  reason:
    | 'no-cache' // --no-cache
    | 'after-miss' // an earlier step of this stage ran, so its parent is new
    | 'first-build' // no earlier build of this Dockerfile ran this step
    | 'new-parent' // it ran before, on another parent (an earlier step or the base changed)
    | 'instruction' // the instruction text differs
    | 'build-args' // a build arg this RUN sees differs
    | 'sources' // COPY/ADD sources differ (see `files`)
    | 'no-record'; // nothing comparable was found
  /** One line a person reads: `instruction changed: RUN echo a → RUN echo b`. */
  message: string;
  /** For 'sources': relative paths added, removed or changed. */
  files?: { added: string[]; removed: string[]; changed: string[] };
  /** For 'build-args': names whose values differ (values are not shown: they may be secrets). */
  args?: string[];
}

export type BuildEvent =
  /**
   * The Dockerfile was read (first, before any base is pulled): BuildKit's
   * `[internal] load build definition from Dockerfile`. `file` as the build names it.
   */
  | { type: 'definition'; file: string; bytes: number }
  /** The build plan: stages in build order, skipped stages with the reason. */
  | {
      type: 'plan';
      total: number;
      /**
       * `steps` counts the FROM line and, first after it, `triggers` steps: the
       * base's ONBUILD triggers, which docker classic runs under its FROM's number.
       */
      stages: { index: number; name?: string; steps: number; triggers?: number }[];
      skipped: { index: number; name?: string; reason: string }[];
      /** BuildKit's check findings the configuration keeps (`# check=`), for the stages built. */
      warnings: {
        rule: string;
        message: string;
        description?: string;
        /** The rule's documentation page. */
        url?: string;
        file: string;
        line: number;
        col: number;
      }[];
    }
  /**
   * A step starts: `Step 3/7 : RUN make`. `text` is the instruction after expansion,
   * in a canonical form (`ENV A=b`); `source` is it as written, continuation lines
   * joined (`env A b`), which docker's classic builder prints. `onbuild`: an ONBUILD
   * trigger of the base, run right after FROM (docker classic gives it no number).
   * `vertex`: the step as BuildKit names it (`[builder 2/5] RUN make`), on the steps
   * BuildKit shows (FROM an image, RUN, COPY, ADD, WORKDIR); see build/vertex-name.ts.
   */
  | {
      type: 'step';
      stage: number;
      step: number;
      total: number;
      text: string;
      source?: string;
      onbuild?: boolean;
      vertex?: string;
    }
  /** The step was found in the cache (`---> Using cache`). */
  | { type: 'cached'; stage: number; step: number; key: string }
  /** The step will run; `explain` says why it missed. */
  | { type: 'miss'; stage: number; step: number; key: string; explain: CacheExplanation }
  /** Output of a RUN, never clipped. */
  | { type: 'output'; stage: number; step: number; stream: 'stdout' | 'stderr'; data: string }
  /**
   * The step finished; `id` is what docker prints as ` ---> 1a2b3c4d5e6f`: 12 hex digits
   * of the step's result id (no image config is stored per step), and of the image ID
   * for a stage's last step, as docker's last one before `Successfully built`; empty
   * for `FROM scratch`, which has no image (docker prints ` ---> ` alone).
   */
  | {
      type: 'done';
      stage: number;
      step: number;
      id: string;
      cached: boolean;
      ms: number;
      /** For a RUN or a COPY/ADD: the layer's diff ID, undefined when it changed nothing. */
      layer?: string;
    }
  /** A step failed. `log` is the path of its full output; `tail` its last lines. */
  | {
      type: 'failed';
      stage: number;
      step: number;
      message: string;
      exitCode?: number;
      log?: string;
      tail?: string[];
      /** A likely cause, e.g. name resolution in a step without network. */
      hint?: string;
      /** The short ID of the stopped container the failed RUN is kept as (`tsbuild debug ID`). */
      container?: string;
    }
  /** A stage ends; `id`: the image ID of its config (stored only if it is the image built). */
  | { type: 'stage-done'; stage: number; id: string }
  /** A warning that is not a Dockerfile lint (e.g. unused build args). */
  | { type: 'warning'; message: string }
  /** The first RUN on the default network: which network RUN steps have (once a build). */
  | { type: 'network'; mode: 'pasta' | 'slirp4netns' | 'host'; message: string }
  /**
   * A base image is being pulled (FROM, COPY --from or --pull): docker's pull
   * lines, `id` the layer's short digest when the line is about one.
   */
  | { type: 'pull'; ref: string; id?: string; status: string }
  /** After the build: `--push` and `--cache-to`, docker push's lines. */
  | { type: 'push'; ref: string; id?: string; status: string }
  /**
   * `--verify`, after the result: what it is doing (`status`), and last the
   * outcome, `status` its one-line summary and `report` the whole finding.
   */
  | { type: 'verify'; status: string; report?: VerifyReport }
  /** The build's result: docker prints `Successfully built <id12>` and one `Successfully tagged` per tag. */
  | { type: 'result'; id: string; digest: string; tags: string[] };
