/**
 * `--progress=rawjson`: one BuildKit SolveStatus per line, as buildx's rawjson
 * display prints them: vertexes started then completed (cached or with an error),
 * logs with base64 data, lint warnings on the Dockerfile's vertex.
 */
import { describe, expect, it } from 'vitest';
import type { BuildEvent } from '../../../src/api/build-types.js';
import { RawJsonProgress } from '../../../src/cli/progress/rawjson.js';
import { collector } from '../../helpers/streams.js';

interface Status {
  vertexes?: {
    digest: string;
    name: string;
    started: string;
    completed?: string;
    cached?: boolean;
    error?: string;
  }[];
  logs?: { vertex: string; stream: number; data: string; timestamp: string }[];
  warnings?: { vertex: string; level: number; short: string }[];
}

const events: BuildEvent[] = [
  { type: 'definition', file: 'Dockerfile', bytes: 40 },
  {
    type: 'plan',
    total: 3,
    stages: [{ index: 0, steps: 3 }],
    skipped: [],
    warnings: [
      {
        rule: 'JSONArgsRecommended',
        message: 'JSON arguments recommended',
        file: 'Dockerfile',
        line: 3,
        col: 1,
      },
    ],
  },
  {
    type: 'step',
    stage: 0,
    step: 1,
    total: 3,
    text: 'FROM bb',
    vertex: '[1/2] FROM docker.io/library/bb:latest',
  },
  { type: 'done', stage: 0, step: 1, id: 'a', cached: false, ms: 0 },
  { type: 'step', stage: 0, step: 2, total: 3, text: 'ENV A=1' },
  { type: 'done', stage: 0, step: 2, id: 'b', cached: false, ms: 0 },
  { type: 'step', stage: 0, step: 3, total: 3, text: 'RUN echo hi', vertex: '[2/2] RUN echo hi' },
  { type: 'output', stage: 0, step: 3, stream: 'stderr', data: 'hi\n' },
  { type: 'failed', stage: 0, step: 3, message: 'exit code: 3' },
];

describe('rawjson progress', () => {
  it('prints parseable SolveStatus lines for the vertices, logs and warnings', () => {
    const out = collector();
    const err = collector();
    const p = new RawJsonProgress({ stdout: out.stream, stderr: err.stream, now: () => 0 });
    for (const e of events) p.onEvent(e);
    p.end({ error: new Error('failed') });
    expect(out.text()).toBe('');
    const lines = err
      .text()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Status);
    const vertexes = lines.flatMap((s) => s.vertexes ?? []);
    expect(vertexes.map((v) => [v.name, v.completed !== undefined, v.error])).toEqual([
      ['[internal] load build definition from Dockerfile', false, undefined],
      ['[internal] load build definition from Dockerfile', true, undefined],
      ['[1/2] FROM docker.io/library/bb:latest', false, undefined],
      ['[1/2] FROM docker.io/library/bb:latest', true, undefined],
      ['[2/2] RUN echo hi', false, undefined],
      ['[2/2] RUN echo hi', true, 'exit code: 3'],
    ]);
    for (const v of vertexes) expect(v.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    const run = vertexes[4]!.digest;
    const logs = lines.flatMap((s) => s.logs ?? []);
    expect(logs).toEqual([
      {
        vertex: run,
        stream: 2,
        data: Buffer.from('hi\n').toString('base64'),
        timestamp: '1970-01-01T00:00:00.000Z',
      },
    ]);
    const warnings = lines.flatMap((s) => s.warnings ?? []);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.vertex).toBe(vertexes[0]!.digest);
    expect(Buffer.from(warnings[0]!.short, 'base64').toString()).toBe(
      'JSONArgsRecommended: JSON arguments recommended (line 3)',
    );
  });
});
