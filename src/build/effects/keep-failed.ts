/**
 * A RUN that fails is kept as a stopped container (ContainerRecord kind
 * 'failed-step'): what the step wrote, over the layers below, becomes the
 * container's upper dir, and its command, environment, working directory and
 * user its config. `tsbuild debug <id>` opens a shell in exactly that state;
 * `commit` makes an image of it; `ps -a` lists it and `container prune` removes
 * it. A newer failure of the same step (same cache key) replaces the older one,
 * so retrying a broken build does not pile up copies of its partial writes.
 *
 * The upper dir is moved, not copied: an overlay snapshot hands over its upper
 * dir (detach), which sits in the store's tmp/, on the store's file system. A
 * copy snapshot's diff is extracted in overlay form instead.
 */
import { rename } from 'node:fs/promises';
import { applyLayer } from '../../layer/apply.js';
import type { Descriptor } from '../../image/types.js';
import { DEFAULT_HOSTNAME } from '../../runtime/run/runner.js';
import type { Snapshot } from '../../runtime/snapshot/types.js';
import { liveState, type ContainerRecord } from '../../store/containers.js';
import type { BuildDeps } from '../deps.js';
import type { Effect } from '../instructions/types.js';

export interface FailedStep {
  /** The layers the step ran on, bottom first. */
  layers: Descriptor[];
  /** The stage's state id before the step: the "image" `ps` names. */
  parent: string;
  effect: Extract<Effect, { kind: 'run' }>;
  /** The instruction as the build printed it, e.g. `RUN make`. */
  text: string;
  key: string;
  exitCode: number;
  startedAt: string;
}

/** Keep `snap` as a stopped container; resolves to its record. */
export async function keepFailedStep(
  deps: BuildDeps,
  snap: Snapshot,
  step: FailedStep,
): Promise<ContainerRecord> {
  const containers = deps.store.containers;
  const network = step.effect.network === 'default' ? deps.network : step.effect.network;
  const record = await containers.create({
    kind: 'failed-step',
    image: { id: step.parent, ref: step.parent.replace(/^sha256:/, '').slice(0, 12) },
    layers: step.layers.map((l) => l.digest),
    step: { instruction: step.text, key: step.key },
    config: {
      entrypoint: null,
      cmd: step.effect.args,
      args: step.effect.args,
      env: step.effect.env,
      cwd: step.effect.cwd,
      user: step.effect.user,
      // What the step saw: a shell opened in it sees the same.
      hostname: DEFAULT_HOSTNAME,
      mounts: [],
      binds: [],
      network,
      readOnly: false,
      init: false,
      autoRemove: false,
      tty: false,
      openStdin: false,
      runtime: deps.runner().name,
    },
  });
  try {
    const upper = containers.upperDir(record.id);
    if (snap.detach) {
      // rename(2) replaces the empty upper/ create() made.
      await rename(await snap.detach(), upper);
    } else {
      await applyLayer(upper, snap.diff(), { whiteouts: 'overlay' });
    }
    const kept = await containers.update(record.id, (r) => ({
      ...r,
      state: {
        status: 'exited',
        exitCode: step.exitCode,
        startedAt: step.startedAt,
        finishedAt: new Date().toISOString(),
      },
    }));
    await replaceOlder(deps, record.id, step.key);
    return kept ?? record;
  } catch (e) {
    await containers.remove(record.id, async () => undefined).catch(() => undefined);
    throw e;
  }
}

/**
 * Remove the earlier kept failures of the same step, unless a shell runs in
 * one: checked again under the store's lock (remove's `prepare`), so that a
 * `tsbuild debug` starting meanwhile keeps it (and its mounts) whole.
 */
async function replaceOlder(deps: BuildDeps, keep: string, key: string): Promise<void> {
  const containers = deps.store.containers;
  for (const r of await containers.list()) {
    if (r.id === keep || r.kind !== 'failed-step' || r.step?.key !== key) continue;
    await containers
      .remove(r.id, async () => {
        const now = await containers.get(r.id);
        if (now && liveState(now.state).status !== 'exited') throw new InUse();
      })
      .catch((e: unknown) => {
        if (!(e instanceof InUse)) throw e;
      });
  }
}

/** A kept failure that is not stopped: it stays. */
class InUse extends Error {}
