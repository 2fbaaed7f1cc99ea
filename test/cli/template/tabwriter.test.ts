/**
 * The elastic tabstops of Go's text/tabwriter, which Docker's tables use with
 * minwidth 10 and padding 3 (fixtures.test.ts checks those against Docker).
 * Here the algorithm itself, with the example from Go's package docs.
 */
import { describe, expect, it } from 'vitest';
import { displayWidth, TabWriter } from '../../../src/cli/template/tabwriter.js';

function tabwrite(text: string, minwidth = 10, padding = 3): string {
  const w = new TabWriter(minwidth, padding);
  w.write(text);
  return w.flush();
}

describe('TabWriter', () => {
  it.each([
    ['a cell is padded to minwidth', 'a\tb\n', 'a         b\n'],
    [
      'the widest cell plus padding sets the column',
      'abcdefghijk\tb\nc\td\n',
      'abcdefghijk   b\nc             d\n',
    ],
    ['text after the last tab is not padded', 'a\tb\naa\tbb\n', 'a         b\naa        bb\n'],
    ['an empty cell is padded too', '\tb\nxx\t\n', '          b\nxx        \n'],
    ['unterminated text is written at flush', 'a\tb', 'a         b'],
    [
      'a line without tabs ends the column',
      'a\tb\nno tabs here at all\nccccccccccccc\td\n',
      'a         b\nno tabs here at all\nccccccccccccc   d\n',
    ],
    [
      'a form feed ends every column, as a newline',
      'a\tb\fcccccccccccc\td\n',
      'a         b\ncccccccccccc   d\n',
    ],
    ['a vertical tab ends a cell as a tab does', 'a\vb\n', 'a         b\n'],
  ])('%s', (_what, input, want) => expect(tabwrite(input)).toBe(want));

  it("aligns the example in Go's package documentation", () => {
    // Cells are tab-terminated: b and c are in different columns, d and e in none.
    const input = 'aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n';
    expect(tabwrite(input, 0, 1)).toBe('aaaa bbb d\naa   b   dd\na    \naa   cccc eee\n');
  });

  it('is the same written at once or piece by piece', () => {
    const w = new TabWriter(10, 3);
    for (const piece of ['REPO', 'SITORY\tT', 'AG\nalp', 'ine\t3.19\n']) w.write(piece);
    expect(w.flush()).toBe(tabwrite('REPOSITORY\tTAG\nalpine\t3.19\n'));
  });
});

describe('displayWidth', () => {
  it.each([
    ['abc', 3],
    ['一二三', 6],
    ['é', 1],
    ['e\u0301', 1],
    ['\u{1F600}', 2],
    ['ｶﾀｶﾅ', 4],
    ['ＡＢ', 4],
    ['', 0],
  ])('%j is %i columns', (s, n) => expect(displayWidth(s)).toBe(n));
});
