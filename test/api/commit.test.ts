/**
 * commit, diff, export and container prune on containers made through the
 * ContainerStore, their upper dirs written by hand in overlay form (what a
 * process in them would have left): exact listings, layers, configs and
 * history, without a runtime. test/cli/container-commit.test.ts runs the same
 * verbs on real `tsbuild run` containers beside Docker.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { commit } from '../../src/api/commit.js';
import { pruneContainers } from '../../src/api/container-prune.js';
import { diff } from '../../src/api/diff.js';
import { exportContainer } from '../../src/api/export.js';
import { history } from '../../src/api/history.js';
import { prune } from '../../src/api/prune.js';
import { rmi } from '../../src/api/tag.js';
import { OVERLAY_OPAQUE, writeXattr } from '../../src/layer/xattrs.js';
import { selfRef, type ContainerRecord, type RunConfig } from '../../src/store/containers.js';
import { Store } from '../../src/store/store.js';
import { configOf, flatten, storeWithBusybox } from '../build/harness.js';
import { collect } from '../layer/helpers.js';
import { tempRoot } from '../helpers/tmp.js';

let root: string;
let store: Store;

beforeEach(async () => {
  root = await storeWithBusybox();
  store = await Store.open(root);
});

function runConfig(over: Partial<RunConfig> = {}): RunConfig {
  return {
    entrypoint: null,
    cmd: ['sh', '-c', 'echo hi > /new'],
    args: ['sh', '-c', 'echo hi > /new'],
    env: [],
    cwd: '',
    user: '',
    hostname: 'c0ffee000000',
    mounts: [],
    binds: [],
    network: 'none',
    readOnly: false,
    init: false,
    autoRemove: false,
    tty: false,
    openStdin: false,
    runtime: 'auto',
    ...over,
  };
}

/** A stopped container on `image`, its upper dir filled by `fill`. */
async function container(
  fill: (upper: string) => void,
  opts: { image?: string; name?: string; config?: Partial<RunConfig> } = {},
): Promise<ContainerRecord> {
  const image = await store.resolve(opts.image ?? 'busybox');
  const layers = (await store.manifest(image)).layers.map((l) => l.digest);
  const r = await store.containers.create({
    kind: 'run',
    image: { id: image.id, ref: opts.image ?? 'busybox' },
    layers,
    config: runConfig(opts.config),
    ...(opts.name ? { name: opts.name } : {}),
  });
  fill(store.containers.upperDir(r.id));
  return (await store.containers.update(r.id, (c) => ({
    ...c,
    state: { status: 'exited', exitCode: 0, startedAt: c.created, finishedAt: c.created },
  })))!;
}

const whiteout = (p: string) => execFileSync('mknod', [p, 'c', '0', '0']);
const opaque = (p: string) => writeXattr(Buffer.from(p), OVERLAY_OPAQUE[0]!, Buffer.from('y'));
const put = (p: string, s: string) => {
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, s);
};

/** What the seeds' lessons do in a container: add, change, delete, replace a directory. */
function changes(u: string): void {
  put(join(u, 'new'), 'hi\n');
  mkdirSync(join(u, 'etc'));
  writeFileSync(join(u, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nsam:x:1:1::/:/bin/sh\n');
  whiteout(join(u, 'etc/group'));
  put(join(u, 'a/b/f'), '1\n');
  mkdirSync(join(u, 'home/app'), { recursive: true });
  opaque(join(u, 'home/app'));
  put(join(u, 'home/app/fresh'), 'fresh\n');
  // What the runner mounts over: never a change.
  writeFileSync(join(u, 'etc/hostname'), 'c0ffee000000\n');
  writeFileSync(join(u, 'etc/hosts'), '127.0.0.1 localhost\n');
}

describe('diff', () => {
  it("lists A, C and D as docker diff, parents as C, a directory's lines before its contents", async () => {
    const c = await container(changes);
    const lines = (await diff({ root, container: c.name })).map((x) => `${x.kind} ${x.path}`);
    expect(lines).toEqual([
      'A /a',
      'A /a/b',
      'A /a/b/f',
      'C /etc',
      'C /etc/passwd',
      'D /etc/group',
      'C /home',
      'C /home/app',
      'A /home/app/fresh',
      'A /new',
    ]);
  });

  it('is empty for a container that changed nothing, or only what the runner mounts', async () => {
    const c = await container((u) => {
      mkdirSync(join(u, 'etc'));
      writeFileSync(join(u, 'etc/resolv.conf'), 'nameserver 10.0.2.3\n');
    });
    expect(await diff({ root, container: c.id.slice(0, 12) })).toEqual([]);
  });

  it('says which container is missing', async () => {
    await expect(diff({ root, container: 'nope' })).rejects.toThrow('No such container: nope');
  });
});

describe('commit', () => {
  it('makes an image of the image and one layer of the changes, with author and comment', async () => {
    const c = await container(changes, { name: 'dev' });
    const id = await commit({
      root,
      container: 'dev',
      reference: 'sam/thriftdev:0.9.1',
      message: 'Thrift dev',
      author: 'Sam Thrift',
    });
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const config = await configOf(root, 'sam/thriftdev:0.9.1');
    const base = await configOf(root, 'busybox');
    expect(config.author).toBe('Sam Thrift');
    expect(config.container).toBe(c.id);
    expect(config.rootfs.diff_ids.slice(0, -1)).toEqual(base.rootfs.diff_ids);
    expect(config.rootfs.diff_ids).toHaveLength(base.rootfs.diff_ids.length + 1);
    expect(config.history!.at(-1)).toMatchObject({
      author: 'Sam Thrift',
      created_by: 'sh -c echo hi > /new',
      comment: 'Thrift dev',
    });
    expect(config.config).toMatchObject({
      Hostname: 'c0ffee000000',
      Cmd: ['sh', '-c', 'echo hi > /new'],
      Env: null,
      Image: 'busybox',
      Labels: {},
      OnBuild: null,
    });
    const h = await history({ root, image: 'sam/thriftdev:0.9.1' });
    expect(h[0]).toMatchObject({ id, comment: 'Thrift dev', createdBy: 'sh -c echo hi > /new' });
    expect(h[1]!.id).toBe((await store.resolve('busybox')).id);

    const fs = await flatten(root, 'sam/thriftdev:0.9.1');
    expect(readFileSync(join(fs, 'new'), 'utf8')).toBe('hi\n');
    expect(readFileSync(join(fs, 'etc/passwd'), 'utf8')).toContain('sam:x:1:1');
    expect(existsSync(join(fs, 'etc/group'))).toBe(false);
    expect(existsSync(join(fs, 'etc/hostname'))).toBe(false);
    expect(existsSync(join(fs, 'etc/hosts'))).toBe(false);
    expect(execFileSync('ls', ['-A', join(fs, 'home/app')], { encoding: 'utf8' })).toBe('fresh\n');
  });

  it('a container that changed nothing gets no layer: an empty_layer entry, as in Docker', async () => {
    await container(() => undefined, { name: 'idle' });
    await commit({ root, container: 'idle', reference: 'idle' });
    const config = await configOf(root, 'idle');
    expect(config.rootfs.diff_ids).toEqual((await configOf(root, 'busybox')).rootfs.diff_ids);
    expect(config.history!.at(-1)).toMatchObject({
      created_by: 'sh -c echo hi > /new',
      empty_layer: true,
    });
  });

  it('applies -c changes over the container config, and refuses a bad one writing nothing', async () => {
    await container(changes, { name: 'cfg', config: { env: ['A=1'], cwd: '/w' } });
    await commit({ root, container: 'cfg', reference: 'cfg', changes: ['ENV B=$A', 'WORKDIR x'] });
    expect((await configOf(root, 'cfg')).config).toMatchObject({
      Env: ['A=1', 'B=1'],
      WorkingDir: '/w/x',
    });
    const before = (await store.images()).length;
    await expect(commit({ root, container: 'cfg', changes: ['RUN x'] })).rejects.toThrow(
      'run is not a valid change command',
    );
    await expect(commit({ root, container: 'cfg', reference: 'Bad:Ref' })).rejects.toThrow();
    expect((await store.images()).length).toBe(before);
  });

  it('still works when rmi -f took the image: its config stays while a container uses it', async () => {
    const seed = await container(() => undefined);
    const only = await commit({
      root,
      container: seed.id,
      reference: 'only:1',
      changes: ['LABEL x=1'],
    });
    await store.containers.remove(seed.id, async () => undefined);
    const c = await container(changes, { name: 'orphan', image: 'only:1' });
    const short = (id: string) => id.replace('sha256:', '').slice(0, 12);
    await expect(rmi({ root, image: 'only:1' })).rejects.toThrow(
      `conflict: unable to remove repository reference "only:1" (must force) - container ${short(c.id)} is using its referenced image ${short(only)}`,
    );
    await expect(rmi({ root, image: only })).rejects.toThrow(
      `conflict: unable to delete ${short(only)} (must be forced) - image is being used by stopped container ${short(c.id)}`,
    );
    // Docker's -f: the tag and the image go; the container keeps its layers.
    expect(await rmi({ root, image: 'only:1', force: true })).toEqual([
      { untagged: 'only:1' },
      { deleted: only },
    ]);
    await rmi({ root, image: 'busybox', force: true });
    await prune({ root });
    await commit({ root, container: 'orphan', reference: 'rescued', message: 'after rmi -f' });
    expect(readFileSync(join(await flatten(root, 'rescued'), 'new'), 'utf8')).toBe('hi\n');
  });
});

describe('rmi of an image a running container uses', () => {
  it('refuses, and -f by name only untags it (Docker 20.10)', async () => {
    const seed = await container(() => undefined);
    const img = await commit({
      root,
      container: seed.id,
      reference: 'live:1',
      changes: ['LABEL y=1'],
    });
    await store.containers.remove(seed.id, async () => undefined);
    const c = await container(() => undefined, { image: 'live:1' });
    await store.containers.update(c.id, (r) => ({
      ...r,
      state: { status: 'running', supervisor: selfRef(), exitCode: 0, startedAt: r.created },
    }));
    const short = (id: string) => id.replace('sha256:', '').slice(0, 12);
    await expect(rmi({ root, image: 'live:1' })).rejects.toThrow(
      `conflict: unable to remove repository reference "live:1" (must force) - container ${short(c.id)} is using its referenced image ${short(img)}`,
    );
    for (const force of [false, true])
      await expect(rmi({ root, image: short(img), force })).rejects.toThrow(
        `conflict: unable to delete ${short(img)} (cannot be forced) - image is being used by running container ${short(c.id)}`,
      );
    expect(await rmi({ root, image: 'live:1', force: true })).toEqual([{ untagged: 'live:1' }]);
    expect((await store.resolve(img)).tags).toEqual([]);
  });
});

describe('export', () => {
  it('streams the flattened filesystem: layers and changes merged, whiteouts carried out', async () => {
    await container(changes, { name: 'ex' });
    const tar = await collect(await exportContainer({ root, container: 'ex' }));
    const out = tempRoot();
    execFileSync('tar', ['-x', '-C', out], { input: tar });
    expect(readFileSync(join(out, 'new'), 'utf8')).toBe('hi\n');
    expect(readFileSync(join(out, 'etc/passwd'), 'utf8')).toContain('sam:x:1:1');
    expect(existsSync(join(out, 'etc/group'))).toBe(false);
    expect(existsSync(join(out, 'bin/busybox'))).toBe(true);
    expect(execFileSync('ls', ['-A', join(out, 'home/app')], { encoding: 'utf8' })).toBe('fresh\n');
    const names = execFileSync('tar', ['-t'], { input: tar, encoding: 'utf8' }).split('\n');
    expect(names.filter((n) => n.includes('.wh.'))).toEqual([]);
  });
});

describe('container prune', () => {
  it('removes stopped containers only, says their changes size, and prune never removes one', async () => {
    const stopped = await container((u) => put(join(u, 'f'), 'hello\n'));
    const running = await container(() => undefined);
    await store.containers.update(running.id, (c) => ({
      ...c,
      state: { status: 'running', supervisor: selfRef(), exitCode: 0, startedAt: c.created },
    }));
    await prune({ root, all: true });
    expect((await store.containers.list()).map((c) => c.id).sort()).toEqual(
      [stopped.id, running.id].sort(),
    );
    expect(await pruneContainers({ root })).toEqual({ deleted: [stopped.id], reclaimed: 6 });
    expect((await store.containers.list()).map((c) => c.id)).toEqual([running.id]);
    expect(await pruneContainers({ root, filters: ['until=1h'] })).toEqual({
      deleted: [],
      reclaimed: 0,
    });
  });
});
