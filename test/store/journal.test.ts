/**
 * The store's power-loss model (src/store/journal.ts): no fsync per file, one
 * filesystem sync before a command reports success, a marker while writes are
 * unsynced — and, when a store is opened with a marker another boot left,
 * everything those writes may have torn taken out before it is read.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';
import { buildIn, configOf, contextOf, storeWithBusybox } from '../build/harness.js';

const markers = (root: string) =>
  existsSync(join(root, 'unsynced')) ? readdirSync(join(root, 'unsynced')) : [];
const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
const hex = (d: string) => d.slice('sha256:'.length);
const build = (root: string, ctx: string) =>
  cli(['build', '--root', root, '--progress=classic', ctx]);

describe('the store journal', () => {
  it('leaves no marker once a build has listed its image: what it wrote is synced', async () => {
    const root = await storeWithBusybox();
    await buildIn(root, {
      context: contextOf({ Dockerfile: 'FROM busybox\nRUN echo a > /a\n' }),
      tags: ['j:1'],
    });
    expect(markers(root)).toEqual([]);
  });

  it('keeps the marker of a build that failed; the next command that locks the store, once that process is gone, syncs and drops it', async () => {
    const root = await storeWithBusybox();
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN echo a > /a\nRUN exit 3\n' });
    // A process of its own, so that it is gone afterwards.
    const vite = join(process.cwd(), 'node_modules', '.bin', 'vite-node');
    const child = join(process.cwd(), 'test', 'security', 'cli-child.ts');
    let status = 0;
    try {
      execFileSync(vite, [child, '--', 'build', '--root', root, '--progress=classic', ctx], {
        stdio: 'ignore',
      });
    } catch (e) {
      status = (e as { status: number }).status;
    }
    expect(status).toBe(3);
    expect(markers(root)).toHaveLength(1);
    expect(markers(root)[0]).toMatch(new RegExp(`^${bootId}_unsynced-\\d+-`));
    expect((await cli(['prune', '--root', root])).code).toBe(0);
    expect(markers(root)).toEqual([]);
  }, 60_000);

  it("after another boot's marker, opening the store takes out what the unsynced writes touched, and keeps listed images whole", async () => {
    const root = await storeWithBusybox();
    await buildIn(root, {
      context: contextOf({ Dockerfile: 'FROM busybox\nRUN echo kept > /kept\n' }),
      tags: ['kept:1'],
    });
    const keptLayer = (await configOf(root, 'kept:1')).rootfs.diff_ids[1]!;
    // A build that writes layers and cache records, then fails: its writes are unsynced.
    const ctx = contextOf({ Dockerfile: 'FROM busybox\nRUN echo torn > /torn\nRUN exit 3\n' });
    expect((await build(root, ctx)).code).toBe(3);
    const [marker] = markers(root);
    expect(marker).toBeDefined();
    const snapshotsBefore = readdirSync(join(root, 'snapshots'));
    expect(snapshotsBefore.length).toBeGreaterThan(2);
    // The machine lost power and booted again: the marker is of another boot.
    renameSync(
      join(root, 'unsynced', marker!),
      join(root, 'unsynced', marker!.replace(bootId, '00000000-0000-4000-8000-000000000000')),
    );

    const images = await cli(['images', '--root', root, '--format', '{{.Repository}}:{{.Tag}}']);
    expect(images.code).toBe(0);
    expect(images.stdout.split('\n').sort()).toEqual(['', 'busybox:latest', 'kept:1']);
    expect(markers(root)).toEqual([]);
    // The failed build's layer and records are gone; the listed image's layer stays.
    const after = readdirSync(join(root, 'snapshots'));
    expect(after).toContain(hex(keptLayer));
    expect(after.length).toBeLessThan(snapshotsBefore.length);
    // So the step runs again instead of trusting what may be torn...
    const again = await build(root, ctx);
    expect(again.stdout).not.toContain('Using cache');
    expect(again.stdout).toContain('RUN echo torn > /torn');
    // ...and the kept image is whole: save makes its layers again and checks them.
    const saved = await cli(['save', '--root', root, '-o', join(tempRoot(), 'k.tar'), 'kept:1']);
    expect(saved.stderr).toBe('');
    expect(saved.code).toBe(0);
  }, 60_000);
});
