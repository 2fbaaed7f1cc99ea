/**
 * The plain display prints BuildKit's plain text (progressui/printer.go): vertex
 * headers `#N name`, output lines with their time, `DONE`, `CACHED`, `ERROR`, the
 * failed step's box and the warnings summary. Compared with what Docker 20.10's
 * BuildKit printed for the same Dockerfile, minus its `#N sha256:…` lines (newer
 * BuildKit prints none) and the context-transfer vertices tsbuild has no counterpart of.
 */
import { describe, expect, it } from 'vitest';
import type { BuildEvent } from '../../../src/api/build-types.js';
import { PlainProgress } from '../../../src/cli/progress/plain.js';
import { TsbuildError } from '../../../src/errors.js';
import { collector } from '../../helpers/streams.js';

const key = `sha256:${'1'.repeat(64)}`;
const ID = `sha256:${'7'.repeat(64)}`;

function play(events: BuildEvent[], clock: number[]) {
  const out = collector();
  const err = collector();
  let t = 0;
  const p = new PlainProgress({
    stdout: out.stream,
    stderr: err.stream,
    now: () => clock[t++] ?? 0,
  });
  for (const e of events) p.onEvent(e);
  return { p, out, err };
}

const head: BuildEvent[] = [
  { type: 'definition', file: 'Dockerfile', bytes: 87 },
  { type: 'plan', total: 3, stages: [{ index: 0, steps: 3 }], skipped: [], warnings: [] },
  {
    type: 'step',
    stage: 0,
    step: 1,
    total: 3,
    text: 'FROM busybox',
    vertex: '[1/2] FROM docker.io/library/busybox:latest',
  },
  { type: 'done', stage: 0, step: 1, id: 'a54f39ee8752', cached: false, ms: 0 },
  { type: 'step', stage: 0, step: 2, total: 3, text: 'ENV A=1' },
  { type: 'done', stage: 0, step: 2, id: 'b54f39ee8752', cached: false, ms: 0 },
  {
    type: 'step',
    stage: 0,
    step: 3,
    total: 3,
    text: 'RUN echo hello',
    vertex: '[2/2] RUN echo hello',
  },
];

describe('plain progress (BuildKit)', () => {
  it('numbers the vertices, times output lines, and ends with DONE and the export', () => {
    const { p, out, err } = play(
      [
        ...head,
        { type: 'miss', stage: 0, step: 3, key, explain: { reason: 'no-record', message: 'x' } },
        { type: 'output', stage: 0, step: 3, stream: 'stdout', data: 'hello\nwor' },
        { type: 'output', stage: 0, step: 3, stream: 'stderr', data: 'ld\n' },
        { type: 'done', stage: 0, step: 3, id: 'c54f39ee8752', cached: false, ms: 312 },
        { type: 'stage-done', stage: 0, id: ID },
        { type: 'result', id: ID, digest: key, tags: ['app:1'] },
      ],
      // definition, FROM step, RUN step, two output lines, stage-done, result
      [0, 0, 0, 1000, 1062, 1263, 1400, 1450],
    );
    p.end({
      result: {
        id: ID,
        digest: key,
        descriptor: { mediaType: '', digest: key, size: 1 },
        tags: ['app:1'],
        steps: [],
        warnings: [],
      },
    });
    expect(out.text()).toBe('');
    expect(err.text()).toBe(
      [
        '#1 [internal] load build definition from Dockerfile',
        '#1 transferring dockerfile: 87B done',
        '#1 DONE 0.0s',
        '',
        '#2 [1/2] FROM docker.io/library/busybox:latest',
        '#2 DONE 0.0s',
        '',
        '#3 [2/2] RUN echo hello',
        '#3 0.062 hello',
        '#3 0.263 world',
        '#3 DONE 0.3s',
        '',
        '#4 exporting to image',
        `#4 writing image ${ID} done`,
        '#4 naming to docker.io/library/app:1 done',
        '#4 DONE 0.1s',
        '',
      ].join('\n'),
    );
  });

  it('says CACHED for a step found in the cache', () => {
    const { err } = play(
      [
        ...head,
        { type: 'cached', stage: 0, step: 3, key },
        { type: 'done', stage: 0, step: 3, id: 'c', cached: true, ms: 0 },
      ],
      [],
    );
    expect(err.text()).toContain('\n#3 [2/2] RUN echo hello\n#3 CACHED\n');
  });

  it('ends a failed RUN with ERROR, then its box, then the warnings', () => {
    const failed = new TsbuildError(
      'RUN_FAILED',
      "The command '/bin/sh -c x' returned a non-zero code: 3",
      {
        exitCode: 3,
        tail: ['partial'],
      },
    );
    const { p, err } = play(
      [
        ...head.slice(0, 1),
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
        ...head.slice(2),
        { type: 'output', stage: 0, step: 3, stream: 'stdout', data: 'partial' },
      ],
      [0, 0, 0, 0, 500],
    );
    p.end({ error: failed });
    expect(err.text()).toBe(
      [
        '#1 [internal] load build definition from Dockerfile',
        '#1 transferring dockerfile: 87B done',
        '#1 WARN: JSONArgsRecommended: JSON arguments recommended (line 3)',
        '#1 DONE 0.0s',
        '',
        '#2 [1/2] FROM docker.io/library/busybox:latest',
        '#2 DONE 0.0s',
        '',
        '#3 [2/2] RUN echo hello',
        '#3 0.500 partial',
        "#3 ERROR: The command '/bin/sh -c x' returned a non-zero code: 3",
        '------',
        ' > [2/2] RUN echo hello:',
        '0.500 partial',
        '------',
        'exit code: 3',
        '',
        ' 1 warning found:',
        ' - JSONArgsRecommended: JSON arguments recommended (line 3)',
        '',
      ].join('\n'),
    );
  });
});
