/**
 * `--progress=plain`: BuildKit's plain text, on stderr, as `docker build` (BuildKit)
 * and `docker buildx build` print it in CI logs:
 *
 *   #1 [internal] load build definition from Dockerfile
 *   #1 transferring dockerfile: 88B done
 *   #1 DONE 0.0s
 *
 *   #2 [1/3] FROM docker.io/library/busybox:latest
 *   #2 DONE 0.0s
 *
 *   #3 [2/3] RUN echo hello
 *   #3 0.062 hello
 *   #3 DONE 0.3s
 *   …
 *   #5 exporting to image
 *   #5 writing image sha256:1b8d… done
 *   #5 naming to docker.io/library/app:1 done
 *   #5 DONE 0.0s
 *
 * Vertices are the steps BuildKit shows, named as it names them (build/vertex-name.ts);
 * ENV, LABEL and other config-only steps do not appear. What tsbuild does not do is
 * not shown either: there is no `load .dockerignore` nor `load build context` (the
 * context is read in place, nothing is transferred), and a pull is one
 * `load metadata for` vertex with docker pull's lines. Docker 20.10's older BuildKit
 * also printed each vertex's digest (`#1 sha256:…`) under its name; BuildKit no longer
 * does, nor does this. Once the build is over: each failed step's last output lines
 * in BuildKit's box, then what tsbuild adds (exit code, full log, kept container),
 * then the warnings, counted, as buildx lists them.
 */
import { basename } from 'node:path';
import type { BuildEvent } from '../../api/build-types.js';
import { formatReference, parseReference } from '../../image/reference.js';
import { explainText } from './explain.js';
import { failureNotes, failureOf, type Failure } from './failure.js';
import type { BuildOutcome, Progress, ProgressOptions, ResultEvent } from './progress.js';
import { bytes, doneIn, VertexWriter, type Vertex } from './vertex-writer.js';

export class PlainProgress implements Progress {
  private readonly out: VertexWriter;
  private readonly now: () => number;
  /** The Dockerfile's vertex; `definitionOpen` until the next thing happens. */
  private definition: Vertex | undefined;
  private definitionOpen = false;
  /** The pull under way: its vertex and ref. */
  private pull: { ref: string; v: Vertex } | undefined;
  private readonly steps = new Map<number, Vertex>();
  private exporting: Vertex | undefined;
  /** When the last stage ended: where exporting the image starts. */
  private lastStageDone: number | undefined;
  private readonly failures: { v: Vertex; failure: Failure }[] = [];
  private readonly warnings: string[] = [];
  private sawResult = false;

  constructor(private readonly opts: ProgressOptions) {
    this.now = opts.now ?? Date.now;
    this.out = new VertexWriter((t) => opts.stderr.write(t), this.now);
  }

  onEvent(e: BuildEvent): void {
    if (e.type !== 'definition' && e.type !== 'plan') this.endDefinition([]);
    if (e.type !== 'pull' || e.ref !== this.pull?.ref) this.endPull();
    switch (e.type) {
      case 'definition': {
        const v = this.out.vertex(`[internal] load build definition from ${basename(e.file)}`);
        this.out.status(v, `transferring dockerfile: ${bytes(e.bytes)} done`);
        this.definition = v;
        this.definitionOpen = true;
        return;
      }
      case 'plan':
        return this.endDefinition(
          e.warnings.map((w) => `${w.rule}: ${w.message} (line ${w.line})`),
        );
      case 'pull': {
        this.pull ??= {
          ref: e.ref,
          v: this.out.vertex(`[internal] load metadata for ${canonical(e.ref)}`),
        };
        return this.out.status(this.pull.v, e.id ? `${e.id}: ${e.status}` : e.status);
      }
      case 'step': {
        if (e.vertex === undefined) return;
        const v = this.out.vertex(e.vertex);
        this.steps.set(e.step, v);
        return this.out.show(v);
      }
      case 'cached':
        return this.completeStep(e.step, 'CACHED');
      case 'miss': {
        const v = this.steps.get(e.step);
        if (!v || !this.opts.explainCache) return;
        for (const line of explainText(e.explain).trimEnd().split('\n'))
          this.out.status(v, line.replace(/^ ---> /, '').trim());
        return;
      }
      case 'output': {
        const v = this.steps.get(e.step);
        if (v) this.out.log(v, e.data);
        return;
      }
      case 'done':
        return this.completeStep(e.step, e.cached ? 'CACHED' : doneIn(e.ms));
      case 'failed': {
        const v = this.steps.get(e.step);
        if (!v || v.complete) return;
        this.out.complete(v, `ERROR: ${e.message}`);
        this.failures.push({ v, failure: e });
        return;
      }
      case 'stage-done':
        this.lastStageDone = this.now();
        return;
      case 'warning':
        this.warnings.push(e.message);
        return;
      case 'network':
        return this.note(e.message);
      case 'push':
        return this.out.status(this.exportVertex(), e.id ? `${e.id}: ${e.status}` : e.status);
      case 'result':
        return this.printResult(e);
      case 'verify':
        // The last one's report is printed whole by the command, after the display ends.
        if (!e.report) this.note(`verify: ${e.status}`);
        return;
    }
  }

  end(outcome: BuildOutcome): void {
    this.endDefinition([]);
    this.endPull();
    if ('result' in outcome) {
      if (!this.sawResult) {
        const { id, digest, tags } = outcome.result;
        this.printResult({ type: 'result', id, digest, tags });
      }
    } else this.settle(outcome.error);
    this.summary();
  }

  /** The build failed: what still runs was cut short — but a failed RUN that sent no `failed` event. */
  private settle(error: unknown): void {
    const running = [...this.steps.values()].filter((v) => !v.complete);
    const failure = this.failures.length === 0 ? failureOf(error) : undefined;
    const failed = failure ? running.pop() : undefined;
    for (const v of running) this.out.complete(v, 'CANCELED');
    if (failed && failure) {
      this.out.complete(failed, `ERROR: ${(error as Error).message}`);
      this.failures.push({ v: failed, failure });
    }
  }

  /** After the progress: the failed steps' boxes and tsbuild's notes, then the warnings. */
  private summary(): void {
    let text = '';
    for (const { v, failure } of this.failures) {
      const lines = v.last.length > 0 ? v.last : (failure.tail ?? []);
      text += ['------', ` > ${v.name}:`, ...lines, '------', ...failureNotes(failure)]
        .map((l) => `${l}\n`)
        .join('');
    }
    if (this.warnings.length > 0) {
      const n = this.warnings.length;
      text += `\n ${n} warning${n === 1 ? '' : 's'} found:\n`;
      for (const w of this.warnings) text += ` - ${w}\n`;
    }
    if (text !== '') this.opts.stderr.write(text);
  }

  private printResult(e: ResultEvent): void {
    this.sawResult = true;
    const v = this.exportVertex();
    this.out.status(v, `writing image ${e.id} done`);
    for (const tag of e.tags) this.out.status(v, `naming to ${canonical(tag)} done`);
    this.out.complete(v, doneIn(this.now() - v.started));
  }

  private exportVertex(): Vertex {
    this.exporting ??= this.out.vertex('exporting to image', this.lastStageDone);
    return this.exporting;
  }

  private completeStep(step: number, how: string): void {
    const v = this.steps.get(step);
    if (v && !v.complete) this.out.complete(v, how);
  }

  /**
   * Lint warnings go under the Dockerfile's vertex (`#1 WARN: …`) before its DONE,
   * or under its header again when a pull came between, and in the summary.
   */
  private endDefinition(warnings: string[]): void {
    this.warnings.push(...warnings);
    const v = this.definition;
    if (!v) return;
    for (const w of warnings) this.out.status(v, `WARN: ${w}`);
    if (this.definitionOpen) this.out.complete(v, doneIn(this.now() - v.started));
    this.definitionOpen = false;
  }

  private endPull(): void {
    if (this.pull) this.out.complete(this.pull.v, doneIn(this.now() - this.pull.v.started));
    this.pull = undefined;
  }

  /** A line about the build, not a step (`RUN network: …`): under the step running. */
  private note(text: string): void {
    const running = [...this.steps.values()].filter((v) => !v.complete).at(-1);
    if (running) this.out.status(running, text);
    else this.opts.stderr.write(`${text}\n`);
  }
}

/** `app:1` → `docker.io/library/app:1`, as BuildKit names images. */
function canonical(ref: string): string {
  try {
    return formatReference(parseReference(ref));
  } catch {
    return ref;
  }
}
