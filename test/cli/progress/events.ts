/**
 * Recorded event sequences, written by hand after what `docker build` (20.10,
 * classic) printed for the same Dockerfiles: a one-stage build with cached
 * steps and a RUN writing to stdout and stderr, a failing RUN, and two stages
 * built at the same time.
 */
import type { BuildEvent, BuildResult } from '../../../src/api/build-types.js';
import { TsbuildError } from '../../../src/errors.js';

const ID = 'sha256:5b61e2b9ec817532b0dea829c3182789a34ae0fdf224cf56ccdfb8b7c158cb1b';
const DIGEST = 'sha256:0d2e0c7b3a56a4b0c2d3a3c1f6e8d4b2a1908f7e6d5c4b3a2918f7e6d5c4b3a2';
const key = (n: number) => `sha256:${String(n).repeat(64)}`;

/**
 * FROM bb / LABEL x=y / COPY a.txt /a.txt / RUN echo out1 && echo err1 >&2 && echo out2 / ENV A=b,
 * the LABEL cached and the COPY missed because a.txt changed.
 */
export const oneStage: BuildEvent[] = [
  { type: 'plan', total: 5, stages: [{ index: 0, steps: 5 }], skipped: [], warnings: [] },
  { type: 'step', stage: 0, step: 1, total: 5, text: 'FROM bb' },
  { type: 'done', stage: 0, step: 1, id: 'a54f39ee8752', cached: false, ms: 2 },
  { type: 'step', stage: 0, step: 2, total: 5, text: 'LABEL x=y' },
  { type: 'cached', stage: 0, step: 2, key: key(2) },
  { type: 'done', stage: 0, step: 2, id: '8e53cab9ea08', cached: true, ms: 0 },
  { type: 'step', stage: 0, step: 3, total: 5, text: 'COPY a.txt /a.txt' },
  {
    type: 'miss',
    stage: 0,
    step: 3,
    key: key(3),
    explain: {
      reason: 'sources',
      message: 'sources changed: 1 file',
      files: { added: [], removed: [], changed: ['a.txt'] },
    },
  },
  { type: 'done', stage: 0, step: 3, id: '0f757db09e5f', cached: false, ms: 12, layer: key(9) },
  {
    type: 'step',
    stage: 0,
    step: 4,
    total: 5,
    text: 'RUN echo out1 && echo err1 >&2 && echo out2',
  },
  {
    type: 'miss',
    stage: 0,
    step: 4,
    key: key(4),
    explain: { reason: 'after-miss', message: 'an earlier step of this stage ran' },
  },
  { type: 'output', stage: 0, step: 4, stream: 'stdout', data: 'out1\n' },
  { type: 'output', stage: 0, step: 4, stream: 'stdout', data: 'out2\n' },
  { type: 'output', stage: 0, step: 4, stream: 'stderr', data: 'err1\n' },
  { type: 'done', stage: 0, step: 4, id: '635d1ab64cfb', cached: false, ms: 1234 },
  { type: 'step', stage: 0, step: 5, total: 5, text: 'ENV A=b' },
  {
    type: 'miss',
    stage: 0,
    step: 5,
    key: key(5),
    explain: { reason: 'after-miss', message: 'an earlier step of this stage ran' },
  },
  { type: 'done', stage: 0, step: 5, id: '5b61e2b9ec81', cached: false, ms: 1 },
  { type: 'stage-done', stage: 0, id: '5b61e2b9ec81' },
  { type: 'result', id: ID, digest: DIGEST, tags: ['myimg', 'foo/bar:1', 'localhost:5000/x'] },
];

export const oneStageResult: BuildResult = {
  id: ID,
  warnings: [],
  digest: DIGEST,
  descriptor: {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: DIGEST,
    size: 1043,
  },
  tags: ['myimg', 'foo/bar:1', 'localhost:5000/x'],
  steps: [
    { stage: 0, step: 1, text: 'FROM bb', cached: false, ms: 2, key: key(1), ...at(1) },
    { stage: 0, step: 2, text: 'LABEL x=y', cached: true, ms: 0, key: key(2), ...at(2) },
    { stage: 0, step: 3, text: 'COPY a.txt /a.txt', cached: false, ms: 12, key: key(3), ...at(3) },
  ],
};

/** FROM bb / RUN echo a; echo b >&2; exit 3 — the output's last line unterminated. */
export const failing: BuildEvent[] = [
  { type: 'plan', total: 2, stages: [{ index: 0, steps: 2 }], skipped: [], warnings: [] },
  { type: 'step', stage: 0, step: 1, total: 2, text: 'FROM bb' },
  { type: 'done', stage: 0, step: 1, id: 'a54f39ee8752', cached: false, ms: 1 },
  { type: 'step', stage: 0, step: 2, total: 2, text: 'RUN echo a; echo b >&2; exit 3' },
  {
    type: 'miss',
    stage: 0,
    step: 2,
    key: key(2),
    explain: { reason: 'no-record', message: 'nothing comparable was found' },
  },
  { type: 'output', stage: 0, step: 2, stream: 'stdout', data: 'a\n' },
  { type: 'output', stage: 0, step: 2, stream: 'stderr', data: 'b' },
  {
    type: 'failed',
    stage: 0,
    step: 2,
    message: "The command '/bin/sh -c echo a; echo b >&2; exit 3' returned a non-zero code: 3",
    exitCode: 3,
    log: '/store/logs/step-2.log',
    tail: ['a', 'b'],
  },
];

/**
 * FROM bb AS a / RUN echo A1; sleep; echo A2 — FROM bb AS b / RUN echo B — FROM bb / COPY --from=a …
 * with stages a and b running at once, their events interleaved; stage 3 skipped.
 */
export const parallel: BuildEvent[] = [
  {
    type: 'plan',
    total: 6,
    stages: [
      { index: 0, name: 'a', steps: 2 },
      { index: 1, name: 'b', steps: 2 },
      { index: 2, steps: 2 },
    ],
    skipped: [{ index: 3, name: 'docs', reason: 'not needed by the target' }],
    warnings: [
      {
        rule: 'JSONArgsRecommended',
        message:
          'JSON arguments recommended for CMD to prevent unintended behavior related to OS signals',
        file: 'Dockerfile',
        line: 9,
        col: 1,
      },
    ],
  },
  { type: 'step', stage: 0, step: 1, total: 6, text: 'FROM bb AS a' },
  { type: 'step', stage: 1, step: 3, total: 6, text: 'FROM bb AS b' },
  { type: 'done', stage: 1, step: 3, id: 'a54f39ee8752', cached: false, ms: 1 },
  { type: 'done', stage: 0, step: 1, id: 'a54f39ee8752', cached: false, ms: 1 },
  { type: 'step', stage: 1, step: 4, total: 6, text: 'RUN echo B' },
  { type: 'step', stage: 0, step: 2, total: 6, text: 'RUN echo A1; sleep 1; echo A2' },
  { type: 'output', stage: 0, step: 2, stream: 'stdout', data: 'A1\n' },
  { type: 'output', stage: 1, step: 4, stream: 'stdout', data: 'B\n' },
  { type: 'done', stage: 1, step: 4, id: 'bbbbbbbbbbbb', cached: false, ms: 40 },
  { type: 'stage-done', stage: 1, id: 'bbbbbbbbbbbb' },
  { type: 'warning', message: '[Warning] One or more build-args [UNUSED] were not consumed' },
  { type: 'output', stage: 0, step: 2, stream: 'stdout', data: 'A2\n' },
  { type: 'done', stage: 0, step: 2, id: 'aaaaaaaaaaaa', cached: false, ms: 1010 },
  { type: 'stage-done', stage: 0, id: 'aaaaaaaaaaaa' },
  { type: 'step', stage: 2, step: 5, total: 6, text: 'FROM bb' },
  { type: 'cached', stage: 2, step: 5, key: key(5) },
  { type: 'done', stage: 2, step: 5, id: 'a54f39ee8752', cached: true, ms: 0 },
  { type: 'step', stage: 2, step: 6, total: 6, text: 'COPY --from=a /x /x' },
  { type: 'cached', stage: 2, step: 6, key: key(6) },
  { type: 'done', stage: 2, step: 6, id: 'cccccccccccc', cached: true, ms: 0 },
  { type: 'stage-done', stage: 2, id: 'cccccccccccc' },
  { type: 'result', id: ID, digest: DIGEST, tags: [] },
];

/** The error build() rejects with when a RUN fails (src/build/effects/run.ts). */
export function runFailed(): TsbuildError {
  return new TsbuildError(
    'RUN_FAILED',
    "The command '/bin/sh -c echo a; echo b >&2; exit 3' returned a non-zero code: 3",
    { exitCode: 3, log: '/store/logs/step-2.log', tail: ['a', 'b'] },
  );
}

function at(line: number): { file: string; line: number } {
  return { file: 'Dockerfile', line };
}
