/**
 * The names BuildKit gives a stage's steps in its progress (`#5 [builder 2/4] RUN make`),
 * as dockerfile2llb's prefixCommand makes them, for `--progress=plain`:
 *
 * - Only steps that are an LLB operation get one: FROM an image (not scratch, not
 *   another stage, not a named context), RUN, COPY, ADD, WORKDIR. ENV, LABEL and the
 *   other config-only instructions are not shown at all.
 * - `total` counts those, plus every ONBUILD trigger of the base whatever its kind
 *   (BuildKit adds them all), so a stage's last number may fall short of it, as in
 *   BuildKit. The index is padded to the width of the total: `[ 3/12]`.
 * - The stage's name (or `stage-N`) comes first unless the Dockerfile has one stage.
 * - The text is the instruction as written, its keyword upper-cased, its variables
 *   expanded with the stage's ENV and ARG values; a RUN keeps its quotes and any
 *   variable it does not know (`RUN echo "$HOME"` stays so without a HOME).
 * - `RUN <<EOF` adds the script's first line: `RUN <<EOF (apt-get update...)`.
 */
import type { Instruction } from '../dockerfile/ast.js';
import { processWord } from '../dockerfile/expand.js';
import type { Stage, Step } from '../dockerfile/stage.js';
import { formatReference, parseReference } from '../image/reference.js';

const SHOWN = new Set<Instruction['kind']>(['RUN', 'COPY', 'ADD', 'WORKDIR']);

export class VertexNames {
  private readonly prefix: string;
  private readonly total: number;
  private readonly fromShown: boolean;
  private index = 0;
  /** ARG values declared so far in the stage (BuildKit adds them to the state's env). */
  private readonly args = new Map<string, string>();

  /**
   * @param stage the stage, its steps as it will run them (triggers included)
   * @param stageCount how many stages the Dockerfile has
   * @param namedContext whether the stage's base is a named build context
   */
  constructor(
    private readonly stage: Stage,
    stageCount: number,
    namedContext: boolean,
  ) {
    this.fromShown = stage.base.kind === 'image' && !namedContext;
    this.total =
      (this.fromShown ? 1 : 0) +
      stage.steps.filter((s) => s.onbuild || SHOWN.has(s.instruction.kind)).length;
    this.prefix = stageCount > 1 ? `${stage.name ?? `stage-${stage.index}`} ` : '';
  }

  /** `[1/3] FROM docker.io/library/busybox:latest`, or undefined when BuildKit shows no FROM. */
  from(): string | undefined {
    if (!this.fromShown || this.stage.base.kind !== 'image') return undefined;
    return this.name(`FROM ${canonical(this.stage.base.ref)}`, false);
  }

  /**
   * The name of the next step, given the image's Env at that point; undefined for a
   * step BuildKit does not show. Call once per step, in order.
   */
  step(step: Step, env: readonly string[] | null | undefined): string | undefined {
    const ins = step.instruction;
    if (ins.kind === 'ARG' && step.args)
      for (const [k, v] of Object.entries(step.args)) this.args.set(k, v);
    if (!SHOWN.has(ins.kind)) return undefined;
    let text = ins.original;
    if (ins.kind === 'RUN' && ins.heredocs.length > 0 && isOnlyHeredoc(ins))
      text += ` (${summary(ins.heredocs[0]!.content)})`;
    const vars = new Map(this.args);
    for (const e of env ?? []) {
      const eq = e.indexOf('=');
      if (eq > 0) vars.set(e.slice(0, eq), e.slice(eq + 1));
    }
    return this.name(upperFirst(expand(text, vars, ins.kind === 'RUN')), step.onbuild ?? false);
  }

  private name(text: string, onbuild: boolean): string {
    this.index += 1;
    const width = String(this.total).length;
    const n = String(this.index).padStart(width, ' ');
    return `[${this.prefix}${n}/${this.total}] ${onbuild ? 'ONBUILD ' : ''}${text}`;
  }
}

/** BuildKit's processCmdEnv: the whole line as one word; on an error, the line as is. */
function expand(text: string, vars: Map<string, string>, run: boolean): string {
  try {
    return processWord(text, vars, run ? { rawQuotes: true, skipUnsetEnv: true } : {}).word;
  } catch {
    return text;
  }
}

function upperFirst(text: string): string {
  const sp = text.indexOf(' ');
  return sp < 0 ? text.toUpperCase() : text.slice(0, sp).toUpperCase() + text.slice(sp);
}

/** `RUN <<EOF` alone, the heredoc being the script (BuildKit's MustParseHeredoc of the command). */
function isOnlyHeredoc(ins: Extract<Instruction, { kind: 'RUN' }>): boolean {
  return ins.command.form === 'shell' && /^<<-?\S+$/.test(ins.command.script.trim());
}

/** BuildKit's summarizeHeredoc: the first line, `...` when there are more. */
function summary(doc: string): string {
  const lines = doc.trim().replace(/\r\n/g, '\n').split('\n');
  return lines.length > 1 ? `${lines[0]}...` : lines[0]!;
}

/** `busybox` → `docker.io/library/busybox:latest` (BuildKit's TagNameOnly). */
function canonical(ref: string): string {
  try {
    return formatReference(parseReference(ref));
  } catch {
    return ref;
  }
}
