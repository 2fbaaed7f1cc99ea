/**
 * The build's other methods, as buildx's `--call` asks BuildKit's Dockerfile
 * frontend for them instead of a build: `check` (the checks only), `outline`
 * (the build args, secrets and ssh agents a target uses) and `targets` (the
 * stages). None runs a step or writes an image.
 *
 *   check    reads the context (.dockerignore, named contexts) and resolves the
 *            base images — from the store, pulled when missing, as a build
 *            does — since their ONBUILD triggers and platform are checked too;
 *            without a target every stage is checked (BuildKit: "for lint, no
 *            target means all targets")
 *   outline  the Dockerfile and the build args only
 *   targets  the Dockerfile only
 */
import { join } from 'node:path';
import type { BuildEvent } from '../build/events.js';
import type { BuildContext } from '../context/open.js';
import { lintDockerfile, type CheckWarning } from '../dockerfile/lint/index.js';
import { listTargets, outlineOf, type Outline, type TargetList } from '../dockerfile/outline.js';
import { parseDockerfile, type ParsedDockerfile } from '../dockerfile/parse.js';
import { buildStageGraph } from '../dockerfile/stages.js';
import { DockerfileError, TsbuildError, withSourceLines } from '../errors.js';
import { removeSnapshotDir } from '../runtime/snapshot/stale.js';
import type { Store } from '../store/store.js';
import { checkPlatform } from './build.js';
import { resolveBases } from './build-bases.js';
import { openNamedContexts, openRequestContext } from './build-contexts.js';
import { makeWorkDir, sweepStaleBuilds } from './build-sweep.js';
import type { BuildRequest } from './build-types.js';
import { openStore } from './store.js';

export type { Outline, TargetList };

/** Errors of the Dockerfile that have no line: no FROM at all, a --target it does not have. */
const DOCKERFILE_CODES = new Set(['NO_STAGES', 'UNKNOWN_TARGET']);

export interface CheckResult {
  /** The Dockerfile's name (as spans name it) and text, for showing where a finding is. */
  file: string;
  text: string;
  /** Every finding the configuration keeps, in the order BuildKit finds them. */
  warnings: CheckWarning[];
  /**
   * Why the check could not pass: `check=error=true` with findings (BuildKit's
   * "lint violation found for rules: …"), or an error in the Dockerfile met while
   * checking it (a DockerfileError, with its place).
   */
  error?: TsbuildError;
}

/**
 * Run the build's checks without building (`tsbuild build --check`).
 * @example
 *   const r = await check({ context: '.' });
 *   r.warnings.map((w) => w.rule); // ['JSONArgsRecommended']
 */
export async function check(req: BuildRequest): Promise<CheckResult> {
  const platform = checkPlatform(req.platform);
  return withDockerfile(req, async ({ store, work, context }) => {
    const { name: file, text } = context.dockerfile;
    const emit = req.onEvent ?? ((_: BuildEvent) => undefined);
    const images = { used: new Map<string, string>() };
    const named = await openNamedContexts(store, req, work, emit, images);
    try {
      const df = parseDockerfile(text, { file });
      const bases = await resolveBases({
        store,
        df,
        file,
        req,
        emit,
        contexts: named.contexts,
        platform,
        allStages: req.target === undefined,
        images,
      });
      const { graph } = bases;
      const allStages = req.target === undefined;
      const checks = withSourceLines(df.lines, () =>
        lintDockerfile(df, graph, {
          ...(req.buildArgs ? { buildArgs: req.buildArgs } : {}),
          platform,
          allStages,
          ignored: (src) => context.ignore.excludesSource(src),
          extra: bases.platformFindings(allStages ? graph.stages.map((s) => s.index) : graph.order),
        }),
      );
      const error = checks.error
        ? new TsbuildError('LINT_VIOLATION', checks.error.reason, checks.error.data)
        : undefined;
      return { file, text, warnings: checks.warnings, ...(error ? { error } : {}) };
    } catch (e) {
      // A Dockerfile that cannot be checked is a result (BuildKit's buildError), with its place.
      if (e instanceof DockerfileError) {
        if (e.span.file === file) e.attachSource(text.split('\n'));
        return { file, text, warnings: [], error: e };
      }
      // The Dockerfile's own errors without a place (BuildKit's buildError has none either).
      if (e instanceof TsbuildError && DOCKERFILE_CODES.has(e.code))
        return { file, text, warnings: [], error: e };
      throw e;
    } finally {
      await named.close();
    }
  });
}

/**
 * The build args, secrets and ssh agents the target uses (`--call=outline`).
 * @example
 *   (await outline({ context: '.', target: 'app' })).args; // [{ name: 'VERSION', value: '1.0', … }]
 */
export async function outline(req: BuildRequest): Promise<Outline> {
  const platform = checkPlatform(req.platform);
  return withDockerfile(req, async ({ context }) => {
    const df = parse(context);
    const graph = buildStageGraph(df, {
      ...(req.buildArgs ? { buildArgs: req.buildArgs } : {}),
      ...(req.target !== undefined ? { target: req.target } : {}),
      platform,
    });
    return withSourceLines(df.lines, () =>
      outlineOf(df, graph, {
        ...(req.buildArgs ? { buildArgs: req.buildArgs } : {}),
        platform,
        text: context.dockerfile.text,
      }),
    );
  });
}

/**
 * Every stage of the Dockerfile (`--call=targets`).
 * @example
 *   (await targets({ context: '.' })).targets.map((t) => t.name); // ['build', 'app']
 */
export async function targets(req: BuildRequest): Promise<TargetList> {
  return withDockerfile(req, async ({ context }) =>
    listTargets(parse(context), context.dockerfile.text),
  );
}

function parse(context: BuildContext): ParsedDockerfile {
  return parseDockerfile(context.dockerfile.text, { file: context.dockerfile.name });
}

/** The context opened as a build opens it; closed after. */
async function withDockerfile<T>(
  req: BuildRequest,
  fn: (o: { store: Store; work: string; context: BuildContext }) => Promise<T>,
): Promise<T> {
  const store = await openStore(req);
  await sweepStaleBuilds(join(store.root, 'tmp'));
  const work = await makeWorkDir(join(store.root, 'tmp'));
  let context: BuildContext | undefined;
  try {
    context = await openRequestContext(req, store, work);
    return await fn({ store, work, context });
  } finally {
    await context?.close();
    await removeSnapshotDir(work).catch(() => undefined);
  }
}
