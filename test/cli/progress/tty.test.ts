/**
 * The live view: its final frame for recorded builds, its redraws bounded to
 * ten a second, each redraw moving up over exactly the frame before it, and no
 * line wider than the terminal (a wrapped line would break the redraw).
 */
/* eslint-disable no-control-regex -- frames are read by their ANSI cursor escapes */
import { describe, expect, it } from 'vitest';
import type { BuildEvent } from '../../../src/api/build-types.js';
import { TtyProgress } from '../../../src/cli/progress/tty.js';
import { collector } from '../../helpers/streams.js';
import { failing, oneStage, oneStageResult, parallel, runFailed } from './events.js';

/** A terminal-sized stderr. */
function terminal(columns: number, rows?: number) {
  const c = collector();
  Object.assign(c.stream, { isTTY: true, columns, rows });
  return c;
}

/** The frames written, each without its cursor movement, and the count of lines each moved up over. */
function frames(text: string): { up: number; lines: string[] }[] {
  return text
    .split(/(?=\x1b\[\d+F)/)
    .filter((f) => f !== '')
    .map((f) => {
      const up = /^\x1b\[(\d+)F/.exec(f);
      const body = f.replace(/^\x1b\[\d+F/, '').replace(/\x1b\[J[^]*$/, '');
      return { up: up ? Number(up[1]) : 0, lines: body.split('\x1b[K\n').slice(0, -1) };
    })
    .filter((f) => f.lines.length > 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const W = 100;
const row = (left: string, time: string) => `${left.padEnd(W - time.length - 1)} ${time}`;

/** Feed events with the clock moved on by `step` ms before each. */
function play(p: TtyProgress, events: BuildEvent[], clock: { t: number }, step = 100) {
  for (const e of events) {
    clock.t += step;
    p.onEvent(e);
  }
}

describe('tty progress', () => {
  it('ends with a final frame of every step, its state and time, and what was named', () => {
    const err = terminal(W);
    const out = collector();
    const clock = { t: 0 };
    const p = new TtyProgress({ stdout: out.stream, stderr: err.stream, now: () => clock.t });
    play(p, oneStage, clock);
    p.end({ result: oneStageResult });
    const last = frames(err.text()).at(-1)!;
    expect(last.lines).toEqual([
      '[+] Building 2.0s (5/5) FINISHED',
      row(' => DONE [1/5] FROM bb', '0.0s'),
      row(' => CACHED [2/5] LABEL x=y', '0.0s'),
      row(' => DONE [3/5] COPY a.txt /a.txt', '0.0s'),
      row(' => DONE [4/5] RUN echo out1 && echo err1 >&2 && echo out2', '1.2s'),
      row(' => DONE [5/5] ENV A=b', '0.0s'),
      ` => => writing image ${oneStageResult.id}`,
      ' => => naming to docker.io/library/myimg:latest',
      ' => => naming to docker.io/foo/bar:1',
      ' => => naming to localhost:5000/x:latest',
    ]);
    expect(err.text().endsWith('\x1b[J')).toBe(true);
    expect(out.text()).toBe('');
  });

  it('shows ERROR, then the tail, exit code and log under the final frame', () => {
    const err = terminal(W);
    const clock = { t: 0 };
    const p = new TtyProgress({
      stdout: collector().stream,
      stderr: err.stream,
      now: () => clock.t,
    });
    play(p, failing, clock);
    clock.t += 100;
    p.end({ error: new Error('failed') });
    const last = frames(err.text()).at(-1)!;
    expect(last.lines).toEqual([
      '[+] Building 0.9s (1/2)',
      row(' => DONE [1/2] FROM bb', '0.0s'),
      row(' => ERROR [2/2] RUN echo a; echo b >&2; exit 3', '0.4s'),
    ]);
    expect(err.text().slice(err.text().lastIndexOf('\x1b[J') + 3)).toBe(
      '------\n > [2/2] RUN echo a; echo b >&2; exit 3:\na\nb\n------\nexit code: 3\nfull log: /store/logs/step-2.log\n',
    );
  });

  it('marks the last started step ERROR from the error when no failed event came, others CANCELED', () => {
    const err = terminal(W);
    const clock = { t: 0 };
    const p = new TtyProgress({
      stdout: collector().stream,
      stderr: err.stream,
      now: () => clock.t,
    });
    play(p, parallel.slice(0, 7), clock); // stage a's RUN started last, stage b's RUN running
    play(
      p,
      failing.slice(5, 7).map((e) => ({ ...e, step: 2 }) as BuildEvent),
      clock,
    );
    clock.t += 100;
    p.end({ error: runFailed() });
    const text = err.text();
    expect(frames(text).at(-1)!.lines).toEqual([
      '[+] Building 1.0s (2/6)',
      row(' => DONE [a 1/2] FROM bb AS a', '0.0s'),
      row(' => DONE [b 1/2] FROM bb AS b', '0.0s'),
      row(' => CANCELED [b 2/2] RUN echo B', '0.4s'),
      row(' => ERROR [a 2/2] RUN echo A1; sleep 1; echo A2', '0.3s'),
    ]);
    expect(text.slice(text.lastIndexOf('\x1b[J') + 3)).toBe(
      'warning: Dockerfile:9:1: JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals\n' +
        'skipped stage docs: not needed by the target\n' +
        '------\n > [a 2/2] RUN echo A1; sleep 1; echo A2:\na\nb\n------\nexit code: 3\nfull log: /store/logs/step-2.log\n',
    );
  });

  it('numbers ONBUILD triggers within their stage, as the plan counts them', () => {
    const err = terminal(W);
    const clock = { t: 0 };
    const p = new TtyProgress({
      stdout: collector().stream,
      stderr: err.stream,
      now: () => clock.t,
    });
    play(
      p,
      [
        { type: 'plan', total: 3, stages: [{ index: 0, steps: 3 }], skipped: [], warnings: [] },
        { type: 'step', stage: 0, step: 1, total: 3, text: 'FROM parent' },
        { type: 'done', stage: 0, step: 1, id: 'c2a77e7ececd', cached: false, ms: 0 },
        { type: 'step', stage: 0, step: 2, total: 3, text: 'RUN echo trig1', onbuild: true },
        { type: 'done', stage: 0, step: 2, id: 'd3021128a48a', cached: false, ms: 300 },
        { type: 'step', stage: 0, step: 3, total: 3, text: 'RUN echo child' },
        { type: 'done', stage: 0, step: 3, id: '85398740d46d', cached: false, ms: 200 },
      ],
      clock,
    );
    p.end({ error: new Error('stop') });
    expect(frames(err.text()).at(-1)!.lines.slice(1)).toEqual([
      row(' => DONE [1/3] FROM parent', '0.0s'),
      row(' => DONE [2/3] ONBUILD RUN echo trig1', '0.3s'),
      row(' => DONE [3/3] RUN echo child', '0.2s'),
    ]);
  });

  it('keeps a heredoc step on one line', () => {
    const err = terminal(W);
    const p = new TtyProgress({ stdout: collector().stream, stderr: err.stream, now: () => 0 });
    p.onEvent({
      type: 'step',
      stage: 0,
      step: 1,
      total: 1,
      text: 'RUN <<EOF\necho a\n  echo b\nEOF',
    });
    p.end({ error: new Error('stop') });
    expect(frames(err.text()).at(-1)!.lines[1]).toBe(
      row(' => CANCELED [1/1] RUN <<EOF echo a echo b EOF', '0.0s'),
    );
  });

  it('counts wide characters as two columns, so a line of them never wraps', () => {
    const err = terminal(30);
    const p = new TtyProgress({ stdout: collector().stream, stderr: err.stream, now: () => 0 });
    p.onEvent({
      type: 'step',
      stage: 0,
      step: 1,
      total: 1,
      text: 'RUN echo 日本語のテキスト✨✨✨',
    });
    p.end({ error: new Error('stop') });
    const line = frames(err.text()).at(-1)!.lines[1]!;
    expect(line).toBe(' => CANCELED [1/1] RUN... 0.0s');
    const err2 = terminal(30);
    const p2 = new TtyProgress({ stdout: collector().stream, stderr: err2.stream, now: () => 0 });
    p2.onEvent({ type: 'step', stage: 0, step: 1, total: 1, text: '日本語のテキスト' });
    p2.end({ error: new Error('stop') });
    // 19 columns, 日 (2), '...' (3), one space of padding: 25, then the time.
    expect(frames(err2.text()).at(-1)!.lines[1]).toBe(' => CANCELED [1/1] 日...  0.0s');
  });

  it('writes nothing for a build that failed before its first event', () => {
    const err = terminal(W);
    const p = new TtyProgress({ stdout: collector().stream, stderr: err.stream });
    p.end({ error: new Error('context not found') });
    expect(err.text()).toBe('');
  });

  it('names stages in a multi-stage build and prints warnings and explanations after the frame', () => {
    const err = terminal(W);
    const clock = { t: 0 };
    const p = new TtyProgress({
      stdout: collector().stream,
      stderr: err.stream,
      now: () => clock.t,
      explainCache: true,
    });
    play(p, parallel, clock, 10);
    p.onEvent({
      type: 'miss',
      stage: 1,
      step: 4,
      key: 'k',
      explain: { reason: 'instruction', message: 'instruction changed: RUN echo b → RUN echo B' },
    });
    p.end({ result: { ...oneStageResult, tags: [] } });
    const text = err.text();
    expect(frames(text).at(-1)!.lines.slice(1, 7)).toEqual([
      row(' => DONE [a 1/2] FROM bb AS a', '0.0s'),
      row(' => DONE [b 1/2] FROM bb AS b', '0.0s'),
      row(' => DONE [b 2/2] RUN echo B', '0.0s'),
      row(' => DONE [a 2/2] RUN echo A1; sleep 1; echo A2', '1.0s'),
      row(' => CACHED [stage-2 1/2] FROM bb', '0.0s'),
      row(' => CACHED [stage-2 2/2] COPY --from=a /x /x', '0.0s'),
    ]);
    expect(text.slice(text.lastIndexOf('\x1b[J') + 3)).toBe(
      'warning: Dockerfile:9:1: JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals\n' +
        'skipped stage docs: not needed by the target\n' +
        '[Warning] One or more build-args [UNUSED] were not consumed\n' +
        '[b 2/2] RUN echo B\n' +
        ' ---> cache miss: instruction changed: RUN echo b → RUN echo B\n',
    );
  });

  it("shows a running step's last output lines under it, cleaned of escapes and carriage returns", async () => {
    const err = terminal(60);
    const clock = { t: 0 };
    const p = new TtyProgress({
      stdout: collector().stream,
      stderr: err.stream,
      now: () => clock.t,
      interval: 5,
    });
    play(p, oneStage.slice(0, 10), clock); // step 4 has started
    const lines = Array.from({ length: 8 }, (_, i) => `line ${i}\n`).join('');
    p.onEvent({ type: 'output', stage: 0, step: 4, stream: 'stdout', data: lines });
    p.onEvent({
      type: 'output',
      stage: 0,
      step: 4,
      stream: 'stderr',
      data: '\x1b[1mbold\x1b[0m 10%\r20%\r30%',
    });
    clock.t += 700;
    await sleep(40);
    const frame = frames(err.text()).at(-1)!;
    p.end({ error: new Error('stop') });
    expect(frame.lines.slice(-7)).toEqual([
      `${' => [4/5] RUN echo out1 && echo err1 >&2 && echo out2'.padEnd(55)} 0.7s`,
      ' => => # line 3',
      ' => => # line 4',
      ' => => # line 5',
      ' => => # line 6',
      ' => => # line 7',
      ' => => # 30%',
    ]);
    expect(frame.lines[0]).toBe('[+] Building 1.7s (3/5)');
  });

  it('redraws at most ten times a second, each time over exactly the frame before', async () => {
    const err = terminal(80);
    const p = new TtyProgress({ stdout: collector().stream, stderr: err.stream });
    const started = Date.now();
    play(p, oneStage.slice(0, 10), { t: 0 });
    for (let i = 0; i < 60; i++) {
      for (let j = 0; j < 50; j++)
        p.onEvent({ type: 'output', stage: 0, step: 4, stream: 'stdout', data: `${i}.${j}\n` });
      await sleep(5);
    }
    p.end({ result: oneStageResult });
    const elapsed = Date.now() - started;
    const all = frames(err.text());
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(all.length).toBeLessThanOrEqual(Math.floor(elapsed / 100) + 2);
    for (let i = 1; i < all.length; i++) expect(all[i]!.up).toBe(all[i - 1]!.lines.length);
  });

  it('keeps live frames within the terminal, and stops drawing once ended', async () => {
    const err = terminal(40, 5);
    const p = new TtyProgress({ stdout: collector().stream, stderr: err.stream, interval: 5 });
    play(p, oneStage.slice(0, 10), { t: 0 });
    p.onEvent({
      type: 'output',
      stage: 0,
      step: 4,
      stream: 'stdout',
      data: 'x'.repeat(200) + '\n',
    });
    await sleep(40);
    p.end({ result: oneStageResult });
    const all = frames(err.text());
    const live = all.slice(0, -1);
    expect(live.length).toBeGreaterThan(0);
    for (const f of live) expect(f.lines.length).toBeLessThanOrEqual(4);
    for (const f of all) for (const l of f.lines) expect(l.length).toBeLessThanOrEqual(40);
    expect(all.at(-1)!.lines).toHaveLength(9); // the last frame is whole: header, 4 steps, 4 names
    const size = err.text().length;
    await sleep(30);
    expect(err.text().length).toBe(size);
  });
});
