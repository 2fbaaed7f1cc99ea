/**
 * RUN <<EOF whose body starts with #!: BuildKit runs it as a file
 * (/dev/pipes/EOF, mode 0755) through the shell, so the kernel reads the #!
 * line; an interpreter whose -c means something else (awk) runs it right.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildIn, configOf, contextOf, flatten, storeWithBusybox } from './harness.js';

let root: string;
beforeAll(async () => {
  root = await storeWithBusybox();
});

describe.each(['runc', 'crun', 'builtin'] as const)('a #! heredoc under %s', (runtime) => {
  it('runs as an executable file, and leaves nothing of /dev/pipes in the image', async () => {
    const ctx = contextOf({
      Dockerfile: [
        'FROM busybox',
        'RUN <<EOF',
        '#!/bin/awk -f',
        'BEGIN { print "awk ran the script" }',
        'EOF',
        'RUN <<SH',
        '#!/bin/sh',
        'echo "as $0, $(stat -c %a "$0")"; (echo x > "$0") 2>/dev/null || echo read-only',
        'SH',
        '',
      ].join('\n'),
    });
    const b = await buildIn(root, {
      context: ctx,
      runtime,
      noCache: true,
      tags: [`heredoc-${runtime}`],
    });
    expect(b.output).toBe('awk ran the script\nas /dev/pipes/SH, 755\nread-only\n');
    expect(readdirSync(join(await flatten(root, `heredoc-${runtime}`), 'dev'))).toEqual([]);
    const history = (await configOf(root, `heredoc-${runtime}`)).history!.map((h) => h.created_by);
    expect(history.slice(-2)).toEqual([
      'RUN /bin/sh -c /dev/pipes/EOF # buildkit',
      'RUN /bin/sh -c /dev/pipes/SH # buildkit',
    ]);
  });
});
