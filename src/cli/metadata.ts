/**
 * `--iidfile` and `--metadata-file`: what a build made, for scripts. The
 * iidfile is the image ID with no newline, as docker writes it; the metadata
 * file is buildx's JSON (keys sorted, two-space indent, as Go marshals a map)
 * plus tsbuild's per-step cache results:
 *
 *   { "containerimage.config.digest": "sha256:…", "containerimage.descriptor": {…},
 *     "containerimage.digest": "sha256:…", "image.name": "docker.io/library/app:latest",
 *     "tsbuild.steps": [{ "stage": 0, "step": 1, "text": "FROM busybox", "cached": true, "ms": 0 }],
 *     "tsbuild.verify": { "reproducible": true, "id": "sha256:…", … } }
 *
 * `tsbuild.verify` (with --verify) is the whole VerifyReport (build/verify-report.ts).
 *
 * Both are replaced atomically: a reader sees the old file or the new, never half.
 */
import { rm } from 'node:fs/promises';
import type { BuildResult } from '../api/build-types.js';
import { TsbuildError } from '../errors.js';
import { formatReference, parseReference } from '../image/reference.js';
import { writeFileAtomic } from '../util/atomic.js';

/** The metadata file's content. `image.name` is left out when nothing was tagged, as buildx does. */
export function buildMetadata(
  result: BuildResult,
  env: NodeJS.ProcessEnv = {},
): Record<string, unknown> {
  const names = result.tags.map((t) => formatReference(parseReference(t)));
  // buildx writes the warnings only when BUILDX_METADATA_WARNINGS is true (strconv.ParseBool).
  const withWarnings =
    ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(env.BUILDX_METADATA_WARNINGS ?? '') &&
    result.warnings.length > 0;
  return {
    ...(withWarnings ? { 'buildx.build.warnings': result.warnings.map(vertexWarning) } : {}),
    'containerimage.config.digest': result.id,
    'containerimage.descriptor': {
      mediaType: result.descriptor.mediaType,
      digest: result.descriptor.digest,
      size: result.descriptor.size,
      // --annotation manifest-descriptor:…, as BuildKit's descriptor carries them.
      ...(result.descriptor.annotations ? { annotations: result.descriptor.annotations } : {}),
    },
    'containerimage.digest': result.digest,
    ...(names.length > 0 ? { 'image.name': names.join(',') } : {}),
    'tsbuild.steps': result.steps.map(({ stage, step, text, cached, ms }) => ({
      stage,
      step,
      text,
      cached,
      ms,
    })),
    ...(result.verify ? { 'tsbuild.verify': result.verify } : {}),
  };
}

export async function writeIidFile(path: string, result: BuildResult): Promise<void> {
  await writeOrFail('--iidfile', path, result.id);
}

export async function writeMetadataFile(
  path: string,
  result: BuildResult,
  env: NodeJS.ProcessEnv = {},
): Promise<void> {
  await writeOrFail('--metadata-file', path, JSON.stringify(buildMetadata(result, env), null, 2));
}

/**
 * A finding as buildx records it (BuildKit's client.VertexWarning): `short`
 * is what its summary prints, `detail` the rule's description; both are Go
 * []byte, so base64 in JSON.
 */
function vertexWarning(w: BuildResult['warnings'][number]): Record<string, unknown> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const line = { line: w.span.line };
  return {
    level: 1,
    short: b64(`${w.rule}: ${w.message} (line ${w.span.line})`),
    detail: [b64(w.description)],
    ...(w.url ? { url: w.url } : {}),
    sourceInfo: { filename: w.span.file, language: 'Dockerfile' },
    range: [{ start: line, end: { line: w.span.endLine } }],
  };
}

/**
 * Docker removes an old iidfile before it builds, so a failed build does not
 * leave the previous build's ID there for a script to pick up.
 */
export async function removeStale(flag: string, path: string): Promise<void> {
  try {
    await rm(path, { force: true });
  } catch (e) {
    throw failure(flag, path, e);
  }
}

async function writeOrFail(flag: string, path: string, data: string): Promise<void> {
  try {
    await writeFileAtomic(path, data);
  } catch (e) {
    throw failure(flag, path, e);
  }
}

function failure(flag: string, path: string, e: unknown): TsbuildError {
  const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  return new TsbuildError('METADATA_WRITE', `${flag} ${path}: ${(e as Error).message}`, {
    path,
    reason,
  });
}
