import { describe, expect, it } from 'vitest';
import { configBytes, scratchState, type StageState } from '../../src/build/state.js';
import { resultId, stepResult } from '../../src/build/step-result.js';
import type { Plan } from '../../src/build/instructions/index.js';
import { sha256 } from '../../src/util/digest.js';

const P = `sha256:${'0'.repeat(64)}`;
const K = `sha256:${'1'.repeat(64)}`;
const L = {
  mediaType: 'application/vnd.oci.image.layer.v1.tar',
  digest: `sha256:${'2'.repeat(64)}`,
  size: 3,
};
const T = '2024-05-01T12:00:00Z';
const start: StageState = { ...scratchState({ os: 'linux', architecture: 'amd64' }), id: P };

describe('stepResult', () => {
  it('adds the history entry, the diff ID and the time to the config, as BuildKit writes them', () => {
    const plan: Plan = {
      config: { ...start.config.config, User: 'app' },
      author: 'me',
      history: 'RUN make # buildkit',
      key: 'RUN ["make"]',
    };
    const s = stepResult(start, plan, { key: K, layer: L, created: T });
    expect(s.config).toEqual({
      ...start.config,
      created: T,
      author: 'me',
      config: plan.config,
      history: [
        { created: T, created_by: 'RUN make # buildkit', comment: 'buildkit.dockerfile.v0' },
      ],
      rootfs: { type: 'layers', diff_ids: [L.digest] },
    });
    expect(s.layers).toEqual([L]);
    expect(s.id).toBe(resultId({ key: K, layer: L, created: T }));
  });

  it('marks a step without a layer empty_layer, and ONBUILD (no history) adds no entry', () => {
    const env: Plan = { config: start.config.config!, history: 'ENV A=1', key: 'ENV A=1' };
    const a = stepResult(start, env, { key: K, layer: undefined, created: T });
    expect(a.config.history).toEqual([
      { created: T, created_by: 'ENV A=1', comment: 'buildkit.dockerfile.v0', empty_layer: true },
    ]);
    expect(a.layers).toEqual([]);
    const onbuild: Plan = { config: start.config.config!, history: undefined, key: 'ONBUILD X' };
    expect(stepResult(a, onbuild, { key: K, layer: undefined, created: T }).config.history).toEqual(
      a.config.history,
    );
  });

  it('is a pure function of its inputs: the same bytes twice', () => {
    const plan: Plan = { config: start.config.config!, history: 'ENV A=1', key: 'ENV A=1' };
    const made = { key: K, layer: undefined, created: T };
    expect(configBytes(stepResult(start, plan, made).config)).toEqual(
      configBytes(stepResult(start, plan, made).config),
    );
  });
});

describe('resultId', () => {
  it('changes with the layer and the time a rerun of the same key made', () => {
    const base = resultId({ key: K, layer: L, created: T });
    expect(resultId({ key: K, layer: undefined, created: T })).not.toBe(base);
    expect(resultId({ key: K, layer: { ...L, digest: sha256('other') }, created: T })).not.toBe(
      base,
    );
    expect(resultId({ key: K, layer: L, created: '2024-05-01T12:00:01Z' })).not.toBe(base);
    expect(resultId({ key: K, layer: L, created: T })).toBe(base);
  });
});
