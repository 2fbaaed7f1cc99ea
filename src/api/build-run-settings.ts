/**
 * `build()`'s `addHosts`, `shmSize` and `ulimits`, checked (a caller of the API
 * gets the errors the CLI's flags give) and turned into the RUN settings every
 * step runs with.
 */
import { isIP } from 'node:net';
import { TsbuildError } from '../errors.js';
import { RLIMIT_NAMES, type ExtraHost, type RunSettings } from '../runtime/run/runner.js';
import type { BuildRequest } from './build-types.js';

export function runSettings(req: BuildRequest): RunSettings | undefined {
  const out: RunSettings = {};
  if (req.addHosts && req.addHosts.length > 0) out.extraHosts = checkExtraHosts(req.addHosts);
  if (req.shmSize !== undefined) {
    if (!Number.isSafeInteger(req.shmSize) || req.shmSize < 0)
      throw bad(`invalid shm size ${req.shmSize}: a whole number of bytes`);
    // 0 is Docker's "not set".
    if (req.shmSize > 0) out.shmSize = req.shmSize;
  }
  if (req.ulimits && req.ulimits.length > 0) {
    for (const u of req.ulimits) {
      if (!(RLIMIT_NAMES as readonly string[]).includes(u.name))
        throw bad(`invalid ulimit type: ${u.name}`);
      for (const v of [u.soft, u.hard])
        if (!Number.isSafeInteger(v) || v < -1)
          throw bad(`invalid ulimit ${u.name}: ${v} is not a limit (-1 is unlimited)`);
      if (u.hard !== -1 && (u.soft === -1 || u.soft > u.hard))
        throw bad(
          `ulimit soft limit must be less than or equal to hard limit: ${u.soft} > ${u.hard}`,
        );
    }
    out.rlimits = req.ulimits;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `addHosts` of build() and run(): a name without blanks or colons, an IP address. */
export function checkExtraHosts(hosts: ExtraHost[]): ExtraHost[] {
  for (const h of hosts) {
    if (h.host === '' || /[\s:]/.test(h.host))
      throw bad(`bad format for add-host: "${h.host}:${h.ip}"`);
    if (isIP(h.ip) === 0) throw bad(`invalid IP address in add-host: "${h.ip}"`);
  }
  return hosts;
}

function bad(message: string): TsbuildError {
  return new TsbuildError('USAGE', message);
}
