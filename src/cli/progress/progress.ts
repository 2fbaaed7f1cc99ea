/** What every progress display is: a sink for build events, told once when the build is over. */
import type { BuildEvent, BuildResult } from '../../api/build-types.js';

/** How a build ended: its result, or the error `build()` rejected with. */
export type BuildOutcome = { result: BuildResult } | { error: unknown };

export interface Progress {
  /** Called for each event, in order, as the build makes it (BuildRequest.onEvent). */
  onEvent(event: BuildEvent): void;
  /** The build is over: print what is left (the final frame, the image ID, a failure's tail). */
  end(outcome: BuildOutcome): void;
}

export interface ProgressOptions {
  /** Where plain text, json lines and the image ID go. */
  stdout: NodeJS.WritableStream;
  /** Where the live view, warnings and failures go. */
  stderr: NodeJS.WritableStream;
  /** Print, for each cache miss, what changed (`--explain-cache`). */
  explainCache?: boolean;
  /** Colour RUN's stderr red as docker's classic builder does (default: stdout is a terminal). */
  color?: boolean;
  /** The clock, in ms; Date.now by default. */
  now?: () => number;
}

export type FailedEvent = Extract<BuildEvent, { type: 'failed' }>;
export type MissEvent = Extract<BuildEvent, { type: 'miss' }>;
export type ResultEvent = Extract<BuildEvent, { type: 'result' }>;
