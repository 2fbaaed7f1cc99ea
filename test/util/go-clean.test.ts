import { describe, expect, it } from 'vitest';
import { goClean } from '../../src/util/go-clean.js';

describe('goClean, Go filepath.Clean', () => {
  it.each([
    ['', '.'],
    ['.', '.'],
    ['/', '/'],
    ['//a//b/', '/a/b'],
    ['/data/', '/data'],
    ['./a//b/../c', 'a/c'],
    ['/..', '/'],
    ['/a/../../b', '/b'],
    ['../a', '../a'],
    ['a/../..', '..'],
    ['a/./b/.', 'a/b'],
  ])('%j → %j', (input, out) => {
    expect(goClean(input)).toBe(out);
  });
});
