/**
 * What `build --verify` found: the build's image against a rebuild of the same
 * target without the cache. Identical image IDs mean a reproducible build;
 * otherwise the config fields and the files of each layer that differ, with
 * the step that made the layer.
 */
import type { ConfigDifference } from '../image/config-diff.js';
import type { EntryDifference } from '../layer/entry-diff.js';

export type { ConfigDifference, EntryDifference };
export type { EntryFacts, EntryField } from '../layer/entry-diff.js';

export interface VerifyReport {
  /** The rebuild gave the same image ID (so the same config and layers) and manifest digest. */
  reproducible: boolean;
  /** The build's image ID and manifest digest (the store's manifest, before any push). */
  id: string;
  digest: string;
  /** The rebuild's, which was not kept. */
  rebuilt: { id: string; digest: string };
  /** The config fields that differ (`created`, `history[5].created`, `config.Env`), in config order. */
  config: ConfigDifference[];
  /** The layers that differ, in rootfs order. */
  layers: LayerDifference[];
}

export interface LayerDifference {
  /**
   * The step that made the layer (the same step of both builds); absent for a
   * base image's layer and for --squash's one layer.
   */
  step?: { stage: number; step: number; text: string; file: string; line: number };
  /** Where the layer is in the build's image (0-based), when the image has it. */
  index?: number;
  /**
   * Without a step: a layer of the base image, or the one layer --squash made
   * of the build's steps.
   */
  made?: 'base' | 'squash';
  /** The build's layer; absent when only the rebuild's step made one. */
  first?: string;
  /** The rebuild's layer; absent when only the build's step made one. */
  rebuilt?: string;
  /** The entries that differ, by path. */
  files: EntryDifference[];
}
