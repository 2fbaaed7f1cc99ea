/**
 * The build-wide RUN settings (`--add-host`, `--shm-size`, `--ulimit`) as they
 * enter a RUN step's cache key: each changes what a step can see and do (a name
 * that resolves, space in /dev/shm, how many files it may open), so a step run
 * under other settings is another step. BuildKit keys them the same way: they
 * are fields of the ExecOp's Meta. Unset ones add nothing, so the keys of a
 * build without them are what they always were.
 *
 *   --add-host db:10.0.0.5 --ulimit nofile=1024:2048
 *   → { hosts: 'db=10.0.0.5', ulimits: 'nofile=1024:2048' }
 */
import { DEFAULT_SHM_SIZE } from '../runtime/run/spec.js';
import type { RunSettings } from '../runtime/run/runner.js';

export function runSettingsKey(s: RunSettings | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (s?.extraHosts && s.extraHosts.length > 0)
    out.hosts = s.extraHosts.map((h) => `${h.host}=${h.ip}`).join(',');
  if (s?.shmSize !== undefined && s.shmSize !== DEFAULT_SHM_SIZE) out.shm = String(s.shmSize);
  if (s?.rlimits && s.rlimits.length > 0)
    out.ulimits = s.rlimits.map((r) => `${r.name}=${r.soft}:${r.hard}`).join(',');
  return out;
}
