/**
 * A stage's state between steps: the image config so far (with its history and
 * rootfs), its layers as stored (uncompressed; digest = diff ID), and its id,
 * the parent the next cache key starts from: the base image's ID at the start of
 * a stage, then each step's result id (step-result.ts). The config itself is
 * stored once, when the stage becomes the image.
 */
import type { Descriptor, ImageConfig } from '../image/types.js';
import { DEFAULT_PATH } from '../runtime/run/spec.js';
import type { Store } from '../store/store.js';
import { getEnv } from './instructions/env.js';

export interface StageState {
  config: ImageConfig;
  layers: Descriptor[];
  /**
   * `sha256:…`: the base image's ID (scratch's: of its config's bytes) before the
   * first step, then the last step's result id. Not the config's digest, which
   * would cost the whole history in bytes to hash at every step.
   */
  id: string;
  /** CMD was set in this stage (ENTRYPOINT then keeps it). */
  cmdSet: boolean;
}

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

/** The bytes a config is stored as; its sha256 is the image ID. */
export function configBytes(config: ImageConfig): Buffer {
  return Buffer.from(JSON.stringify(config));
}

/**
 * `FROM scratch`: no layers, PATH set and WORKDIR `/`, as BuildKit's empty image.
 * Its ID is computed, never stored: nothing refers to it but cache keys.
 */
export function scratchState(platform: PlatformSpec): Omit<StageState, 'id'> {
  return {
    config: {
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: { Env: [`PATH=${DEFAULT_PATH}`], WorkingDir: '/' },
      rootfs: { type: 'layers', diff_ids: [] },
      history: [],
    },
    layers: [],
    cmdSet: false,
  };
}

/**
 * `FROM image`: its config with the triggers consumed (a child never passes ONBUILD
 * on) and PATH added when the image has none (BuildKit does both).
 */
export function baseState(config: ImageConfig, layers: Descriptor[]): Omit<StageState, 'id'> {
  const inner = { ...(config.config ?? {}) };
  if (getEnv(inner.Env, 'PATH') === undefined)
    inner.Env = [`PATH=${DEFAULT_PATH}`, ...(inner.Env ?? [])];
  delete inner.OnBuild;
  return { config: { ...config, config: inner }, layers, cmdSet: false };
}

/** The state of an image in the store, for FROM and COPY --from. */
export async function imageState(store: Store, ref: string): Promise<StageState> {
  const record = await store.resolve(ref);
  const [config, manifest] = await Promise.all([store.config(record), store.manifest(record)]);
  return { config, layers: manifest.layers, id: record.id, cmdSet: false };
}
