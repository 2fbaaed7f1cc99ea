/** The json display: each event as one line on stdout, with the time it was seen. */
import { describe, expect, it } from 'vitest';
import { JsonProgress } from '../../../src/cli/progress/json.js';
import { collector } from '../../helpers/streams.js';
import { failing, oneStage, oneStageResult } from './events.js';

const T0 = Date.parse('2026-11-30T04:00:00.000Z');

function clock() {
  let t = T0;
  return () => (t += 250);
}

describe('json progress', () => {
  it('writes each event, unchanged, with a time field, one per line', () => {
    const out = collector();
    const err = collector();
    const p = new JsonProgress({ stdout: out.stream, stderr: err.stream, now: clock() });
    for (const e of failing) p.onEvent(e);
    p.end({ error: new Error('failed') });
    const lines = out.text().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(failing.length);
    expect(lines[0]).toBe(
      '{"type":"plan","total":2,"stages":[{"index":0,"steps":2}],"skipped":[],"warnings":[],"time":"2026-11-30T04:00:00.250Z"}',
    );
    expect(lines[4]).toBe(
      '{"type":"miss","stage":0,"step":2,"key":"sha256:2222222222222222222222222222222222222222222222222222222222222222","explain":{"reason":"no-record","message":"nothing comparable was found"},"time":"2026-11-30T04:00:01.250Z"}',
    );
    expect(lines[6]).toBe(
      '{"type":"output","stage":0,"step":2,"stream":"stderr","data":"b","time":"2026-11-30T04:00:01.750Z"}',
    );
    expect(lines.map((l) => JSON.parse(l))).toEqual(
      failing.map((e, i) => ({ ...e, time: new Date(T0 + 250 * (i + 1)).toISOString() })),
    );
    expect(err.text()).toBe('');
  });

  it('carries the cache explanation of a miss without --explain-cache', () => {
    const out = collector();
    const p = new JsonProgress({ stdout: out.stream, stderr: collector().stream });
    for (const e of oneStage) p.onEvent(e);
    const misses = out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === 'miss');
    expect(misses.map((e) => e.explain.reason)).toEqual(['sources', 'after-miss', 'after-miss']);
    expect(misses[0].explain.files).toEqual({ added: [], removed: [], changed: ['a.txt'] });
  });

  it("ends with a result line made from build()'s result when no result event came", () => {
    const out = collector();
    const p = new JsonProgress({ stdout: out.stream, stderr: collector().stream, now: () => T0 });
    p.end({ result: oneStageResult });
    expect(out.text()).toBe(
      `{"type":"result","id":"${oneStageResult.id}","digest":"${oneStageResult.digest}","tags":["myimg","foo/bar:1","localhost:5000/x"],"time":"2026-11-30T04:00:00.000Z"}\n`,
    );
  });

  it('does not repeat a result that came as an event', () => {
    const out = collector();
    const p = new JsonProgress({ stdout: out.stream, stderr: collector().stream });
    for (const e of oneStage) p.onEvent(e);
    p.end({ result: oneStageResult });
    expect(out.text().match(/"type":"result"/g)).toHaveLength(1);
  });
});
