/**
 * Which SOURCE_DATE_EPOCH a build uses (build/epoch.ts says what it does):
 * `--build-arg SOURCE_DATE_EPOCH=…`; else the caller's environment's, passed
 * on as that build arg as buildx and buildctl pass it on; else the default of
 * a global `ARG SOURCE_DATE_EPOCH=…` (dockerfile2llb getBuildArgValue). A value
 * that is not whole seconds stops the build before anything runs.
 */
import { epochTime, parseSourceDateEpoch } from '../build/epoch.js';
import type { ImageConfig } from '../image/types.js';
import type { StageGraph } from '../dockerfile/stages.js';
import type { BuildRequest } from './build-types.js';

const NAME = 'SOURCE_DATE_EPOCH';

/**
 * `req` with the environment's SOURCE_DATE_EPOCH as a build arg when the
 * build args have none, so `ARG SOURCE_DATE_EPOCH` in the Dockerfile sees it.
 * @example
 *   withEpochArg({ context: '.', env: { SOURCE_DATE_EPOCH: '0' } }).buildArgs; // { SOURCE_DATE_EPOCH: '0' }
 */
export function withEpochArg(req: BuildRequest): BuildRequest {
  const given = req.buildArgs?.[NAME];
  if (given !== undefined) {
    parseSourceDateEpoch(given);
    return req;
  }
  const env = (req.env ?? process.env)[NAME];
  if (env === undefined || env === '') return req;
  parseSourceDateEpoch(env);
  return { ...req, buildArgs: { ...req.buildArgs, [NAME]: env } };
}

/** The build's epoch in seconds, or undefined when it has none. */
export function buildEpoch(req: BuildRequest, graph: StageGraph): number | undefined {
  const given = req.buildArgs?.[NAME];
  if (given !== undefined) return parseSourceDateEpoch(given);
  return parseSourceDateEpoch(graph.metaArgs[NAME]);
}

/**
 * Whether Docker classic's `--cache-from IMAGE` may give a step of a build with
 * `epoch` its layer: only when the image's entry for the step has that time,
 * i.e. it was built with the same epoch (its layers clamped to it). A build
 * without one takes any, as Docker does.
 */
export function sameEpoch(
  image: { config: ImageConfig },
  state: { config: ImageConfig },
  epoch: number | undefined,
): boolean {
  if (epoch === undefined) return true;
  return image.config.history?.[state.config.history?.length ?? 0]?.created === epochTime(epoch);
}
