/**
 * The classic display, fed recorded events, prints what docker 20.10's classic
 * builder prints for the same build — minus the lines about containers, which
 * tsbuild does not have.
 */
import { describe, expect, it } from 'vitest';
import { ClassicProgress } from '../../../src/cli/progress/classic.js';
import type { ProgressOptions } from '../../../src/cli/progress/progress.js';
import { collector } from '../../helpers/streams.js';
import { failing, oneStage, oneStageResult, parallel, runFailed } from './events.js';

/**
 * `DOCKER_BUILDKIT=0 docker build --network=none -t myimg -t foo/bar:1 -t localhost:5000/x .`
 * on a docker 20.10.24 engine, the RUN's stderr in docker's red as it sent it.
 */
const DOCKER_STDOUT = `Sending build context to Docker daemon  3.072kB
Step 1/5 : FROM bb
 ---> a54f39ee8752
Step 2/5 : LABEL x=y
 ---> Using cache
 ---> 8e53cab9ea08
Step 3/5 : COPY a.txt /a.txt
 ---> 0f757db09e5f
Step 4/5 : RUN echo out1 && echo err1 >&2 && echo out2
 ---> Running in 19c3b7cc31b3
out1
out2
\x1b[91merr1
\x1b[0mRemoving intermediate container 19c3b7cc31b3
 ---> 635d1ab64cfb
Step 5/5 : ENV A=b
 ---> Running in ef0edd7f9a1d
Removing intermediate container ef0edd7f9a1d
 ---> 5b61e2b9ec81
Successfully built 5b61e2b9ec81
Successfully tagged myimg:latest
Successfully tagged foo/bar:1
Successfully tagged localhost:5000/x:latest
`;

function play(
  events: Parameters<ClassicProgress['onEvent']>[0][],
  opts: Partial<ProgressOptions> = {},
) {
  const out = collector();
  const err = collector();
  const p = new ClassicProgress({ stdout: out.stream, stderr: err.stream, ...opts });
  for (const e of events) p.onEvent(e);
  return { p, out, err };
}

describe('classic progress', () => {
  it("prints docker classic's lines, without its container lines", () => {
    const { p, out, err } = play(oneStage, { color: true });
    p.end({ result: oneStageResult });
    const docker = DOCKER_STDOUT.replace(/^Sending build context.*\n/m, '')
      .replace(/^ ---> Running in \w+\n/gm, '')
      .replace(/Removing intermediate container \w+\n/g, '');
    expect(out.text()).toBe(docker);
    expect(err.text()).toBe('');
  });

  it('leaves RUN stderr uncoloured when stdout is not a terminal', () => {
    const { out } = play(oneStage);
    expect(out.text()).toContain('out2\nerr1\n ---> 635d1ab64cfb\n');
    expect(out.text()).not.toContain('\x1b');
  });

  it('says why each step missed with --explain-cache, files listed', () => {
    const { out } = play(oneStage, { explainCache: true });
    expect(out.text()).toContain(
      'Step 3/5 : COPY a.txt /a.txt\n' +
        ' ---> cache miss: sources changed: 1 file\n' +
        '      changed: a.txt\n' +
        ' ---> 0f757db09e5f\n' +
        'Step 4/5 : RUN echo out1 && echo err1 >&2 && echo out2\n' +
        ' ---> cache miss: an earlier step of this stage ran\n' +
        'out1\n',
    );
  });

  it('lists at most ten files, then how many more', () => {
    const changed = Array.from({ length: 13 }, (_, i) => `f${i}`);
    const { out } = play(
      [
        { type: 'step', stage: 0, step: 1, total: 1, text: 'COPY . /' },
        {
          type: 'miss',
          stage: 0,
          step: 1,
          key: 'k',
          explain: {
            reason: 'sources',
            message: 'sources changed: 14 files',
            files: { changed, added: ['new'], removed: [] },
          },
        },
      ],
      { explainCache: true },
    );
    const lines = out.text().split('\n');
    expect(lines.slice(1, 13)).toEqual([
      ' ---> cache miss: sources changed: 14 files',
      ...changed.slice(0, 10).map((f) => `      changed: ${f}`),
      '      and 4 more',
    ]);
  });

  it('on a failure ends the output line, then prints the tail, exit code and log on stderr', () => {
    const { p, out, err } = play(failing);
    p.end({ error: new Error('failed') });
    expect(out.text()).toBe(
      'Step 1/2 : FROM bb\n ---> a54f39ee8752\nStep 2/2 : RUN echo a; echo b >&2; exit 3\na\nb\n',
    );
    expect(err.text()).toBe(
      '------\n' +
        ' > Step 2/2 : RUN echo a; echo b >&2; exit 3:\n' +
        'a\nb\n' +
        '------\n' +
        'exit code: 3\n' +
        'full log: /store/logs/step-2.log\n',
    );
  });

  it('takes the tail from the error when build() sent no failed event', () => {
    const { p, out, err } = play(failing.filter((e) => e.type !== 'failed'));
    p.end({ error: runFailed() });
    expect(out.text()).toBe(
      'Step 1/2 : FROM bb\n ---> a54f39ee8752\nStep 2/2 : RUN echo a; echo b >&2; exit 3\na\nb\n',
    );
    expect(err.text()).toBe(
      '------\n > Step 2/2 : RUN echo a; echo b >&2; exit 3:\na\nb\n------\nexit code: 3\nfull log: /store/logs/step-2.log\n',
    );
  });

  it('prints nothing more for an error that is not a failed RUN', () => {
    const { p, err } = play(failing.filter((e) => e.type !== 'failed'));
    p.end({ error: new Error('COPY failed') });
    expect(err.text()).toBe('');
  });

  it('shows stages built at once one after the other, warnings and skipped stages on stderr', () => {
    const { p, out, err } = play(parallel);
    p.end({ result: { ...oneStageResult, tags: [] } });
    expect(out.text()).toBe(
      [
        'Step 1/6 : FROM bb AS a',
        ' ---> a54f39ee8752',
        'Step 2/6 : RUN echo A1; sleep 1; echo A2',
        'A1',
        'A2',
        ' ---> aaaaaaaaaaaa',
        'Step 3/6 : FROM bb AS b',
        ' ---> a54f39ee8752',
        'Step 4/6 : RUN echo B',
        'B',
        ' ---> bbbbbbbbbbbb',
        'Step 5/6 : FROM bb',
        ' ---> Using cache',
        ' ---> a54f39ee8752',
        'Step 6/6 : COPY --from=a /x /x',
        ' ---> Using cache',
        ' ---> cccccccccccc',
        'Successfully built 5b61e2b9ec81',
        '',
      ].join('\n'),
    );
    expect(err.text()).toBe(
      'warning: Dockerfile:9:1: JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals\n' +
        'skipped stage docs: not needed by the target\n' +
        '[Warning] One or more build-args [UNUSED] were not consumed\n',
    );
  });

  it("prints a waiting stage's lines as soon as the stage in front ends", () => {
    const { out } = play(parallel.slice(0, 15)); // up to stage a's stage-done
    expect(out.text()).toMatch(
      / ---> aaaaaaaaaaaa\nStep 3\/6 : FROM bb AS b\n[^]* ---> bbbbbbbbbbbb\n$/,
    );
  });

  it('on an error prints what other stages had so far', () => {
    const { p, out } = play(parallel.slice(0, 10)); // stage b done, stage a still running
    expect(out.text()).not.toContain('RUN echo B');
    p.end({ error: new Error('interrupted') });
    expect(out.text()).toContain('Step 4/6 : RUN echo B\nB\n ---> bbbbbbbbbbbb\n');
  });

  it('prints the result from build() when no result event came', () => {
    const { p, out } = play([]);
    p.end({ result: oneStageResult });
    expect(out.text()).toBe(
      'Successfully built 5b61e2b9ec81\nSuccessfully tagged myimg:latest\nSuccessfully tagged foo/bar:1\nSuccessfully tagged localhost:5000/x:latest\n',
    );
  });
});
