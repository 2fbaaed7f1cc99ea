/** What runStage is given about its stage and the build around it. */
import type { Stage } from '../dockerfile/stage.js';
import type { KeyInput } from './cachekey.js';
import type { NamedContext } from './named-context.js';
import type { StageState } from './state.js';

export interface StageRun {
  stage: Stage;
  base: StageState;
  /** The number docker gives this stage's FROM line (`Step N/total`). */
  firstStep: number;
  total: number;
  /** Every stage of the file, by index (COPY --from names them). */
  stages: readonly Stage[];
  /** The result of another stage, for COPY --from=stage. */
  stageState(index: number): Promise<StageState>;
  /** An image's state, for COPY --from=image. */
  imageState(ref: string): Promise<StageState>;
  /** The named build context `ref` names (`--build-context`), if any: it wins over an image. */
  namedContext(ref: string): NamedContext | undefined;
  /** The inputs of the store's records of a step's place, oldest first, for explanations (loaded once, on the first miss). */
  records(place: string): Promise<KeyInput[]>;
}
