/**
 * The state after a step, from what the step's cache record keeps: its key, its
 * layer (if it made one) and when it ran. The image config is never stored per
 * step (it holds the whole history so far, so storing it made the store grow with
 * the square of the Dockerfile's length); it is rebuilt here, the same bytes for a
 * step that ran and for a hit, and stored once, when the stage becomes the image.
 *
 *   ENV A=1 after FROM busybox, run at t  →  config: busybox's, Env += A=1,
 *     created t, history += { created t, created_by "ENV A=1", empty_layer }
 */
import type { Descriptor, HistoryEntry, ImageConfig } from '../image/types.js';
import { sha256 } from '../util/digest.js';
import { canonicalJson } from './cachekey.js';
import type { Plan } from './instructions/index.js';
import type { StageState } from './state.js';

const HISTORY_COMMENT = 'buildkit.dockerfile.v0';

/** What a cache record says a step made. */
export interface StepMade {
  key: string;
  layer: Descriptor | undefined;
  created: string;
}

/**
 * @example
 *   const next = stepResult(state, plan, { key, layer, created: record.created });
 *   next.id; // what the following step's key starts from
 */
export function stepResult(state: StageState, plan: Plan, made: StepMade): StageState {
  const { layer, created } = made;
  const history = [...(state.config.history ?? [])];
  if (plan.history !== undefined) {
    const entry: HistoryEntry = { created, created_by: plan.history, comment: HISTORY_COMMENT };
    if (!layer) entry.empty_layer = true;
    history.push(entry);
  }
  const config: ImageConfig = {
    ...state.config,
    created,
    config: plan.config,
    history,
    rootfs: {
      type: 'layers',
      diff_ids: layer
        ? [...state.config.rootfs.diff_ids, layer.digest]
        : state.config.rootfs.diff_ids,
    },
  };
  const author = plan.author ?? state.config.author;
  if (author !== undefined) config.author = author;
  return {
    config,
    layers: layer ? [...state.layers, layer] : state.layers,
    id: resultId(made),
    cmdSet: plan.cmdSet ?? state.cmdSet,
  };
}

/**
 * The id of a step's result: its key (which holds the parent's id, so this is a
 * chain back to the base image's ID) and what a second run of the same key may
 * change, the layer and the time. The config is a function of exactly these, so
 * two results with one id have one config; and a record rewritten by a later run
 * (`--no-cache`, or a step run again once its layer was pruned) gives its children
 * new keys instead of pairing them with a layer they were not built on.
 */
export function resultId(made: StepMade): string {
  return sha256(
    canonicalJson({ step: made.key, layer: made.layer?.digest, created: made.created }),
  );
}
