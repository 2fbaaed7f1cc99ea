/**
 * COPY/ADD --chmod in symbolic form (Dockerfile 1.14, BuildKit's dchapes-mode
 * rules, util/chmod.ts): each entry's own mode changed, `X` by whether it is a
 * directory or executable; the result counts in the cache key; a mode that is
 * neither octal nor symbolic is an error at the flag.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DockerfileError } from '../../../src/errors.js';
import { rejected } from '../../helpers/caught.js';
import { buildIn, contextOf, flatten, storeWithBusybox } from '../harness.js';

let root: string;
beforeAll(async () => {
  root = await storeWithBusybox();
});

const mode = (fs: string, path: string) => (statSync(join(fs, path)).mode & 0o7777).toString(8);

function context(dockerfile: string): string {
  const dir = contextOf({
    Dockerfile: dockerfile,
    a: 'a\n',
    exe: 'x\n',
    'd/f': 'f\n',
    'd/run': 'r\n',
  });
  chmodSync(join(dir, 'a'), 0o644);
  chmodSync(join(dir, 'exe'), 0o755);
  mkdirSync(join(dir, 'd/s'));
  chmodSync(join(dir, 'd/s'), 0o700);
  chmodSync(join(dir, 'd/f'), 0o600);
  chmodSync(join(dir, 'd/run'), 0o700);
  return dir;
}

describe('symbolic --chmod', () => {
  it('changes each entry from its own mode', async () => {
    const ctx = context(
      [
        'FROM scratch',
        'COPY --chmod=u+x a /u/',
        'COPY --chmod=u=rwx,go=rx a /v/',
        'COPY --chmod=go-rx exe /w/',
        'COPY --chmod=a+X d /dx/',
        'COPY --chmod=g=u-w d /gu/',
        'COPY --chmod=a+x <<EOF /h.sh',
        'echo hi',
        'EOF',
        'ADD --chmod=o-r a /add/',
      ].join('\n'),
    );
    await buildIn(root, { context: ctx, tags: ['chmod-sym'] });
    const fs = await flatten(root, 'chmod-sym');
    expect({
      u: mode(fs, 'u/a'),
      v: mode(fs, 'v/a'),
      w: mode(fs, 'w/exe'),
      dxDir: mode(fs, 'dx/s'),
      dxFile: mode(fs, 'dx/f'),
      dxExe: mode(fs, 'dx/run'),
      gu: mode(fs, 'gu/run'),
      heredoc: mode(fs, 'h.sh'),
      add: mode(fs, 'add/a'),
    }).toEqual({
      u: '744',
      v: '755',
      w: '700',
      dxDir: '711',
      dxFile: '600',
      dxExe: '711',
      gu: '750',
      heredoc: '755',
      add: '640',
    });
  });

  it('is part of the cache key: another mode misses, the same one hits', async () => {
    const build = (chmod: string) =>
      buildIn(root, { context: context(`FROM scratch\nCOPY --chmod=${chmod} a /a\n`) });
    expect((await build('u+x')).cached[`COPY --chmod=u+x a /a`]).toBe(false);
    expect((await build('u+x')).cached[`COPY --chmod=u+x a /a`]).toBe(true);
    expect((await build('u+w')).cached[`COPY --chmod=u+w a /a`]).toBe(false);
  });

  it('refuses a mode that is neither octal nor symbolic, at the flag', async () => {
    const e = await rejected(
      buildIn(root, { context: context('FROM scratch\nCOPY --chmod=u+q a /\n') }),
    );
    expect(e).toBeInstanceOf(DockerfileError);
    expect(e).toMatchObject({
      code: 'INVALID_CHMOD',
      message:
        'Dockerfile:2:6: invalid --chmod "u+q": expected an octal mode (0644) or a symbolic one (u+x, a=rX, u=rwx,go=rx)',
    });
  });

  it("refuses a number that is not octal, in BuildKit's words", async () => {
    const e = await rejected(
      buildIn(root, { context: context('FROM scratch\nADD --chmod=0789 a /\n') }),
    );
    expect(e).toMatchObject({
      code: 'INVALID_CHMOD',
      message:
        "Dockerfile:2:5: invalid chmod parameter: '0789'. it should be octal string and between 0 and 07777",
    });
  });
});
