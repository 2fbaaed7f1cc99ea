/**
 * A mount inside another mount (`--mount=type=bind,target=/app` and a cache
 * or tmpfs at /app/node_modules, or a -v under an image's VOLUME) is resolved
 * by mount(8) when it is made, in the sandbox's mount namespace, where the
 * host's tree is still the root: through the outer mount's source, whose
 * symlink the Dockerfile's author controls. Under the built-in sandbox a
 * context symlink `nm -> <the sandbox helper's dir>` put a tmpfs over the host
 * dir the helper is exec'd from (exit 127; a bind from a stage there would have
 * run the author's binary as root with the host's tree). The built-in sandbox
 * now refuses such a mount in one line; runc and crun resolve it inside the
 * container, as Docker does.
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
      if (runtime === 'builtin') {
        expect(r.stderr.trimEnd().split('\n').at(-3)).toBe(
          'error: Dockerfile:2:1: the built-in sandbox cannot mount /app/nm inside the mount at /app: a symlink in what is mounted there could send it outside the container; runc and crun can (--runtime=runc or crun)',
        );
        expect(r.code).toBe(1);
      } else if (runtime === 'crun') {
        // crun resolves the link inside the container, finds nothing there, and makes nothing.
        expect(r.stderr).toContain(
          'error: Dockerfile:2:1: crun: openat2 `app/nm`: No such file or directory',
        );
        expect(r.code).toBe(1);
      } else {
        // runc resolves the link inside the container and makes the mount point there.
        expect(r.stderr).not.toContain('error');
        expect(r.code).toBe(0);
      }
      expect(readdirSync(dirname(sandboxInit()))).toContain('tsbuild-sandbox-init');
    }, 60_000);

    it('a -v under another -v: refused by the built-in sandbox alone', async () => {
      const root = await storeWithBusybox();
      const outer = tempRoot('tsbuild-nested-outer-');
      const inner = tempRoot('tsbuild-nested-inner-');
      mkdirSync(join(outer, 'sub'));
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
        `${inner}:/data/sub`,
        'busybox',
        'cat',
        '/data/sub/mark',
      ]);
      if (runtime === 'builtin') {
        expect(r.stderr).toContain(
          'the built-in sandbox cannot mount /data/sub inside the mount at /data',
        );
        expect(r.code).not.toBe(0);
      } else expect(r).toMatchObject({ code: 0, stdout: 'inner\n' });
    }, 60_000);
  },
);
