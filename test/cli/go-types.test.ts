/**
 * Go's Duration.String and Time.String, as the docker CLI's templates print a
 * HEALTHCHECK's durations and an image's LastTagTime. Expected values are what
 * Go prints (time.Duration(n).String(), time.Time.String()).
 */
import { describe, expect, it } from 'vitest';
import { durationString, goDuration, goTime } from '../../src/cli/go-types.js';

describe('time.Duration', () => {
  it.each([
    [0n, '0s'],
    [1n, '1ns'],
    [999n, '999ns'],
    [1_100n, '1.1µs'],
    [2_200_000n, '2.2ms'],
    [100_000_000n, '100ms'],
    [1_000_000_000n, '1s'],
    [1_500_000_000n, '1.5s'],
    [90_000_000_000n, '1m30s'],
    [3_600_000_000_000n, '1h0m0s'],
    [7_201_000_000_000n, '2h0m1s'],
    [3_661_000_000_001n, '1h1m1.000000001s'],
    [-1_500_000_000n, '-1.5s'],
    [9_223_372_036_854_775_807n, '2562047h47m16.854775807s'],
  ])('%s ns is %s', (ns, text) => {
    expect(durationString(ns)).toBe(text);
  });

  it('encodes as its number of nanoseconds', () => {
    const d = goDuration(5_000_000_000);
    expect([d.text, JSON.stringify({ d })]).toEqual(['5s', '{"d":5000000000}']);
  });
});

describe('time.Time', () => {
  it.each([
    ['0001-01-01T00:00:00Z', '0001-01-01 00:00:00 +0000 UTC'],
    ['2026-12-06T22:50:38.608Z', '2026-12-06 22:50:38.608 +0000 UTC'],
    ['2026-12-06T22:50:34.157722677Z', '2026-12-06 22:50:34.157722677 +0000 UTC'],
    ['2026-12-06T22:50:34.100Z', '2026-12-06 22:50:34.1 +0000 UTC'],
    ['2026-12-06T23:50:34+01:00', '2026-12-06 23:50:34 +0100 +0100'],
  ])('%s prints as %s', (rfc3339, text) => {
    const t = goTime(rfc3339);
    expect([t.text, t.json]).toEqual([text, rfc3339]);
  });
});
