/**
 * `--iidfile` and `--metadata-file`: docker writes the image ID with no newline;
 * buildx writes its metadata as indented JSON with sorted keys. tsbuild adds its
 * per-step cache results under `tsbuild.steps`.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TsbuildError } from '../../src/errors.js';
import {
  buildMetadata,
  removeStale,
  writeIidFile,
  writeMetadataFile,
} from '../../src/cli/metadata.js';
import { rejected } from '../helpers/caught.js';
import { tempRoot } from '../helpers/tmp.js';
import { oneStageResult } from './progress/events.js';

describe('metadata files', () => {
  it('writes the image ID alone, no newline, over an older file', async () => {
    const path = join(tempRoot(), 'iid');
    writeFileSync(path, 'sha256:old\n');
    await writeIidFile(path, oneStageResult);
    expect(readFileSync(path, 'utf8')).toBe(oneStageResult.id);
  });

  it("writes buildx's keys, sorted, indented by two, with image.name canonical and comma-joined", async () => {
    const dir = tempRoot();
    const path = join(dir, 'meta.json');
    await writeMetadataFile(path, oneStageResult);
    const text = readFileSync(path, 'utf8');
    expect(text).toBe(JSON.stringify(buildMetadata(oneStageResult), null, 2));
    expect(JSON.parse(text)).toEqual({
      'containerimage.config.digest': oneStageResult.id,
      'containerimage.descriptor': oneStageResult.descriptor,
      'containerimage.digest': oneStageResult.digest,
      'image.name': 'docker.io/library/myimg:latest,docker.io/foo/bar:1,localhost:5000/x:latest',
      'tsbuild.steps': [
        { stage: 0, step: 1, text: 'FROM bb', cached: false, ms: 2 },
        { stage: 0, step: 2, text: 'LABEL x=y', cached: true, ms: 0 },
        { stage: 0, step: 3, text: 'COPY a.txt /a.txt', cached: false, ms: 12 },
      ],
    });
    expect(Object.keys(JSON.parse(text))).toEqual(Object.keys(JSON.parse(text)).sort());
    expect(text.split('\n')[1]).toBe(`  "containerimage.config.digest": "${oneStageResult.id}",`);
    expect(readdirSync(dir)).toEqual(['meta.json']); // no temp file left beside it
  });

  it('writes buildx.build.warnings only with BUILDX_METADATA_WARNINGS true, as buildx', () => {
    const span = { file: 'Dockerfile', line: 3, col: 1, endLine: 3, endCol: 8 };
    const warnings = [
      {
        rule: 'JSONArgsRecommended',
        message:
          'JSON arguments recommended for CMD to prevent unintended behavior related to OS signals',
        description:
          'JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals',
        url: 'https://docs.docker.com/go/dockerfile/rule/json-args-recommended/',
        span,
      },
    ];
    const result = { ...oneStageResult, warnings };
    expect(buildMetadata(result, {})).not.toHaveProperty('buildx.build.warnings');
    expect(buildMetadata(result, { BUILDX_METADATA_WARNINGS: 'false' })).not.toHaveProperty(
      'buildx.build.warnings',
    );
    const [w] = buildMetadata(result, { BUILDX_METADATA_WARNINGS: '1' })[
      'buildx.build.warnings'
    ] as Record<string, unknown>[];
    expect(Buffer.from(w!.short as string, 'base64').toString()).toBe(
      'JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals (line 3)',
    );
    expect(w).toMatchObject({
      level: 1,
      url: warnings[0]!.url,
      range: [{ start: { line: 3 }, end: { line: 3 } }],
    });
  });

  it('leaves image.name out when nothing was tagged, as buildx does', () => {
    expect(buildMetadata({ ...oneStageResult, tags: [] })).not.toHaveProperty('image.name');
  });

  it('fails with a TsbuildError naming the flag when the directory is missing', async () => {
    const path = join(tempRoot(), 'no', 'such', 'iid');
    const e = await rejected(writeIidFile(path, oneStageResult));
    expect(e).toBeInstanceOf(TsbuildError);
    expect(e.code).toBe('METADATA_WRITE');
    expect(e.message).toMatch(new RegExp(`^--iidfile ${path}: ENOENT`));
  });

  it('removes a stale file before a build, and a missing one is fine', async () => {
    const path = join(tempRoot(), 'iid');
    writeFileSync(path, 'sha256:old');
    await removeStale('--iidfile', path);
    expect(existsSync(path)).toBe(false);
    await removeStale('--iidfile', path);
  });
});
