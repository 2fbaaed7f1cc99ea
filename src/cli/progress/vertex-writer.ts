/**
 * BuildKit's plain text printer (util/progress/progressui/printer.go, textMux),
 * fed one change at a time instead of a refresh tick:
 *
 *   #5 [2/3] RUN echo hi
 *   #5 0.062 hi
 *   #5 DONE 0.3s
 *
 *   #6 [3/3] COPY f /f
 *   #6 CACHED
 *
 * A vertex gets its number when first printed; a blank line comes before each
 * header but the first. Turning to another vertex while one is still running
 * leaves `#N ...` behind it, and its header is printed again when it comes back.
 * A log line starts with the seconds since the vertex started (3 decimals under
 * 10 s, 2 under 100 s, then 1); a line the output has not ended yet stays open,
 * and is printed whole, again, after a turn to another vertex (as BuildKit does).
 */

/** What BuildKit keeps of a failed vertex's output for the box under the build. */
const LOG_LINES = 10;

export interface Vertex {
  name: string;
  /** When it started, on the display's clock (ms). */
  started: number;
  /** `#N`: 0 until first printed. */
  n: number;
  complete: boolean;
  /** The last LOG_LINES whole log lines, with their times, for the error box. */
  last: string[];
  /** The log line not yet ended (with its time), and whether it is the last thing printed. */
  open?: { text: string; shown: boolean };
}

export class VertexWriter {
  private current: Vertex | undefined;
  private next = 0;
  private first = true;

  constructor(
    private readonly write: (text: string) => void,
    private readonly now: () => number,
  ) {}

  vertex(name: string, started = this.now()): Vertex {
    return { name, started, n: 0, complete: false, last: [] };
  }

  /** Print `v`'s header now (a vertex with no news is otherwise not printed). */
  show(v: Vertex): void {
    this.focus(v);
  }

  /** `#N <text>`: a status line (`transferring dockerfile: 31B done`, `WARN: …`). */
  status(v: Vertex, text: string): void {
    this.focus(v);
    this.endOpenLine(v);
    this.write(`#${v.n} ${text}\n`);
  }

  /** Output of the vertex's process, split into timestamped lines. */
  log(v: Vertex, data: string): void {
    if (data === '') return;
    this.focus(v);
    const pieces = data.split('\n');
    const ended = pieces.at(-1) === '';
    if (ended) pieces.pop();
    pieces.forEach((piece, i) => {
      const whole = i < pieces.length - 1 || ended;
      if (i === 0 && v.open) {
        this.write(v.open.shown ? piece : `#${v.n} ${v.open.text}${piece}`);
        v.open.text += piece;
      } else {
        const text = `${stamp(this.now() - v.started)} ${piece}`;
        this.write(`#${v.n} ${text}`);
        v.open = { text, shown: true };
      }
      v.open.shown = true;
      if (!whole) return;
      this.write('\n');
      v.last.push(v.open.text);
      if (v.last.length > LOG_LINES) v.last.shift();
      v.open = undefined;
    });
  }

  /** The last line: `DONE 0.3s`, `CACHED`, `ERROR: …` or `CANCELED`. */
  complete(v: Vertex, how: string): void {
    this.focus(v);
    this.endOpenLine(v);
    if (v.open) {
      // The line the output never ended belongs in the error box too.
      v.last.push(v.open.text);
      if (v.last.length > LOG_LINES) v.last.shift();
      v.open = undefined;
    }
    this.write(`#${v.n} ${how}\n`);
    v.complete = true;
    this.current = undefined;
  }

  private focus(v: Vertex): void {
    if (v === this.current) return;
    const old = this.current;
    if (old && !old.complete) {
      this.endOpenLine(old);
      this.write(`#${old.n} ...\n`);
    }
    if (this.first) this.first = false;
    else this.write('\n');
    if (v.n === 0) v.n = ++this.next;
    this.write(`#${v.n} ${v.name}\n`);
    if (v.open) v.open.shown = false;
    this.current = v;
  }

  private endOpenLine(v: Vertex): void {
    if (!v.open?.shown) return;
    this.write('\n');
    v.open.shown = false;
  }
}

/** BuildKit's log-line time: `0.062`, `12.34`, `123.4`. */
function stamp(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  return s.toFixed(s < 10 ? 3 : s < 100 ? 2 : 1);
}

/** BuildKit's `DONE 0.3s`. */
export function doneIn(ms: number): string {
  return `DONE ${(Math.max(0, ms) / 1000).toFixed(1)}s`;
}

/** Byte counts as BuildKit prints them (tonistiigi/units, `%.2f`): `31B`, `1.23kB`, `4.00MB`. */
export function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let i = 0;
  let base = 1;
  while (i < units.length - 1 && n >= base * 1000) {
    base *= 1000;
    i += 1;
  }
  return i === 0 ? `${n}B` : `${(n / base).toFixed(2)}${units[i]}`;
}
