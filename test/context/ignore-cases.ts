/**
 * Reader for test/fixtures/dockerignore/cases.txt (format in its header),
 * shared by the unit test and the recorder that asks Docker.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CASES_FILE = fileURLToPath(
  new URL('../fixtures/dockerignore/cases.txt', import.meta.url),
);

export type Verdict = 'yes' | 'no' | 'error';

export interface IgnoreCase {
  /** 1-based line in cases.txt. */
  lineNo: number;
  /** The .dockerignore text. */
  patterns: string;
  /** Relative path; a trailing `/` makes it an (empty) directory. */
  path: string;
  /** What Docker 20.10 (BuildKit) did. */
  docker: Verdict;
  /** Where tsbuild deliberately answers otherwise, and why. */
  ours?: { verdict: Verdict; why: string };
  /** The raw cells, for rewriting the line. */
  cells: string[];
}

/** Split on `|` not preceded by a backslash, keeping escapes for decode(). */
export function splitCells(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      cur += c + line[++i];
    } else if (c === '|') {
      cells.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  cells.push(cur);
  return cells.map((c) => c.trim());
}

/** `\n` newline, `\s` space, `\|` pipe, `\\` backslash; any other `\x` stays `\x`. */
export function decode(cell: string): string {
  const map: Record<string, string> = { n: '\n', s: ' ', '|': '|', '\\': '\\' };
  return cell.replace(/\\(.)/g, (all, c: string) => map[c] ?? all);
}

function verdict(s: string, where: string): Verdict {
  if (s === 'yes' || s === 'no' || s === 'error') return s;
  throw new Error(`${where}: expected yes, no or error, got ${JSON.stringify(s)}`);
}

export function readCases(text = readFileSync(CASES_FILE, 'utf8')): IgnoreCase[] {
  const out: IgnoreCase[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const where = `cases.txt:${i + 1}`;
    const cells = splitCells(line);
    if (cells.length < 3 || cells.length > 4) throw new Error(`${where}: expected 3 or 4 cells`);
    const c: IgnoreCase = {
      lineNo: i + 1,
      patterns: decode(cells[0]!),
      path: decode(cells[1]!),
      docker: verdict(cells[2]!, where),
      cells,
    };
    if (cells[3]) {
      const m = /^(yes|no|error):\s*(.+)$/.exec(cells[3]);
      if (!m) throw new Error(`${where}: fourth cell must be "yes|no|error: why"`);
      c.ours = { verdict: m[1] as Verdict, why: m[2]! };
    }
    out.push(c);
  });
  return out;
}
