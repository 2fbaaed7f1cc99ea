/** Cache keys are pure functions of their input; explanations are diffs of two inputs. */
import { describe, expect, it } from 'vitest';
import { argDigest, cacheKey, canonicalJson, KEY_VERSION } from '../../src/build/cachekey.js';
import { explainMiss, lineageOf, stepPlace } from '../../src/build/explain.js';

const P = `sha256:${'a'.repeat(64)}`;

describe('cacheKey', () => {
  it('is the same for the same input, whatever the key order', () => {
    const a = cacheKey({
      parent: P,
      text: 'RUN make',
      args: { A: argDigest('1'), B: argDigest('2') },
    });
    const b = cacheKey({
      args: { B: argDigest('2'), A: argDigest('1') },
      text: 'RUN make',
      parent: P,
    });
    expect(a.key).toBe(b.key);
    expect(a.key).toMatch(/^sha256:[a-f0-9]{64}$/);
  });

  it('changes with the parent, the text, an arg value and the sources digest', () => {
    const base = { parent: P, text: 'COPY . /', sources: { digest: 'sha256:1', count: 1 } };
    const keys = new Set([
      cacheKey(base).key,
      cacheKey({ ...base, parent: `sha256:${'b'.repeat(64)}` }).key,
      cacheKey({ ...base, text: 'COPY . /app' }).key,
      cacheKey({ ...base, args: { A: argDigest('x') } }).key,
      cacheKey({ ...base, sources: { digest: 'sha256:2', count: 1 } }).key,
    ]);
    expect(keys.size).toBe(5);
  });

  it('ignores the per-file list, which only explains', () => {
    const a = cacheKey({
      parent: P,
      text: 'COPY',
      sources: { digest: 'd', count: 1, files: { a: '1' } },
    });
    const b = cacheKey({ parent: P, text: 'COPY', sources: { digest: 'd', count: 1 } });
    expect(a.key).toBe(b.key);
  });

  it('keeps no arg value in the clear', () => {
    const { input } = cacheKey({ parent: P, text: 'RUN x', args: { TOKEN: argDigest('s3cret') } });
    expect(JSON.stringify(input)).not.toContain('s3cret');
  });

  it('is versioned', () => {
    expect(KEY_VERSION).toBe(2);
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: undefined }] })).toBe('{"a":[{"d":1}],"b":1}');
  });
});

describe('explainMiss', () => {
  it('names a changed instruction', () => {
    const e = explainMiss({ parent: P, text: 'RUN echo b' }, [{ parent: P, text: 'RUN echo a' }]);
    expect(e).toMatchObject({
      reason: 'instruction',
      message: 'instruction changed: RUN echo a → RUN echo b',
    });
  });

  it('names changed build args, without their values', () => {
    const e = explainMiss(
      { parent: P, text: 'RUN x', args: { V: argDigest('2'), W: argDigest('1') } },
      [{ parent: P, text: 'RUN x', args: { V: argDigest('1'), W: argDigest('1') } }],
    );
    expect(e).toEqual({ reason: 'build-args', message: 'build arg changed: V', args: ['V'] });
  });

  it('names the source files that changed, were added or removed', () => {
    const e = explainMiss(
      {
        parent: P,
        text: 'COPY . /',
        sources: { digest: 'n', count: 2, files: { 'a.js': '2', 'c.js': '1' } },
      },
      [
        {
          parent: P,
          text: 'COPY . /',
          sources: { digest: 'o', count: 2, files: { 'a.js': '1', 'b.js': '1' } },
        },
      ],
    );
    expect(e).toMatchObject({
      reason: 'sources',
      message: 'source files changed a.js; added c.js; removed b.js',
      files: { changed: ['a.js'], added: ['c.js'], removed: ['b.js'] },
    });
  });

  it('says "first build of this step" when this place has no record', () => {
    expect(explainMiss({ parent: P, text: 'RUN x' }, [])).toEqual({
      reason: 'first-build',
      message: 'first build of this step',
    });
  });

  it('says what the step is built on changed when only records of another parent exist', () => {
    const Q = `sha256:${'b'.repeat(64)}`;
    expect(explainMiss({ parent: P, text: 'RUN x' }, [{ parent: Q, text: 'RUN x' }])).toEqual({
      reason: 'new-parent',
      message: 'what this step is built on changed (bbbbbbbbbbbb → aaaaaaaaaaaa)',
    });
    expect(explainMiss({ parent: P, text: 'RUN y' }, [{ parent: Q, text: 'RUN x' }])).toEqual({
      reason: 'instruction',
      message:
        'instruction changed: RUN x → RUN y, built on another parent (bbbbbbbbbbbb → aaaaaaaaaaaa)',
    });
  });

  it('prefers a record of the same parent, the newest', () => {
    const Q = `sha256:${'b'.repeat(64)}`;
    const e = explainMiss({ parent: P, text: 'RUN c' }, [
      { parent: P, text: 'RUN a' },
      { parent: P, text: 'RUN b' },
      { parent: Q, text: 'RUN z' },
    ]);
    expect(e.message).toBe('instruction changed: RUN b → RUN c');
  });

  it('places: one per Dockerfile lineage, stage and position', () => {
    const l = lineageOf('/ctx', 'Dockerfile');
    expect(lineageOf('/ctx', 'Dockerfile')).toBe(l);
    const places = new Set([
      stepPlace(l, 'build', 0),
      stepPlace(l, 'build', 1),
      stepPlace(l, '0', 0),
      stepPlace(lineageOf('/ctx', 'other.Dockerfile'), 'build', 0),
      stepPlace(lineageOf('/other', 'Dockerfile'), 'build', 0),
    ]);
    expect(places.size).toBe(5);
  });
});
