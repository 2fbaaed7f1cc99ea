/**
 * The library's naming rule (src/index.ts): results that are Docker JSON
 * documents (what `docker inspect` prints) keep Docker's PascalCase; tsbuild's
 * own results are camelCase. Checked on the exported types (tsc runs these).
 */
import { describe, expectTypeOf, it } from 'vitest';
import type {
  BuildResult,
  CacheUsage,
  Change,
  ContainerInspect,
  ContainerPruneResult,
  ContainerSummary,
  HistoryItem,
  ImageInspect,
  ImageSummary,
  InspectConfig,
  LogEntry,
  LoginRequest,
  LoginResult,
  LogoutRequest,
  LogoutResult,
  PullResult,
  PushResult,
  RunResult,
  StepResult,
} from '../../src/index.js';

/** The keys of T that do not start with a lower-case letter (never when all do). */
type NotCamel<T> = Exclude<keyof T & string, Uncapitalize<keyof T & string>>;
/** The keys of T that do not start with an upper-case letter (never when all do). */
type NotPascal<T> = Exclude<keyof T & string, Capitalize<keyof T & string>>;

describe('one naming rule', () => {
  it("Docker's JSON documents keep Docker's PascalCase", () => {
    expectTypeOf<NotPascal<ImageInspect>>().toBeNever();
    expectTypeOf<NotPascal<InspectConfig>>().toBeNever();
    expectTypeOf<NotPascal<ImageInspect['RootFS']>>().toBeNever();
    expectTypeOf<NotPascal<ContainerInspect>>().toBeNever();
    expectTypeOf<NotPascal<ContainerInspect['State']>>().toBeNever();
  });

  it("tsbuild's own results are camelCase", () => {
    expectTypeOf<NotCamel<ImageSummary>>().toBeNever();
    expectTypeOf<NotCamel<HistoryItem>>().toBeNever();
    expectTypeOf<NotCamel<ContainerSummary>>().toBeNever();
    expectTypeOf<NotCamel<CacheUsage>>().toBeNever();
    expectTypeOf<NotCamel<Change>>().toBeNever();
    expectTypeOf<NotCamel<LogEntry>>().toBeNever();
    expectTypeOf<NotCamel<ContainerPruneResult>>().toBeNever();
    expectTypeOf<NotCamel<RunResult>>().toBeNever();
    expectTypeOf<NotCamel<BuildResult>>().toBeNever();
    expectTypeOf<NotCamel<StepResult>>().toBeNever();
    expectTypeOf<NotCamel<PullResult>>().toBeNever();
    expectTypeOf<NotCamel<PushResult>>().toBeNever();
    expectTypeOf<NotCamel<LoginResult>>().toBeNever();
    expectTypeOf<NotCamel<LogoutResult>>().toBeNever();
    expectTypeOf<NotCamel<LoginRequest>>().toBeNever();
    expectTypeOf<NotCamel<LogoutRequest>>().toBeNever();
  });
});
