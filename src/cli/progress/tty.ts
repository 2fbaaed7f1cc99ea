/**
 * `--progress=tty`: a live view on stderr in buildx's shape, redrawn in place
 * at most every `interval` ms (10 a second) with plain ANSI cursor movement:
 *
 *   [+] Building 3.4s (4/6)
 *    => CACHED [2/5] COPY app.js /app/                                  0.0s
 *    => [3/5] RUN npm test                                              2.9s
 *    => => # ok 12 - parses flags
 *
 * Steps are CACHED, DONE or ERROR once over; a running step shows its last
 * output lines. While running, the frame is cut to the terminal's height (a
 * frame taller than the screen cannot be redrawn in place); the final frame is
 * drawn once, whole, and stays. Warnings, cache explanations and a failed
 * step's tail follow it.
 */
import type { BuildEvent } from '../../api/build-types.js';
import { formatReference, parseReference } from '../../image/reference.js';
import { explainText } from './explain.js';
import { failureOf, failureText, type Failure } from './failure.js';
import type { BuildOutcome, MissEvent, Progress, ProgressOptions } from './progress.js';

type PlanEvent = Extract<BuildEvent, { type: 'plan' }>;

interface StepView {
  label: string;
  text: string;
  state: 'running' | 'cached' | 'done' | 'error' | 'canceled';
  started: number;
  ms?: number;
  /** The last output lines (at most OUTPUT_LINES), and the line being written. */
  lines: string[];
  partial: string;
  explain?: MissEvent['explain'];
}

const OUTPUT_LINES = 6;
const CSI = '\x1b[';

export class TtyProgress implements Progress {
  private readonly now: () => number;
  private readonly started: number;
  private readonly timer: NodeJS.Timeout;
  private plan: PlanEvent | undefined;
  private readonly steps = new Map<number, StepView>();
  /** Steps seen so far per stage, for `[stage 2/5]`. */
  private readonly seen = new Map<number, number>();
  private readonly notes: string[] = [];
  private readonly failures: { label: string; failure: Failure }[] = [];
  /** How many lines of the last frame are on the screen above the cursor. */
  private height = 0;
  private over = false;

  constructor(private readonly opts: ProgressOptions & { interval?: number }) {
    this.now = opts.now ?? Date.now;
    this.started = this.now();
    this.timer = setInterval(() => this.draw(this.frame()), opts.interval ?? 100);
    this.timer.unref();
  }

  onEvent(e: BuildEvent): void {
    if (this.over) return;
    switch (e.type) {
      case 'plan':
        this.plan = e;
        for (const w of e.warnings)
          this.notes.push(
            `warning: ${w.file}:${w.line}:${w.col}: ${w.rule}: ${w.message}${w.url ? ` (${w.url})` : ''}`,
          );
        for (const s of e.skipped)
          this.notes.push(`skipped stage ${s.name ?? s.index}: ${s.reason}`);
        return;
      case 'warning':
      case 'network':
        this.notes.push(e.message);
        return;
      case 'pull':
        // Only the outcome: per-layer lines would scroll the live view away.
        if (e.status.startsWith('Status: ')) this.notes.push(`${e.ref}: ${e.status.slice(8)}`);
        return;
      case 'push':
        if (/digest: |^cache: /.test(e.status)) this.notes.push(`${e.ref}: ${e.status}`);
        return;
      case 'step':
        this.steps.set(e.step, {
          label: this.label(e.stage),
          text: visible(`${e.onbuild ? 'ONBUILD ' : ''}${e.text.replace(/\s*\n\s*/g, ' ')}`),
          state: 'running',
          started: this.now(),
          lines: [],
          partial: '',
        });
        return;
      case 'output':
        return this.output(e.step, e.data);
      case 'cached':
        return this.update(e.step, { state: 'cached' });
      case 'miss':
        return this.update(e.step, { explain: e.explain });
      case 'done':
        return this.update(e.step, { state: e.cached ? 'cached' : 'done', ms: e.ms });
      case 'failed': {
        const step = this.steps.get(e.step);
        this.update(e.step, { state: 'error', ms: step ? this.now() - step.started : 0 });
        this.failures.push({
          label: step ? `${step.label} ${step.text}` : `step ${e.step}`,
          failure: e,
        });
        return;
      }
      case 'verify':
        // The last one's report is printed whole by the command, after the display ends.
        if (!e.report) this.notes.push(`verify: ${e.status}`);
        return;
      case 'stage-done':
      case 'result':
        return;
    }
  }

  end(outcome: BuildOutcome): void {
    if (this.over) return;
    this.over = true;
    clearInterval(this.timer);
    // A build that failed before it began (a missing context): no empty frame.
    if ('error' in outcome && this.height === 0 && this.steps.size === 0) {
      const notes = this.notes.map((n) => `${n}\n`).join('');
      if (notes !== '') this.opts.stderr.write(notes);
      return;
    }
    if ('error' in outcome) this.settle(outcome.error);
    const lines = this.frame('result' in outcome ? outcome.result : undefined, true);
    this.draw(lines);
    let after = this.notes.map((n) => `${n}\n`).join('');
    if (this.opts.explainCache)
      for (const step of this.steps.values())
        if (step.explain) after += `${step.label} ${step.text}\n${explainText(step.explain)}`;
    for (const f of this.failures) after += failureText(f.label, f.failure);
    if (after !== '') this.opts.stderr.write(after);
  }

  /**
   * The build failed: steps still running were cut short (CANCELED, as buildx
   * says) — but for a failed RUN that sent no `failed` event, whose step is the
   * one started last.
   */
  private settle(error: unknown): void {
    const running = [...this.steps.values()].filter((v) => v.state === 'running');
    const now = this.now();
    for (const v of running) Object.assign(v, { state: 'canceled', ms: now - v.started });
    const failure = this.failures.length === 0 ? failureOf(error) : undefined;
    const last = running.at(-1);
    if (failure && last) {
      last.state = 'error';
      this.failures.push({ label: `${last.label} ${last.text}`, failure });
    }
  }

  /** `[2/5]` in a one-stage build, `[builder 2/5]` or `[stage-1 2/5]` in a multi-stage one. */
  private label(stage: number): string {
    const local = (this.seen.get(stage) ?? 0) + 1;
    this.seen.set(stage, local);
    const planned = this.plan?.stages.find((s) => s.index === stage);
    const count = Math.max(planned?.steps ?? local, local);
    const multi = (this.plan?.stages.length ?? 1) > 1;
    const name = planned?.name ?? `stage-${stage}`;
    return `[${multi ? `${name} ` : ''}${local}/${count}]`;
  }

  private update(step: number, change: Partial<StepView>): void {
    const view = this.steps.get(step);
    if (view) Object.assign(view, change);
  }

  private output(step: number, data: string): void {
    const view = this.steps.get(step);
    if (!view) return;
    const parts = (view.partial + data).split('\n');
    view.partial = parts.pop()!;
    view.lines.push(...parts.map(visible));
    if (view.lines.length > OUTPUT_LINES) view.lines.splice(0, view.lines.length - OUTPUT_LINES);
  }

  /** The lines of a frame; running steps show their output unless this is the last frame. */
  private frame(result?: { id: string; tags: string[] }, final = false): string[] {
    const now = this.now();
    const width = Math.max(20, (this.opts.stderr as { columns?: number }).columns ?? 80);
    const views = [...this.steps.values()];
    const complete = views.filter((v) => v.state === 'cached' || v.state === 'done').length;
    const total = Math.max(this.plan?.total ?? 0, views.length);
    const lines = [
      `[+] Building ${secs(now - this.started)} (${complete}/${total})${result ? ' FINISHED' : ''}`,
    ];
    for (const v of views) {
      const state = v.state === 'running' ? '' : `${v.state.toUpperCase()} `;
      lines.push(row(` => ${state}${v.label} ${v.text}`, secs(v.ms ?? now - v.started), width));
      if (v.state !== 'running' || final) continue;
      const out = v.partial === '' ? v.lines : [...v.lines, visible(v.partial)];
      for (const l of out.slice(-OUTPUT_LINES)) lines.push(cut(` => => # ${l}`, width));
    }
    if (result) {
      lines.push(row(` => => writing image ${result.id}`, '', width));
      for (const tag of result.tags)
        lines.push(row(` => => naming to ${canonical(tag)}`, '', width));
    }
    const rows = (this.opts.stderr as { rows?: number }).rows;
    if (!final && rows !== undefined && lines.length > rows - 1)
      return [lines[0]!, ...lines.slice(lines.length - Math.max(1, rows - 2))];
    return lines;
  }

  /** Move up over the last frame, write this one line by line, clear what is left below. */
  private draw(lines: string[]): void {
    const up = this.height > 0 ? `${CSI}${this.height}F` : '';
    this.opts.stderr.write(`${up}${lines.map((l) => `${l}${CSI}K\n`).join('')}${CSI}J`);
    this.height = lines.length;
  }
}

function secs(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
}

/** `left` cut to fit, then `right` flush with the terminal's right edge. */
function row(left: string, right: string, width: number): string {
  if (right === '') return cut(left, width);
  const room = width - right.length - 1;
  const shown = cut(left, room);
  return `${shown}${' '.repeat(Math.max(0, room - columnsOf(shown)))} ${right}`;
}

/**
 * A line never wraps: a wrapped line would throw the cursor arithmetic off.
 * Widths are counted generously (anything from U+1100 on as two columns, as
 * CJK and most emoji are), so a line may end early but never runs over.
 */
function cut(s: string, width: number): string {
  if (columnsOf(s) <= width) return s;
  let out = '';
  let used = 0;
  for (const ch of s) {
    const w = charColumns(ch);
    if (used + w > width - 3) break;
    out += ch;
    used += w;
  }
  return `${out}...`;
}

function columnsOf(s: string): number {
  let n = 0;
  for (const ch of s) n += charColumns(ch);
  return n;
}

function charColumns(ch: string): number {
  return ch.codePointAt(0)! >= 0x1100 ? 2 : 1;
}

/** Terminal escape sequences (CSI …) and the control characters left after them. */
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x1f\x7f]/g;

/** Output as it shows on one line: escapes dropped, a `\r` progress bar at its latest, tabs as spaces. */
function visible(line: string): string {
  const latest = line.slice(line.lastIndexOf('\r', line.length - 2) + 1);
  return latest.replace(ESCAPES, '').replace(/\t/g, '    ').replace(CONTROLS, '');
}

function canonical(tag: string): string {
  try {
    return formatReference(parseReference(tag));
  } catch {
    return tag;
  }
}
