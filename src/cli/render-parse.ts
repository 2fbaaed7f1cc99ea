/** The readable listing `tsbuild parse` prints without --json. */
import type { ParseResult } from '../api/parse.js';
import type { Stage } from '../dockerfile/stages.js';
import { formatInstruction } from '../dockerfile/format.js';

export function renderParse(r: ParseResult): string {
  const out: string[] = [];
  const { graph } = r;
  const directives = r.directives.map((d) => `${d.name}=${d.value}`).join(', ');
  out.push(
    `${r.file}: ${r.instructions.length} instructions, ${graph.stages.length} stages, escape ${r.escape}`,
  );
  if (directives) out.push(`directives: ${directives}`);
  const metaArgs = Object.entries(graph.metaArgs);
  if (metaArgs.length) {
    out.push(`global args: ${metaArgs.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join(' ')}`);
  }
  for (const stage of graph.stages) {
    out.push('');
    out.push(stageHeader(stage, graph.target));
    for (const step of stage.steps) {
      const at = `${step.instruction.span.line}`.padStart(5);
      out.push(`${at}  ${formatInstruction(step.instruction)}`);
    }
  }
  out.push('');
  const name = (i: number) => graph.stages[i]!.name ?? String(i);
  out.push(`build order: ${graph.order.map(name).join(' -> ')}`);
  for (const s of graph.skipped) out.push(`skipped: ${s.name ?? s.index} (${s.reason})`);
  if (graph.unusedBuildArgs.length)
    out.push(`unused build args: ${graph.unusedBuildArgs.join(', ')}`);
  if (r.warnings.length) {
    out.push('');
    out.push('warnings:');
    for (const w of r.warnings)
      out.push(`  ${w.span.file}:${w.span.line}:${w.span.col}: ${w.rule}: ${w.message}`);
  }
  return `${out.join('\n')}\n`;
}

function stageHeader(stage: Stage, target: number): string {
  const base =
    stage.base.kind === 'stage'
      ? `stage ${stage.base.index}`
      : stage.base.kind === 'image'
        ? `image ${stage.base.ref}`
        : 'scratch';
  const parts = [`stage ${stage.index}${stage.name ? ` "${stage.name}"` : ''}`, `from ${base}`];
  if (stage.platform) parts.push(`platform ${stage.platform}`);
  if (stage.dependsOn.length) parts.push(`needs ${stage.dependsOn.join(', ')}`);
  if (stage.images.length) parts.push(`reads images ${stage.images.join(', ')}`);
  if (stage.index === target) parts.push('(target)');
  return `${parts.join('  ')}  [line ${stage.from.span.line}]`;
}
