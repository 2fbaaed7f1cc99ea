/**
 * `--progress=classic`: docker 20.10's classic builder (`DOCKER_BUILDKIT=0`), on stdout.
 *
 *   Step 2/5 : RUN echo hi
 *   hi
 *    ---> 635d1ab64cfb
 *   Successfully built 5b61e2b9ec81
 *   Successfully tagged app:latest
 *
 * Docker prints ` ---> Running in <container>` and `Removing intermediate
 * container`; there is no container here, so neither appears. Stages built at
 * the same time would interleave their lines; instead one stage at a time is
 * shown, and the others' lines wait until it ends (then come whole, in order).
 * Warnings, skipped stages and a failed step's tail go to stderr.
 */
import type { BuildEvent } from '../../api/build-types.js';
import { familiarName } from '../../image/reference.js';
import { ClassicSteps, executingTriggers } from './classic-steps.js';
import { explainText } from './explain.js';
import { failureOf, failureText } from './failure.js';
import type { BuildOutcome, Progress, ProgressOptions, ResultEvent } from './progress.js';

type Piece = { to: 'out' | 'err'; text: string };

/** docker's classic builder wraps a RUN's stderr in these (daemon/builder's stdcopy writer). */
const RED = '\x1b[91m';
const RESET = '\x1b[0m';

export class ClassicProgress implements Progress {
  private readonly color: boolean;
  /** The stage whose lines are printed as they come. */
  private foreground: number | undefined;
  /** Lines of other stages, in the order the stages started. */
  private readonly waiting = new Map<number, Piece[]>();
  private readonly ended = new Set<number>();
  /** Stages whose last output did not end its line. */
  private readonly open = new Set<number>();
  private readonly headers = new Map<number, string>();
  /** Steps started and not done, by step number, with their stage. */
  private readonly running = new Map<number, number>();
  private readonly numbers = new ClassicSteps();
  private sawFailure = false;
  private printedResult = false;

  constructor(private readonly opts: ProgressOptions) {
    this.color = opts.color ?? Boolean((opts.stdout as { isTTY?: boolean }).isTTY);
  }

  onEvent(e: BuildEvent): void {
    switch (e.type) {
      case 'plan':
        this.numbers.plan(e);
        for (const w of e.warnings)
          this.write({
            to: 'err',
            text: `warning: ${w.file}:${w.line}:${w.col}: ${w.rule}: ${w.message}${w.url ? ` (${w.url})` : ''}\n`,
          });
        for (const s of e.skipped)
          this.write({ to: 'err', text: `skipped stage ${s.name ?? s.index}: ${s.reason}\n` });
        return;
      case 'warning':
      case 'network':
        return this.write({ to: 'err', text: `${e.message}\n` });
      case 'pull':
      case 'push':
        return this.write({ to: 'out', text: `${e.id ? `${e.id}: ` : ''}${e.status}\n` });
      case 'verify':
        // The last one's report is printed whole by the command, after the display ends.
        if (!e.report) this.write({ to: 'out', text: `verify: ${e.status}\n` });
        return;
      case 'step': {
        // As written, as docker prints it; a trigger has no line of its own.
        const text = e.source ?? e.text;
        this.running.set(e.step, e.stage);
        if (e.onbuild) return void this.headers.set(e.step, `ONBUILD ${text}`);
        const header = `${this.numbers.label(e.stage, e.step, e.total)} : ${text}`;
        this.headers.set(e.step, header);
        return this.line(e.stage, 'out', `${header}\n`);
      }
      case 'cached':
        return this.line(e.stage, 'out', ' ---> Using cache\n');
      case 'miss':
        if (this.opts.explainCache) this.line(e.stage, 'out', explainText(e.explain));
        return;
      case 'output': {
        const text = e.stream === 'stderr' && this.color ? `${RED}${e.data}${RESET}` : e.data;
        this.put(e.stage, { to: 'out', text });
        if (e.data.endsWith('\n')) this.open.delete(e.stage);
        else if (e.data !== '') this.open.add(e.stage);
        return;
      }
      case 'done': {
        this.running.delete(e.step);
        const triggers = this.numbers.triggersAfter(e.stage, e.step);
        if (triggers > 0) return this.line(e.stage, 'out', `${executingTriggers(triggers)}\n`);
        if (!this.numbers.printsId(e.stage, e.step)) return;
        return this.line(e.stage, 'out', ` ---> ${e.id}\n`);
      }
      case 'failed': {
        this.sawFailure = true;
        this.running.delete(e.step);
        const label = this.headers.get(e.step) ?? `Step ${e.step}`;
        this.line(e.stage, 'err', failureText(label, e));
        return this.stageEnded(e.stage);
      }
      case 'stage-done':
        return this.stageEnded(e.stage);
      case 'result':
        return this.printResult(e);
    }
  }

  end(outcome: BuildOutcome): void {
    if ('result' in outcome) {
      this.flushAll();
      if (this.printedResult) return;
      const { id, digest, tags } = outcome.result;
      return this.printResult({ type: 'result', id, digest, tags });
    }
    // A failed RUN that sent no `failed` event: its step is the last one started.
    const failure = this.sawFailure ? undefined : failureOf(outcome.error);
    const step = [...this.running.keys()].at(-1);
    if (failure && step !== undefined) {
      const stage = this.running.get(step)!;
      this.line(stage, 'err', failureText(this.headers.get(step)!, failure));
      this.stageEnded(stage);
    } else if (failure) this.write({ to: 'err', text: failureText('the failed step', failure) });
    this.flushAll();
  }

  private printResult(e: ResultEvent): void {
    this.flushAll();
    this.printedResult = true;
    const lines = [`Successfully built ${e.id.replace(/^sha256:/, '').slice(0, 12)}`];
    for (const tag of e.tags) lines.push(`Successfully tagged ${familiar(tag)}`);
    this.write({ to: 'out', text: lines.map((l) => `${l}\n`).join('') });
  }

  /** Whole lines of a stage, on a line of their own even after output that did not end one. */
  private line(stage: number, to: Piece['to'], text: string): void {
    if (this.open.delete(stage)) this.put(stage, { to: 'out', text: '\n' });
    this.put(stage, { to, text });
  }

  private put(stage: number, piece: Piece): void {
    this.foreground ??= stage;
    if (stage === this.foreground) return this.write(piece);
    const queue = this.waiting.get(stage);
    if (queue) queue.push(piece);
    else this.waiting.set(stage, [piece]);
  }

  /** The stage is over: the next waiting stage comes to the front, with what it has so far. */
  private stageEnded(stage: number): void {
    if (this.open.delete(stage)) this.put(stage, { to: 'out', text: '\n' });
    this.ended.add(stage);
    if (stage !== this.foreground) return;
    this.foreground = undefined;
    for (const [next, queue] of this.waiting) {
      this.waiting.delete(next);
      for (const piece of queue) this.write(piece);
      if (!this.ended.has(next)) {
        this.foreground = next;
        return;
      }
    }
  }

  private flushAll(): void {
    for (const queue of this.waiting.values()) for (const piece of queue) this.write(piece);
    this.waiting.clear();
  }

  private write(piece: Piece): void {
    (piece.to === 'out' ? this.opts.stdout : this.opts.stderr).write(piece.text);
  }
}

/** Docker prints tags as it was given them, made familiar: `docker.io/library/a` → `a:latest`. */
function familiar(tag: string): string {
  try {
    return familiarName(tag);
  } catch {
    return tag;
  }
}
