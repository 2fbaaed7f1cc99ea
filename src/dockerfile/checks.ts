/**
 * The `# check=` directive: which warnings to drop, and whether the rest fail
 * the build, as BuildKit reads it.
 *
 *   # check=skip=JSONArgsRecommended,StageNameCasing
 *   # check=skip=all
 *   # check=error=true            any remaining warning is an error
 *   # check=skip=LegacyKeyValueFormat;error=true
 */
import { DockerfileError } from '../errors.js';
import type { Directive, Warning } from './ast.js';

export interface CheckSettings {
  skip: Set<string> | 'all';
  error: boolean;
}

export function checkSettings(directives: readonly Directive[]): CheckSettings {
  const settings: CheckSettings = { skip: new Set(), error: false };
  const value = directives.find((d) => d.name === 'check')?.value ?? '';
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    const val = part.slice(eq + 1).trim();
    if (key === 'skip') {
      const rules = val
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean);
      settings.skip = rules.some((r) => r.toLowerCase() === 'all') ? 'all' : new Set(rules);
    } else if (key === 'error') {
      settings.error = val.toLowerCase() === 'true';
    }
  }
  return settings;
}

/** The warnings the directive keeps; with `error=true`, a DockerfileError at the first of them. */
export function applyChecks(directives: readonly Directive[], warnings: Warning[]): Warning[] {
  const { skip, error } = checkSettings(directives);
  const kept = skip === 'all' ? [] : warnings.filter((w) => !skip.has(w.rule));
  if (error && kept.length > 0) {
    const rules = [...new Set(kept.map((w) => w.rule))].join(', ');
    throw new DockerfileError(
      'LINT_VIOLATION',
      `lint violation found for rules: ${rules}`,
      kept[0]!.span,
      {
        hint: `the "# check=error=true" directive makes every warning an error; fix them, or skip a rule with "# check=skip=${kept[0]!.rule}"`,
        data: { warnings: kept },
      },
    );
  }
  return kept;
}
