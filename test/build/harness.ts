/**
 * Real builds for the engine's tests: a store in a temp dir with the busybox
 * base imported as `busybox`, contexts written from a file map, and a build that
 * collects its events.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from '../../src/api/build.js';
import { applyLayer } from '../../src/layer/apply.js';
import { Store } from '../../src/store/store.js';
import type { ImageConfig } from '../../src/image/types.js';
import type { BuildRequest, BuildResult } from '../../src/api/build-types.js';
import { importImage } from '../../src/api/import.js';
import type { BuildEvent } from '../../src/build/events.js';
import { busyboxRootfsTar } from '../helpers/busybox.js';
import { tempRoot } from '../helpers/tmp.js';

export interface Built extends BuildResult {
  events: BuildEvent[];
  /** Per step text (FROM lines excluded): true when it came from the cache. */
  cached: Record<string, boolean>;
  /** RUN output, all steps. */
  output: string;
}

/** A store with busybox imported; `env` keeps TSBUILD_ROOT and XDG out of it. */
export async function storeWithBusybox(): Promise<string> {
  const root = tempRoot('tsbuild-build-');
  await importImage({ root, path: await busyboxRootfsTar(), tag: 'busybox:latest', env: {} });
  return root;
}

/** Write `files` (relative path → content) under a new directory; returns it. */
export function contextOf(files: Record<string, string>, dir = tempRoot('tsbuild-ctx-')): string {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

export async function buildIn(root: string, req: Omit<BuildRequest, 'root'>): Promise<Built> {
  const events: BuildEvent[] = [];
  const result = await build({ root, env: {}, ...req, onEvent: (e) => events.push(e) });
  return { ...result, events, ...summarize(events) };
}

export function summarize(events: BuildEvent[]): {
  cached: Record<string, boolean>;
  output: string;
} {
  const text = new Map<number, string>();
  const cached: Record<string, boolean> = {};
  let output = '';
  for (const e of events) {
    if (e.type === 'step') text.set(e.step, e.text);
    if (e.type === 'done' && !text.get(e.step)!.startsWith('FROM '))
      cached[text.get(e.step)!] = e.cached;
    if (e.type === 'output') output += e.data;
  }
  return { cached, output };
}

/** The image's filesystem: every layer applied in order into a new directory. */
export async function flatten(root: string, image: string): Promise<string> {
  const store = await Store.open(root);
  const record = await store.resolve(image);
  const dir = tempRoot('tsbuild-flat-');
  for (const l of (await store.manifest(record)).layers)
    await applyLayer(dir, await store.openLayer(l.digest), { whiteouts: 'apply' });
  return dir;
}

export async function configOf(root: string, image: string): Promise<ImageConfig> {
  const store = await Store.open(root);
  return store.config(await store.resolve(image));
}
