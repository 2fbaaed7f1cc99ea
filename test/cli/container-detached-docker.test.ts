/**
 * Detached containers beside Docker 20.10 (the engine the tests start): the
 * same `run -d`, `logs`, `stop`, `kill`, `start` and `rm` sequence through
 * the docker CLI and tsbuild's, compared step by step — exit codes, output,
 * and error text with each engine's container ID in place of <id>.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar } from '../helpers/busybox.js';
import { cli } from '../helpers/cli.js';
import { docker, dockerOk } from '../helpers/docker.js';
import { buildIn, contextOf, storeWithBusybox } from '../build/harness.js';

const RUN_ID = randomBytes(6).toString('hex');
const BASE = `tsbuild-detached-busybox:${RUN_ID}`;
const USR1 = `tsbuild-detached-usr1:${RUN_ID}`;

let root: string;

beforeAll(async () => {
  root = await storeWithBusybox();
  await importBoth(BASE);
  const ctx = contextOf({ Dockerfile: `ARG BASE=busybox\nFROM $BASE\nSTOPSIGNAL SIGUSR1\n` });
  await buildIn(root, { context: ctx, tags: [USR1], network: 'none' });
  await dockerOk(
    ['build', '-q', '--network=none', '-t', USR1, '--build-arg', `BASE=${BASE}`, ctx],
    {
      env: { DOCKER_BUILDKIT: '1' },
    },
  );
}, 300_000);

async function importBoth(tag: string): Promise<void> {
  await dockerOk(['import', await busyboxRootfsTar(), tag]);
  expect((await cli(['tag', '--root', root, 'busybox', tag])).code).toBe(0);
}

interface Step {
  code: number;
  stdout: string;
  stderr: string;
}

/** Both engines' answers to one command, each with its own container IDs as <id>. */
async function both(args: string[], ids: [string[], string[]]): Promise<[Step, Step]> {
  const d = await docker(args);
  const t = await cli([args[0]!, '--root', root, ...args.slice(1)]);
  const norm = (s: Step, known: string[]): Step => {
    let { stdout, stderr } = s;
    for (const id of known) {
      stdout = stdout.replaceAll(id, '<id>');
      stderr = stderr.replaceAll(id, '<id>');
    }
    return { code: s.code, stdout, stderr };
  };
  return [norm(d, ids[0]), norm(t, ids[1])];
}

/** Poll until `check` holds (the test's timeout bounds it). */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 50));
}

const LOOP = 'while true; do sleep 0.1; done';

describe('detached containers beside docker', () => {
  it('run -d, logs, rm, kill, stop and start: the same output, errors and exit codes', async () => {
    const name = `seq-${RUN_ID}`;
    const ids: [string[], string[]] = [[], []];
    const script = `echo out; echo err >&2; trap "echo term; exit 7" TERM; ${LOOP}`;
    const run = ['run', '-d', '--network', 'none', '--name', name, BASE, 'sh', '-c', script];
    const [dr, tr] = await both(run, ids);
    expect(dr.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(tr).toMatchObject({ code: dr.code, stderr: dr.stderr });
    expect(tr.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    ids[0].push(dr.stdout.trim());
    ids[1].push(tr.stdout.trim());
    /** Both have written their `n`th "err" (the trap is set by then). */
    const started = (n: number) => async () => {
      const [d, t] = await both(['logs', name], ids);
      return d.stderr === 'err\n'.repeat(n) && t.stderr === 'err\n'.repeat(n);
    };
    const inspect = ['container', 'inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name];
    await until(started(1));
    const steps = [
      ['logs', name],
      ['rm', name],
      ['kill', '-s', 'NOPE', name],
      ['stop', name],
      inspect,
      ['logs', name],
      ['logs', '--tail', '1', name],
      ['logs', '--tail', 'x', name],
      ['kill', name],
      ['stop', name],
      ['start', name],
    ];
    for (const step of steps) {
      const [d, t] = await both(step, ids);
      expect({ step, ...t }).toEqual({ step, ...d });
    }
    await until(started(2));
    expect(await both(['kill', '-s', 'TERM', name], ids)).toEqual([
      { code: 0, stdout: `${name}\n`, stderr: '' },
      { code: 0, stdout: `${name}\n`, stderr: '' },
    ]);
    // kill does not wait for the end (Docker's neither): wait for both.
    await until(async () => {
      const [d, t] = await both(inspect, ids);
      return d.stdout.startsWith('exited') && t.stdout.startsWith('exited');
    });
    for (const step of [inspect, ['logs', name], ['rm', name]]) {
      const [d, t] = await both(step, ids);
      expect({ step, ...t }).toEqual({ step, ...d });
    }
  });

  it('stop -t 1 kills what ignores SIGTERM (137); stop sends the image STOPSIGNAL', async () => {
    const ids: [string[], string[]] = [[], []];
    const cases: [string, string, string[], string][] = [
      [`deaf-${RUN_ID}`, BASE, ['-t', '1'], `trap "" TERM; echo ready; ${LOOP}`],
      [`usr1-${RUN_ID}`, USR1, [], `trap "exit 10" USR1; echo ready; ${LOOP}`],
    ];
    for (const [name, image, flags, script] of cases) {
      const [dr, tr] = await both(['run', '-d', '--network', 'none', '--name', name, image, 'sh', '-c', script], ids); // prettier-ignore
      ids[0].push(dr.stdout.trim());
      ids[1].push(tr.stdout.trim());
      await until(async () => {
        const [d, t] = await both(['logs', name], ids);
        return d.stdout === 'ready\n' && t.stdout === 'ready\n';
      });
      for (const step of [
        ['stop', ...flags, name],
        ['container', 'inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name],
        ['rm', name],
      ]) {
        const [d, t] = await both(step, ids);
        expect({ step, ...t }).toEqual({ step, ...d });
      }
    }
  });

  it('errors for a container that does not exist, and run -d of a command not found', async () => {
    for (const step of [
      ['logs', 'nosuch'],
      ['stop', 'nosuch'],
      ['kill', 'nosuch'],
      ['start', 'nosuch'],
      ['rm', 'nosuch'],
    ]) {
      const [d, t] = await both(step, [[], []]);
      expect({ step, ...t }).toEqual({ step, ...d });
    }
    const [d, t] = await both(['run', '-d', '--rm', '--network', 'none', BASE, 'nope'], [[], []]);
    expect(d.code).toBe(127);
    expect(t.code).toBe(d.code);
    expect(t.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(d.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(t.stderr).toContain('nope');
  });
});
