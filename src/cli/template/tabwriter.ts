/**
 * Go's text/tabwriter (elastic tabstops) as the Docker CLI's fork of it runs
 * for tables: `NewWriter(out, 10, 1, 3, ' ', 0)`, i.e. cells are at least 10
 * columns wide including 3 columns of padding, padded with spaces, widths
 * counted in terminal columns (an East Asian wide character counts 2).
 *
 * A cell is text ended by a tab; the text after a line's last tab is not part
 * of any column and is never padded. Consecutive lines with a cell in the
 * same column form a block that shares that column's width.
 */

interface Cell {
  text: string;
  width: number;
  htab: boolean;
}

/** [from, to] code point ranges that take two terminal columns. */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x23f0, 0x23f0],
  [0x23f3, 0x23f3],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x267f, 0x267f],
  [0x2693, 0x2693],
  [0x26a1, 0x26a1],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x26ce, 0x26ce],
  [0x26d4, 0x26d4],
  [0x26ea, 0x26ea],
  [0x26f2, 0x26f5],
  [0x26fa, 0x26fd],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x2728, 0x2728],
  [0x274c, 0x274e],
  [0x2753, 0x2757],
  [0x2795, 0x2797],
  [0x27b0, 0x27bf],
  [0x2b1b, 0x2b1c],
  [0x2b50, 0x2b55],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x16fe0, 0x16fe4],
  [0x17000, 0x18aff],
  [0x1b000, 0x1b2ff],
  [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a],
  [0x1f200, 0x1f251],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f900, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x3fffd],
];

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cc}\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]$/u;

/** Terminal columns of a string, as go-runewidth's StringWidth counts them. */
export function displayWidth(s: string): number {
  let width = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ZERO_WIDTH.test(ch)) continue;
    width += WIDE.some(([lo, hi]) => cp >= lo && cp <= hi) ? 2 : 1;
  }
  return width;
}

export class TabWriter {
  private lines: Cell[][] = [[]];
  private cell = '';
  private widths: number[] = [];
  private out: string[] = [];

  /** minwidth: a column's least width, padding included; padding: added to the widest cell. */
  constructor(
    private readonly minwidth: number,
    private readonly padding: number,
  ) {}

  write(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch !== '\t' && ch !== '\v' && ch !== '\n' && ch !== '\f') continue;
      this.cell += text.slice(start, i);
      start = i + 1;
      this.terminateCell(ch === '\t');
      if (ch === '\n' || ch === '\f') {
        this.lines.push([]);
        // A form feed ends every column, as a flush does.
        if (ch === '\f') this.formatAll();
      }
    }
    this.cell += text.slice(start);
  }

  /** Everything written so far, aligned; the writer is empty afterwards. */
  flush(): string {
    if (this.cell.length > 0) this.terminateCell(false);
    this.formatAll();
    const text = this.out.join('');
    this.out = [];
    return text;
  }

  private terminateCell(htab: boolean): void {
    const line = this.lines[this.lines.length - 1] as Cell[];
    line.push({ text: this.cell, width: displayWidth(this.cell), htab });
    this.cell = '';
  }

  private formatAll(): void {
    this.format(0, this.lines.length);
    this.lines = [[]];
    this.widths = [];
  }

  private cellsIn(line: number): number {
    return (this.lines[line] as Cell[]).length;
  }

  /** Go's format: finds the block of lines sharing column `widths.length`, recursively. */
  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    for (let row = line0; row < line1; row++) {
      if (column >= this.cellsIn(row) - 1) continue;
      this.writeLines(line0, row);
      line0 = row;
      let width = this.minwidth;
      for (; row < line1; row++) {
        if (column >= this.cellsIn(row) - 1) break;
        const c = (this.lines[row] as Cell[])[column] as Cell;
        width = Math.max(width, c.width + this.padding);
      }
      this.widths.push(width);
      this.format(line0, row);
      this.widths.pop();
      line0 = row;
    }
    this.writeLines(line0, line1);
  }

  private writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i] as Cell[];
      line.forEach((c, j) => {
        this.out.push(c.text);
        const w = this.widths[j];
        if (w !== undefined) this.out.push(' '.repeat(w - c.width));
      });
      // The last line has no newline yet: what follows it is still being written.
      this.out.push(i + 1 === this.lines.length ? this.cell : '\n');
    }
  }
}
