/**
 * A mount inside another mount (`--mount=type=bind,target=/app` and a cache
 * or tmpfs at /app/node_modules, or a -v under an image's VOLUME) goes through
 * the outer mount's source, whose symlinks the Dockerfile's author controls.
 * The built-in sandbox made its mounts with mount(8), in the step's mount
 * namespace before pivot_root, where the host's tree is still the root: a
 * context symlink `nm -> <the sandbox helper's dir>` put a tmpfs over the host
 * dir the helper is exec'd from (exit 127; a bind from a stage there would have
 * run the author's binary as root with the host's tree). Its helper now makes
 * the user's mounts, each target resolved inside the rootfs (openat2
 * RESOLVE_IN_ROOT) as runc and crun resolve it.
 */
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxInit } from '../../src/runtime/run/init-binary.js';
import { contextOf, storeWithBusybox } from '../build/harness.js';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';

const run = 'RUN --mount=type=bind,target=/app --mount=type=tmpfs,target=/app/nm ls -A /app/nm';

describe.each(['runc', 'crun', 'builtin'] as const)(
  'a mount inside a mount under %s',
  (runtime) => {
    it("follows no symlink of the outer mount's source out of the container", async () => {
      const root = await storeWithBusybox();
      const ctx = contextOf({ Dockerfile: `FROM busybox\n${run}\n` });
      symlinkSync(dirname(sandboxInit()), join(ctx, 'nm'));
      const r = await cli([
        'build',
        '--root',
        root,
        '--no-cache',
        '--network=none',
        '--progress=plain',
        '--runtime',
        runtime,
        ctx,
      ]);
      if (runtime === 'runc') {
        // runc resolves the link inside the container and makes the mount point there.
        expect(r.stderr).not.toContain('error');
        expect(r.code).toBe(0);
      } else {
        // crun and the built-in sandbox's helper resolve the link inside the
        // container, find nothing there, and make nothing.
        expect(r.stderr).toContain(
          runtime === 'crun'
            ? 'error: Dockerfile:2:1: crun: openat2 `app/nm`: No such file or directory'
            : 'error: Dockerfile:2:1: builtin sandbox setup failed: tsbuild-sandbox-init: mount on /app/nm: No such file or directory',
        );
        expect(r.code).toBe(1);
      }
      expect(readdirSync(dirname(sandboxInit()))).toContain('tsbuild-sandbox-init');
    }, 60_000);

    it('a -v under another -v shows inside it; a tmpfs in a bind; a read-only bind', async () => {
      const root = await storeWithBusybox();
      const outer = tempRoot('tsbuild-nested-outer-');
      const inner = tempRoot('tsbuild-nested-inner-');
      mkdirSync(join(outer, 'sub'));
      mkdirSync(join(outer, 'tmp'));
      writeFileSync(join(inner, 'mark'), 'inner\n');
      const r = await cli([
        'run',
        '--root',
        root,
        '--rm',
        '--network',
        'none',
        '--runtime',
        runtime,
        '-v',
        `${outer}:/data`,
        '-v',
        `${inner}:/data/sub:ro`,
        '--mount',
        'type=tmpfs,target=/data/tmp,tmpfs-size=1m',
        'busybox',
        'sh',
        '-c',
        'cat /data/sub/mark; touch /data/sub/x 2>/dev/null || echo ro; touch /data/tmp/y && ls /data/tmp; grep " /data/tmp " /proc/mounts | cut -d" " -f3',
      ]);
      expect(r).toMatchObject({ code: 0, stdout: 'inner\nro\ny\ntmpfs\n' });
      // The tmpfs was in the container, not in the host dir under it.
      expect(readdirSync(join(outer, 'tmp'))).toEqual([]);
    }, 60_000);
  },
);
