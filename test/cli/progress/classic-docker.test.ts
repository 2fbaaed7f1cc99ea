/**
 * The classic display beside docker 20.10's classic builder (DOCKER_BUILDKIT=0),
 * building the same Dockerfiles: the same lines, but for the ones about
 * containers (tsbuild has none) and the IDs (other engines, other IDs). Pins
 * step lines as written (legacy `ENV A b`, `--interval=30s`, `as`, a keyword's
 * case, continuation lines joined, `$V` unexpanded), ONBUILD triggers run under
 * their FROM's number, and `FROM scratch`'s empty ` ---> `.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar } from '../../helpers/busybox.js';
import { cli } from '../../helpers/cli.js';
import { dockerOk } from '../../helpers/docker.js';
import { contextOf, storeWithBusybox } from '../../build/harness.js';

const RUN_ID = randomBytes(6).toString('hex');
const BASE = `tsbuild-classic-base:${RUN_ID}`;
const PARENT = `tsbuild-classic-parent:${RUN_ID}`;

const PARENT_DOCKERFILE = [
  `FROM ${BASE} as base`,
  'LABEL Maintainer Bob Smith "bob@example.com"',
  'ENV A b',
  'ENV  C=d   E="f g"',
  'ARG V=1',
  'HEALTHCHECK --interval=30s --timeout=5s CMD echo ok',
  'RUN echo one \\',
  '    two \\',
  '# a comment between continuation lines',
  '  three $V',
  'run   echo   lower   ',
  'EXPOSE 80',
  'ONBUILD RUN echo trigger one',
  'ONBUILD   ENV X=y',
  'CMD ["echo",  "hi"]',
  '',
].join('\n');

/** A stage whose base has two triggers, then one built FROM scratch that copies from it. */
const CHILD_DOCKERFILE = [
  `FROM ${PARENT} AS child`,
  'RUN echo after',
  'FROM scratch',
  'COPY --from=child /bin/busybox /busybox',
  '',
].join('\n');

let root: string;
beforeAll(async () => {
  root = await storeWithBusybox();
  const tar = await busyboxRootfsTar();
  await dockerOk(['import', tar, BASE]);
  const r = await cli(['import', '--root', root, tar, BASE]);
  if (r.code !== 0) throw new Error(r.stderr);
}, 120_000);

/** Docker's output without its container lines, every image ID made `<id>`. */
function comparable(stdout: string): string {
  return stdout
    .replace(/^Sending build context to Docker daemon[^\n]*\n/, '') // ends in \r\r\n
    .replace(/^ ---> Running in [0-9a-f]{12}\n/gm, '')
    .replace(/^Removing intermediate container [0-9a-f]{12}\n/gm, '')
    .replace(/^( ---> |Successfully built )[0-9a-f]{12}$/gm, '$1<id>');
}

async function both(dockerfile: string, tag: string, extra: string[] = []) {
  const ctx = contextOf({ Dockerfile: dockerfile });
  const argv = ['--network=none', '-t', tag, ...extra, ctx];
  const d = await dockerOk(['build', ...argv], { env: { DOCKER_BUILDKIT: '0' } });
  const t = await cli(['build', '--root', root, '--progress=classic', ...argv]);
  expect(t.code, t.stderr).toBe(0);
  return { docker: comparable(d.stdout), tsbuild: comparable(t.stdout) };
}

describe("the classic display, beside docker's classic builder", () => {
  it('prints each step as written in the Dockerfile', async () => {
    const { docker, tsbuild } = await both(PARENT_DOCKERFILE, PARENT, ['--no-cache']);
    expect(docker).toContain('Step 7/12 : RUN echo one     two   three $V\n');
    expect(tsbuild).toBe(docker);
  });

  it('runs ONBUILD triggers under their FROM, and prints nothing after FROM scratch', async () => {
    const tag = `tsbuild-classic-child:${RUN_ID}`;
    const first = await both(CHILD_DOCKERFILE, tag, ['--no-cache']);
    expect(first.docker).toContain(
      'Step 1/4 : FROM tsbuild-classic-parent:' +
        `${RUN_ID} AS child\n# Executing 2 build triggers\ntrigger one\n ---> <id>\n`,
    );
    expect(first.docker).toContain('Step 3/4 : FROM scratch\n ---> \n');
    expect(first.tsbuild).toBe(first.docker);
    // Cached, each trigger says so.
    const again = await both(CHILD_DOCKERFILE, tag);
    expect(again.docker).toContain(' ---> Using cache\n ---> Using cache\n ---> <id>\n');
    expect(again.tsbuild).toBe(again.docker);
  });
});
