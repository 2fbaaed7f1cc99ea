/** eachConcurrently: every index once, never more than the limit at a time, the first failure. */
import { describe, expect, it } from 'vitest';
import { eachConcurrently } from '../../src/util/concurrent.js';

describe('eachConcurrently', () => {
  it('runs each index once with at most `limit` running, results in place', async () => {
    let running = 0;
    let most = 0;
    const out: number[] = new Array(10);
    await eachConcurrently(10, 3, async (i) => {
      most = Math.max(most, ++running);
      await new Promise((r) => setImmediate(r));
      out[i] = i * i;
      running--;
    });
    expect(out).toEqual([0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    expect(most).toBe(3);
  });

  it('rejects with the first failure; nothing to do is done at once', async () => {
    await expect(
      eachConcurrently(5, 2, async (i) => {
        if (i === 2) throw new Error('two');
      }),
    ).rejects.toThrow('two');
    await expect(eachConcurrently(0, 4, async () => {})).resolves.toBeUndefined();
  });
});
