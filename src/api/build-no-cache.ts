/**
 * `--no-cache-filter NAME[,NAME]`: which stages' steps run again instead of
 * coming from the cache. BuildKit's dockerui matches each name against the
 * stages' `AS` names without regard to case (strings.EqualFold) and says
 * nothing about a name no stage has; the build is the same here, with a
 * warning naming it, since a mistyped stage would otherwise go unnoticed.
 */
import type { BuildEvent } from '../build/events.js';
import type { StageGraph } from '../dockerfile/stages.js';

export function noCacheStages(
  graph: StageGraph,
  names: readonly string[],
  emit: (e: BuildEvent) => void,
): ReadonlySet<number> {
  const out = new Set<number>();
  for (const name of names) {
    const want = name.toLowerCase();
    const found = graph.stages.filter((s) => s.name?.toLowerCase() === want);
    if (found.length === 0)
      emit({ type: 'warning', message: `--no-cache-filter: no stage is named "${name}"` });
    for (const s of found) out.add(s.index);
  }
  return out;
}
