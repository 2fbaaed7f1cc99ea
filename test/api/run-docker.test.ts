/**
 * `tsbuild run` beside `docker run` on the same images (built from the same
 * Dockerfiles over the same busybox rootfs by each): what runs, with which
 * environment, working directory and user, and the exit status, compared
 * case by case with the engine the tests start.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar } from '../helpers/busybox.js';
import { cli } from '../helpers/cli.js';
import { docker, dockerOk } from '../helpers/docker.js';
import { tempRoot } from '../helpers/tmp.js';
import { buildIn, contextOf, storeWithBusybox } from '../build/harness.js';

const RUN_ID = randomBytes(6).toString('hex');
const DOCKER_BASE = `tsbuild-run-busybox:${RUN_ID}`;

/** Image name → the Dockerfile's lines after FROM. */
const IMAGES: Record<string, string[]> = {
  both: ['ENTRYPOINT ["echo", "ep"]', 'CMD ["cmd"]'],
  shell: ['ENTRYPOINT echo shell', 'CMD ["ignored"]'],
  cmd: ['CMD ["echo", "c"]'],
  env: ['ENV A=img B=img'],
  workdir: ['WORKDIR /app'],
  user: ['USER app'],
  plain: [],
};

/** [image, run options and command], each run by both engines. */
const CASES: [string, string[]][] = [
  ['both', []],
  ['both', ['x', 'y']],
  ['both', ['--entrypoint', 'echo']],
  ['both', ['--entrypoint', 'echo', 'z']],
  ['both', ['--entrypoint', '', 'echo', 'w']],
  ['both', ['--entrypoint', '']],
  ['shell', []],
  ['shell', ['x']],
  ['cmd', []],
  ['cmd', ['echo', 'o']],
  ['env', ['-e', 'A=user', '-e', 'C', '-e', 'UNSET', '--env-file', 'ENVFILE', 'sh', '-c', 'env | grep -v ^HOSTNAME= | sort']],
  ['env', ['-e', 'PATH=/bin', 'sh', '-c', 'echo $PATH; echo $HOME']],
  ['plain', ['sh', '-c', 'env | grep -v ^HOSTNAME= | sort']],
  ['workdir', ['pwd']],
  ['workdir', ['-w', '/tmp/new/dir', 'sh', '-c', 'pwd; ls -ld /tmp/new/dir | cut -c1-10']],
  ['plain', ['pwd']],
  ['user', ['id']],
  ['user', ['-u', '0:1000', 'id']],
  ['plain', ['-u', 'nobody', 'sh', '-c', 'id; echo $HOME']],
  ['plain', ['-u', '4242', 'sh', '-c', 'id; echo $HOME']],
  ['plain', ['-u', 'app:0', 'id']],
  ['plain', ['id']],
  ['plain', ['-u', '4242:50', 'id']],
  ['plain', ['sh', '-c', 'exit 3']],
  ['plain', ['/etc/passwd']],
  ['plain', ['no-such-command']],
  ['plain', ['-u', 'nosuch', 'id']],
  ['plain', ['-w', 'relative', 'pwd']],
]; // prettier-ignore

let root: string;
let envFile: string;

beforeAll(async () => {
  root = await storeWithBusybox();
  await dockerOk(['import', await busyboxRootfsTar(), DOCKER_BASE]);
  envFile = join(tempRoot('tsbuild-run-env-'), 'env.list');
  writeFileSync(envFile, '# comment\nB=file\nD="quoted"\n');
  for (const [name, lines] of Object.entries(IMAGES)) {
    const ctx = contextOf({
      Dockerfile: ['ARG BASE=busybox', 'FROM $BASE', ...lines, ''].join('\n'),
    });
    await buildIn(root, { context: ctx, tags: [`run-${name}:${RUN_ID}`], network: 'none' });
    await dockerOk(
      [
        'build',
        '--network=none',
        '-q',
        '-t',
        `run-${name}:${RUN_ID}`,
        '--build-arg',
        `BASE=${DOCKER_BASE}`,
        ctx,
      ],
      { env: { DOCKER_BUILDKIT: '1' } },
    );
  }
}, 300_000);

describe('tsbuild run beside docker run', () => {
  it.each(CASES)('%s %j', async (image, args) => {
    const opts = args.map((a) => (a === 'ENVFILE' ? envFile : a));
    const at = opts.findIndex(
      (a, i) =>
        !a.startsWith('-') &&
        !['-e', '-w', '-u', '--entrypoint', '--env-file'].includes(opts[i - 1] ?? ''),
    );
    const flags = at < 0 ? opts : opts.slice(0, at);
    const command = at < 0 ? [] : opts.slice(at);
    const ref = `run-${image}:${RUN_ID}`;
    const env = { C: 'from-caller' };
    const want = await docker(['run', '--rm', '--network', 'none', ...flags, ref, ...command], {
      env,
    });
    const got = await cli(
      ['run', '--root', root, '--rm', '--network', 'none', ...flags, ref, ...command],
      { env },
    );
    expect({ code: got.code, stdout: got.stdout }).toEqual({
      code: want.code,
      stdout: want.stdout,
    });
  });
});
