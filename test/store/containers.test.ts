/**
 * The container records: made whole, named as Docker names them, found by ID,
 * name or prefix with Docker's errors, shown exited once their supervisor is
 * gone, and holding their layers against rmi and prune.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NewContainer, RunConfig } from '../../src/store/containers.js';
import { liveState, selfRef } from '../../src/store/containers.js';
import { prune } from '../../src/store/prune.js';
import { removeImage } from '../../src/store/remove.js';
import { Store } from '../../src/store/store.js';
import { startTime } from '../../src/util/temp-owner.js';
import { rejected } from '../helpers/caught.js';
import { addTestImage } from '../helpers/images.js';
import { tempRoot } from '../helpers/tmp.js';

const CONFIG: RunConfig = {
  entrypoint: null,
  cmd: ['sh'],
  args: ['sh'],
  env: [],
  cwd: '',
  user: '',
  hostname: 'h',
  mounts: [],
  binds: [],
  network: 'none',
  readOnly: false,
  init: false,
  autoRemove: false,
  tty: false,
  openStdin: false,
  runtime: 'auto',
};

function container(image: { id: string }, layers: string[], name?: string): NewContainer {
  return {
    kind: 'run',
    image: { id: image.id, ref: 'app' },
    layers,
    config: (id) => ({ ...CONFIG, hostname: id.slice(0, 12) }),
    ...(name ? { name } : {}),
  };
}

async function storeWithApp() {
  const store = await Store.open(tempRoot());
  const app = await addTestImage(store, { layers: [{ a: '1' }, { b: '2' }], tags: ['app'] });
  const layers = (await store.manifest(app)).layers.map((l) => l.digest);
  return { store, app, layers };
}

describe('ContainerStore', () => {
  it('makes a container dir with its record, upper and work dirs, a Docker-style name and the short ID as hostname', async () => {
    const { store, app, layers } = await storeWithApp();
    const r = await store.containers.create(container(app, layers));
    expect(r.id).toMatch(/^[0-9a-f]{64}$/);
    expect(r.name).toMatch(/^[a-z]+_[a-z]+$/);
    expect(r.config.hostname).toBe(r.id.slice(0, 12));
    expect(r.state).toEqual({ status: 'created', exitCode: 0 });
    expect(readdirSync(store.containers.path(r.id)).sort()).toEqual([
      'config.json',
      'rootfs',
      'run',
      'upper',
      'work',
    ]);
    // Nothing half-made left behind in tmp/.
    expect(readdirSync(join(store.root, 'tmp')).filter((n) => n.startsWith('container-'))).toEqual(
      [],
    );
    expect(await store.containers.get(r.id)).toEqual(r);
  });

  it("refuses a name in use with Docker's error, and a name with other characters", async () => {
    const { store, app, layers } = await storeWithApp();
    const first = await store.containers.create(container(app, layers, 'web'));
    const e = await rejected(store.containers.create(container(app, layers, '/web')));
    expect(e.message).toBe(
      `Conflict. The container name "/web" is already in use by container "${first.id}". You have to remove (or rename) that container to be able to reuse that name.`,
    );
    const bad = await rejected(store.containers.create(container(app, layers, 'a b')));
    expect(bad.message).toBe(
      'Invalid container name (a b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed',
    );
    expect((await store.containers.list()).map((c) => c.name)).toEqual(['web']);
  });

  it('resolves a full ID, a name (with or without /), a unique prefix; says "No such container" otherwise', async () => {
    const { store, app, layers } = await storeWithApp();
    const a = await store.containers.create(container(app, layers, 'one'));
    const b = await store.containers.create(container(app, layers, 'two'));
    expect((await store.containers.resolve(a.id)).id).toBe(a.id);
    expect((await store.containers.resolve('two')).id).toBe(b.id);
    expect((await store.containers.resolve('/one')).id).toBe(a.id);
    expect((await store.containers.resolve(b.id.slice(0, 5))).id).toBe(b.id);
    expect((await rejected(store.containers.resolve('three'))).message).toBe(
      'No such container: three',
    );
    // Every ID starts with some hex digit: a one-digit prefix shared by both is ambiguous.
    const common = [...'0123456789abcdef'].find((d) => a.id.startsWith(d) && b.id.startsWith(d));
    if (common !== undefined)
      expect((await rejected(store.containers.resolve(common))).message).toBe(
        `Multiple IDs found with provided prefix: ${common}`,
      );
  });

  it('shows a running container whose supervisor is gone as exited (255), never running', async () => {
    const { store, app, layers } = await storeWithApp();
    const r = await store.containers.create(container(app, layers));
    const gone = await deadProcess();
    await store.containers.update(r.id, (c) => ({
      ...c,
      state: { status: 'running', supervisor: gone, exitCode: 0, startedAt: c.created },
    }));
    const [listed] = await store.containers.list();
    expect(listed!.state.status).toBe('exited');
    expect(listed!.state.exitCode).toBe(255);
    const alive = liveState({ status: 'running', supervisor: selfRef(), exitCode: 0 });
    expect(alive.status).toBe('running');
  });

  it('removes a container and its dir', async () => {
    const { store, app, layers } = await storeWithApp();
    const r = await store.containers.create(container(app, layers));
    const seen: string[] = [];
    await store.containers.remove(r.id, async (dir) => {
      seen.push(dir);
    });
    expect(seen).toEqual([store.containers.path(r.id)]);
    expect(existsSync(store.containers.path(r.id))).toBe(false);
    expect(await store.containers.list()).toEqual([]);
  });
});

describe('containers and the GC', () => {
  it("rmi refuses an image a container uses with Docker's messages; -f removes it and keeps the layers", async () => {
    const { store, app, layers } = await storeWithApp();
    const r = await store.containers.create(container(app, layers));
    const short = app.id.slice(7, 19);
    expect((await rejected(removeImage(store, 'app'))).message).toBe(
      `conflict: unable to remove repository reference "app" (must force) - container ${r.id.slice(0, 12)} is using its referenced image ${short}`,
    );
    expect((await rejected(removeImage(store, app.id))).message).toBe(
      `conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${r.id.slice(0, 12)}`,
    );
    await store.containers.update(r.id, (c) => ({
      ...c,
      state: { status: 'running', supervisor: selfRef(), exitCode: 0 },
    }));
    expect((await rejected(removeImage(store, app.id, { force: true }))).message).toBe(
      `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${r.id.slice(0, 12)}`,
    );
    await store.containers.update(r.id, (c) => ({
      ...c,
      state: { status: 'exited', exitCode: 0 },
    }));
    await removeImage(store, app.id, { force: true });
    expect(await store.images()).toEqual([]);
    for (const l of layers) expect(await store.hasLayer(l)).toBe(true);
  });

  it('prune keeps a dangling image a container uses and its layers, and removes what nothing holds', async () => {
    const store = await Store.open(tempRoot());
    const used = await addTestImage(store, { layers: [{ a: '1' }, { b: '2' }] });
    const layers = (await store.manifest(used)).layers.map((l) => l.digest);
    await store.containers.create(container(used, layers));
    const other = await addTestImage(store, { layers: [{ other: '3' }] });
    const otherLayer = (await store.manifest(other)).layers[0]!.digest;
    // Older than prune's grace period, so that age keeps nothing.
    const old = new Date(Date.now() - 3_600_000);
    for (const dir of [store.blobs.dir, store.layers.dir])
      for (const n of readdirSync(dir)) utimesSync(join(dir, n), old, old);
    await prune(store);
    expect((await store.images()).map((i) => i.id)).toEqual([used.id]);
    for (const l of layers) expect(await store.hasLayer(l)).toBe(true);
    expect(await store.hasLayer(otherLayer)).toBe(false);
  });

  it("prune keeps a container's layers when its image is gone", async () => {
    const { store, app, layers } = await storeWithApp();
    await store.containers.create(container(app, layers));
    await removeImage(store, 'app', { force: true });
    expect(await store.images()).toEqual([]);
    const old = new Date(Date.now() - 3_600_000);
    for (const dir of [store.blobs.dir, store.layers.dir])
      for (const n of readdirSync(dir)) utimesSync(join(dir, n), old, old);
    await prune(store);
    for (const l of layers) expect(await store.hasLayer(l)).toBe(true);
  });
});

/** A process that ran and is gone: its pid and start time no longer name a live process. */
async function deadProcess(): Promise<{ pid: number; start: string }> {
  const child = spawn('sleep', ['5']);
  const pid = child.pid!;
  const start = startTime(pid)!;
  child.kill('SIGKILL');
  await new Promise((r) => child.once('close', r));
  return { pid, start };
}
